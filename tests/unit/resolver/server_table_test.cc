#include "resolver/server_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace vpcdns::resolver {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}

// A table on a clock the test moves.
struct Fixture {
  std::shared_ptr<std::atomic<uint64_t>> now = std::make_shared<std::atomic<uint64_t>>(1000000);
  ServerTable table;

  explicit Fixture(ServerTableOptions options = {}) : table(withClock(std::move(options), now)) {}

  static ServerTableOptions withClock(ServerTableOptions o,
                                      std::shared_ptr<std::atomic<uint64_t>> now) {
    o.now_ms = [now] { return now->load(); };
    return o;
  }
  void advance(uint64_t ms) { *now += ms; }
};

ServerTableOptions noExploration() {
  ServerTableOptions o;
  o.explore_percent = 0;
  return o;
}

TEST(ServerTableTest, EmptyCandidatesGiveSize) {
  Fixture f;
  EXPECT_EQ(f.table.choose({}), 0u);
  std::vector<IpAddress> one{ip("192.0.2.1")};
  EXPECT_EQ(f.table.choose(one), 0u);
}

TEST(ServerTableTest, SrttIsSmoothedOneEighthPerSample) {
  Fixture f;
  const IpAddress a = ip("192.0.2.1");
  EXPECT_FALSE(f.table.info(a).known);
  f.table.reportRtt(a, 80000);  // the first sample is taken as is
  EXPECT_TRUE(f.table.info(a).known);
  EXPECT_EQ(f.table.info(a).srtt_us, 80000u);
  f.table.reportRtt(a, 160000);  // 7/8 * 80000 + 1/8 * 160000
  EXPECT_EQ(f.table.info(a).srtt_us, 90000u);
  f.table.reportRtt(a, 10000);  // 7/8 * 90000 + 1/8 * 10000
  EXPECT_EQ(f.table.info(a).srtt_us, 80000u);
}

TEST(ServerTableTest, RanksByRttAndPicksTheFastest) {
  Fixture f(noExploration());
  std::vector<IpAddress> servers{ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8::3"),
                                 ip("192.0.2.4")};
  f.table.reportRtt(servers[0], 90000);
  f.table.reportRtt(servers[1], 30000);
  f.table.reportRtt(servers[2], 5000);
  f.table.reportRtt(servers[3], 60000);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(f.table.choose(servers), 2u);
  // It gets slow: after enough samples another one wins.
  for (int i = 0; i < 40; ++i) f.table.reportRtt(servers[2], 200000);
  EXPECT_EQ(f.table.choose(servers), 1u);
}

TEST(ServerTableTest, UnknownServersGetAStableRandomRank) {
  Fixture f(noExploration());
  std::vector<IpAddress> servers;
  for (int i = 1; i <= 8; ++i) servers.push_back(ip("198.51.100." + std::to_string(i)));
  const size_t first = f.table.choose(servers);
  ASSERT_LT(first, servers.size());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(f.table.choose(servers), first);
  EXPECT_FALSE(f.table.info(servers[first]).known);  // being ranked is not a sample

  // An unknown server (rank < 800 ms) beats a known slow one (900 ms) ...
  std::vector<IpAddress> mixed{ip("203.0.113.1"), ip("203.0.113.2")};
  f.table.reportRtt(mixed[0], 900000);
  EXPECT_EQ(f.table.choose(mixed), 1u);
  // ... and loses to a known fast one once it timed out.
  f.table.reportRtt(mixed[0], 1000);
  for (int i = 0; i < 30; ++i) f.table.reportRtt(mixed[0], 1000);
  f.table.reportTimeout(mixed[1]);
  EXPECT_EQ(f.table.choose(mixed), 0u);
}

