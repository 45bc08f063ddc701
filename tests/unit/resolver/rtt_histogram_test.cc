// The upstream RTT histogram behind /metrics' vpcdns_upstream_rtt_seconds.
#include <gtest/gtest.h>

#include "resolver/resolver.h"

namespace vpcdns::resolver {
namespace {

TEST(RttHistogram, SamplesFallInTheFirstBucketAtOrAboveThem) {
  RttHistogram h;
  h.observe(0);        // <= 1 ms
  h.observe(1000);     // <= 1 ms: bounds are inclusive (Prometheus "le")
  h.observe(1001);     // <= 5 ms
  h.observe(2000000);  // <= 2 s, the last bound
  h.observe(2000001);  // +Inf
  h.observe(UINT32_MAX);
  EXPECT_EQ(h.buckets[0].get(), 2u);
  EXPECT_EQ(h.buckets[1].get(), 1u);
  EXPECT_EQ(h.buckets[RttHistogram::kBoundsUs.size() - 1].get(), 1u);
  EXPECT_EQ(h.buckets[RttHistogram::kBoundsUs.size()].get(), 2u);
  uint64_t total = 0;
  for (const auto& b : h.buckets) total += b.get();
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(h.sum_us.get(), uint64_t{1000} + 1001 + 2000000 + 2000001 + UINT32_MAX);
}

}  // namespace
}  // namespace vpcdns::resolver
