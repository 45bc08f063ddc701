// The `resolver` and `cache` sections: defaults, values, and errors as users see them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using test_support::errorsOf;
using test_support::load;
using ::testing::ElementsAre;

TEST(ResolverConfig, DefaultsAreWhatUnboundUsersExpect) {
  const Config c = load("");
  EXPECT_TRUE(c.resolver.root_hints.empty());
  EXPECT_TRUE(c.resolver.qname_minimisation);
  EXPECT_TRUE(c.resolver.ipv6);
  ASSERT_EQ(c.resolver.dont_query.size(), 2u);
  EXPECT_EQ(c.resolver.dont_query[0].toString(), "127.0.0.0/8");
  EXPECT_EQ(c.resolver.dont_query[1].toString(), "::1/128");
  EXPECT_EQ(c.resolver.edns_udp_size, 1232);
  EXPECT_EQ(c.cache.max_memory, uint64_t{64} << 20);
  EXPECT_EQ(c.cache.max_ttl, 86400u);
  EXPECT_EQ(c.cache.max_negative_ttl, 3600u);
}

TEST(ResolverConfig, ReadsEveryKey) {
  const Config c = load(R"(
resolver:
  root_hints: hints/named.root
  qname_minimisation: false
  ipv6: false
  dont_query: []
  edns_udp_size: 1400
  max_upstream_queries: 20
  max_referral_depth: 10
  max_cname_chain: 8
  max_glueless_ns: 3
  upstream_timeout_ms: 300
  resolution_timeout_ms: 2000
cache:
  max_memory: 4MiB
  min_ttl: 5
  max_ttl: 3600
  max_negative_ttl: 60
)");
  EXPECT_EQ(c.resolver.root_hints, "hints/named.root");
  EXPECT_FALSE(c.resolver.qname_minimisation);
  EXPECT_FALSE(c.resolver.ipv6);
  EXPECT_TRUE(c.resolver.dont_query.empty());
  EXPECT_EQ(c.resolver.edns_udp_size, 1400);
  EXPECT_EQ(c.resolver.max_upstream_queries, 20u);
  EXPECT_EQ(c.resolver.max_referral_depth, 10u);
  EXPECT_EQ(c.resolver.max_cname_chain, 8u);
  EXPECT_EQ(c.resolver.max_glueless_ns, 3u);
  EXPECT_EQ(c.resolver.upstream_timeout_ms, 300u);
  EXPECT_EQ(c.resolver.resolution_timeout_ms, 2000u);
  EXPECT_EQ(c.cache.max_memory, uint64_t{4} << 20);
  EXPECT_EQ(c.cache.min_ttl, 5u);
  EXPECT_EQ(c.cache.max_ttl, 3600u);
  EXPECT_EQ(c.cache.max_negative_ttl, 60u);
}

TEST(ResolverConfig, Errors) {
  EXPECT_THAT(errorsOf("resolver:\n  ipv6: maybe\n"),
              ElementsAre("cfg.yaml:2:9: resolver.ipv6: expected true or false, got \"maybe\""));
  EXPECT_THAT(errorsOf("resolver:\n  dont_query: [10.0.0.0/33]\n"),
              ElementsAre("cfg.yaml:2:16: resolver.dont_query[0]: expected an address prefix "
                          "(e.g. 10.0.0.0/8 or ::1/128), got \"10.0.0.0/33\""));
  EXPECT_THAT(errorsOf("resolver:\n  max_upstream_queries: 0\n"),
              ElementsAre("cfg.yaml:2:25: resolver.max_upstream_queries: expected integer "
                          "1..1000, got \"0\""));
  EXPECT_THAT(errorsOf("resolver:\n  qmin: true\n"),
              ElementsAre(::testing::StartsWith("cfg.yaml:2:3: resolver: unknown key 'qmin'")));
  EXPECT_THAT(errorsOf("cache:\n  min_ttl: 600\n  max_ttl: 60\n"),
              ElementsAre("cfg.yaml:2:3: cache: min_ttl (600) is above max_ttl (60)"));
  EXPECT_THAT(errorsOf("cache:\n  max_memory: 1KiB\n"),
              ElementsAre("cfg.yaml:2:3: cache: max_memory must be at least 1MiB"));
}

}  // namespace
}  // namespace vpcdns::config