TEST(ServerTableTest, UnknownServersAreSpreadOverCandidates) {
  // Over many fresh tables, the first pick among unknown servers is not always the same index.
  std::vector<IpAddress> servers{ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3")};
  std::vector<int> picks(servers.size());
  for (int i = 0; i < 300; ++i) {
    Fixture f(noExploration());
    ++picks[f.table.choose(servers)];
  }
  for (int count : picks) {
    EXPECT_GT(count, 30);  // expected 100 each
  }
}

TEST(ServerTableTest, HeldDownServersAreSkippedUnlessAllAre) {
  Fixture f(noExploration());
  std::vector<IpAddress> servers{ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3")};
  f.table.reportRtt(servers[0], 1000);
  f.table.reportRtt(servers[1], 2000);
  f.table.reportRtt(servers[2], 3000);
  f.table.reportFailure(servers[0]);  // REFUSED: held down at once
  EXPECT_TRUE(f.table.info(servers[0]).held_down);
  EXPECT_EQ(f.table.choose(servers), 1u);
  for (int i = 0; i < 3; ++i) f.table.reportTimeout(servers[1]);  // holddown_after = 3
  EXPECT_TRUE(f.table.info(servers[1]).held_down);
  EXPECT_EQ(f.table.choose(servers), 2u);
  f.table.reportFailure(servers[2]);
  // Nothing usable is left: the best of the held-down ones is still tried.
  EXPECT_EQ(f.table.choose(servers), 0u);
}

TEST(ServerTableTest, HoldDownExpiresAndEndsOnAGoodReply) {
  ServerTableOptions o = noExploration();
  o.holddown_ms = 60000;
  Fixture f(o);
  std::vector<IpAddress> servers{ip("192.0.2.1"), ip("192.0.2.2")};
  f.table.reportRtt(servers[0], 1000);
  f.table.reportRtt(servers[1], 50000);
  f.table.reportFailure(servers[0]);
  EXPECT_EQ(f.table.choose(servers), 1u);
  f.advance(59999);
  EXPECT_TRUE(f.table.info(servers[0]).held_down);
  EXPECT_EQ(f.table.choose(servers), 1u);
  f.advance(1);
  EXPECT_FALSE(f.table.info(servers[0]).held_down);
  EXPECT_EQ(f.table.choose(servers), 0u);

  // Timeouts: held down after the third in a row; a reply in between resets the count.
  f.table.reportTimeout(servers[0]);
  f.table.reportTimeout(servers[0]);
  f.table.reportRtt(servers[0], 1000);
  EXPECT_EQ(f.table.info(servers[0]).timeouts, 0u);
  f.table.reportTimeout(servers[0]);
  f.table.reportTimeout(servers[0]);
  EXPECT_FALSE(f.table.info(servers[0]).held_down);
  f.table.reportTimeout(servers[0]);
  EXPECT_TRUE(f.table.info(servers[0]).held_down);
  f.advance(60000);
  EXPECT_FALSE(f.table.info(servers[0]).held_down);
  // Tried again after the hold-down: one more timeout holds it down again ...
  f.table.reportTimeout(servers[0]);
  EXPECT_TRUE(f.table.info(servers[0]).held_down);
  // ... and a good reply (from a last-resort query) ends the hold-down at once.
  f.table.reportRtt(servers[0], 1000);
  EXPECT_FALSE(f.table.info(servers[0]).held_down);
  EXPECT_EQ(f.table.info(servers[0]).timeouts, 0u);
}

TEST(ServerTableTest, TimeoutsFollowRttBackOffAndAreClamped) {
  ServerTableOptions o;
  o.initial_timeout_ms = 800;
  o.min_timeout_ms = 50;
  o.max_timeout_ms = 4000;
  o.holddown_after = 100;
  Fixture f(o);
  const IpAddress unknown = ip("192.0.2.1");
  EXPECT_EQ(f.table.timeoutMs(unknown), 800u);
  f.table.reportTimeout(unknown);
  EXPECT_EQ(f.table.timeoutMs(unknown), 1600u);
  f.table.reportTimeout(unknown);
  EXPECT_EQ(f.table.timeoutMs(unknown), 3200u);
  f.table.reportTimeout(unknown);
  EXPECT_EQ(f.table.timeoutMs(unknown), 4000u);  // clamped
  for (int i = 0; i < 60; ++i) f.table.reportTimeout(unknown);
  EXPECT_EQ(f.table.timeoutMs(unknown), 4000u);  // no overflow however many

  const IpAddress fast = ip("192.0.2.2");
  f.table.reportRtt(fast, 100000);  // 2 x 100 + 50
  EXPECT_EQ(f.table.timeoutMs(fast), 250u);
  f.table.reportTimeout(fast);
  EXPECT_EQ(f.table.timeoutMs(fast), 500u);
  f.table.reportRtt(fast, 100000);
  EXPECT_EQ(f.table.timeoutMs(fast), 250u);

  const IpAddress local = ip("192.0.2.3");
  f.table.reportRtt(local, 0);
  EXPECT_EQ(f.table.timeoutMs(local), 50u);  // 2 x 0 + 50, at the minimum

  ServerTableOptions tight = o;
  tight.min_timeout_ms = 300;
  Fixture g(tight);
  g.table.reportRtt(local, 10);
  EXPECT_EQ(g.table.timeoutMs(local), 300u);  // clamped up
}

TEST(ServerTableTest, ExploresSometimesButNotMostly) {
  Fixture f;  // explore_percent = 5
  std::vector<IpAddress> servers{ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3")};
  f.table.reportRtt(servers[0], 100000);
  f.table.reportRtt(servers[1], 1000);
  f.table.reportRtt(servers[2], 100000);
  f.table.reportFailure(servers[2]);  // held down: never explored while others are usable
  int other = 0;
  for (int i = 0; i < 2000; ++i) {
    const size_t c = f.table.choose(servers);
    ASSERT_LT(c, 2u);
    if (c != 1) ++other;
  }
  // Expected 2000 x 5% x 1/2 = 50.
  EXPECT_GT(other, 10);
  EXPECT_LT(other, 200);
}

TEST(ServerTableTest, ForgetsTheLeastRecentlyUsedBeyondItsSize) {
  ServerTableOptions o;
  o.max_servers = 64;  // one per shard
  Fixture f(o);
  const IpAddress a = ip("192.0.2.1");
  f.table.reportRtt(a, 1000);
  for (int i = 0; i < 2000; ++i) {
    f.table.reportRtt(ip("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)), 5);
  }
  EXPECT_FALSE(f.table.info(a).known);
}

TEST(ServerTableTest, IsSafeFromManyThreads) {
  ServerTable table;
  std::vector<IpAddress> servers;
  for (int i = 0; i < 32; ++i) servers.push_back(ip("192.0.2." + std::to_string(i)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const IpAddress& s = servers[static_cast<size_t>(i + t) % servers.size()];
        const size_t c = table.choose(servers);
        ASSERT_LT(c, servers.size());
        if (i % 3 == 0) table.reportRtt(s, static_cast<uint32_t>(i));
        if (i % 7 == 0) table.reportTimeout(s);
        if (i % 11 == 0) table.reportFailure(s);
        (void)table.timeoutMs(s);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(table.info(servers[0]).known);
}

TEST(ServerTableTest, NoEdnsIsRememberedForAWhilePerAddress) {
  ServerTableOptions o;
  o.no_edns_ms = 60000;
  Fixture f(o);
  const IpAddress old = ip("192.0.2.7"), other = ip("192.0.2.8");
  EXPECT_FALSE(f.table.info(old).no_edns);
  f.table.reportNoEdns(old);
  EXPECT_TRUE(f.table.info(old).no_edns);
  EXPECT_FALSE(f.table.info(other).no_edns);
  f.table.reportRtt(old, 1000);  // a reply (without EDNS) does not clear it
  f.advance(59999);
  EXPECT_TRUE(f.table.info(old).no_edns);
  f.advance(1);  // then EDNS is tried again, in case the server was upgraded
  EXPECT_FALSE(f.table.info(old).no_edns);
}

}  // namespace
}  // namespace vpcdns::resolver
