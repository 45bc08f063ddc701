// RttHistogram: round-trip times of upstream replies (the time from sending a query to its
// reply; timeouts are not samples), kept as a Prometheus histogram: a count per bucket (not
// cumulative) and the sum. Used by the resolver (authoritative servers) and the forwarder
// (forwarding targets).
//
// Thread affinity: a single writer (the worker's loop thread); readable from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/counter.h"

namespace vpcdns {

struct RttHistogram {
  static constexpr std::array<uint32_t, 10> kBoundsUs = {1000,   5000,   10000,  25000,   50000,
                                                         100000, 250000, 500000, 1000000, 2000000};
  std::array<Counter, kBoundsUs.size() + 1> buckets;  // the last: above every bound (+Inf)
  Counter sum_us;
  void observe(uint32_t rtt_us) {
    size_t i = 0;
    while (i < kBoundsUs.size() && rtt_us > kBoundsUs[i]) ++i;
    buckets[i].add();
    sum_us.add(rtt_us);
  }
};

}  // namespace vpcdns
