#include "forwarder/health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace vpcdns::forwarder {
namespace {

SocketAddress target(const char* text) {
  return SocketAddress::parse(text, 53).value();
}

// A registry on a clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<std::atomic<uint64_t>> now = std::make_shared<std::atomic<uint64_t>>(1000);
  HealthOptions options(uint32_t threshold, uint32_t interval_ms) const {
    HealthOptions o;
    o.failure_threshold = threshold;
    o.probe_interval_ms = interval_ms;
    o.now_ms = [now = now] { return now->load(); };
    return o;
  }
};

TEST(TargetStateTest, DownAfterThresholdConsecutiveFailures) {
  ManualClock clock;
  HealthRegistry registry(clock.options(3, 2000));
  auto t = registry.get(target("10.0.0.1"));
  EXPECT_TRUE(t->up());
  t->reportFailure();
  t->reportFailure();
  EXPECT_TRUE(t->up());
  EXPECT_EQ(t->consecutiveFailures(), 2u);
  t->reportFailure();
  EXPECT_FALSE(t->up());
  EXPECT_EQ(t->consecutiveFailures(), 3u);
  t->reportFailure();  // stays down
  EXPECT_FALSE(t->up());
}

TEST(TargetStateTest, SuccessResetsTheCountAndMarksUp) {
  ManualClock clock;
  HealthRegistry registry(clock.options(3, 2000));
  auto t = registry.get(target("10.0.0.1"));
  t->reportFailure();
  t->reportFailure();
  t->reportSuccess(500);
  EXPECT_EQ(t->consecutiveFailures(), 0u);
  // The count starts over: two more failures are not enough.
  t->reportFailure();
  t->reportFailure();
  EXPECT_TRUE(t->up());
  t->reportFailure();
  EXPECT_FALSE(t->up());
  t->reportSuccess(500);
  EXPECT_TRUE(t->up());
  EXPECT_EQ(t->consecutiveFailures(), 0u);
}

TEST(TargetStateTest, ThresholdZeroActsAsOne) {
  ManualClock clock;
  HealthRegistry registry(clock.options(0, 2000));
  auto t = registry.get(target("10.0.0.1"));
  t->reportFailure();
  EXPECT_FALSE(t->up());
}

TEST(TargetStateTest, SmoothedRtt) {
  ManualClock clock;
  HealthRegistry registry(clock.options(3, 2000));
  auto t = registry.get(target("10.0.0.1"));
  EXPECT_EQ(t->srttUs(), 0u);  // unknown
  t->reportSuccess(1000);
  EXPECT_EQ(t->srttUs(), 1000u);  // first sample as is
  t->reportSuccess(2000);
  EXPECT_EQ(t->srttUs(), 1125u);  // 7/8 * 1000 + 1/8 * 2000
  t->reportSuccess(1125);
  EXPECT_EQ(t->srttUs(), 1125u);
  t->reportFailure();  // failures do not touch the RTT
  EXPECT_EQ(t->srttUs(), 1125u);
}

TEST(TargetStateTest, AZeroSampleStillMakesTheRttKnown) {
  ManualClock clock;
  HealthRegistry registry(clock.options(3, 2000));
  auto t = registry.get(target("10.0.0.1"));
  t->reportSuccess(0);
  EXPECT_GT(t->srttUs(), 0u);
}

TEST(TargetStateTest, ProbeClaimedOncePerIntervalWhileDown) {
  ManualClock clock;
  HealthRegistry registry(clock.options(1, 2000));
  auto t = registry.get(target("10.0.0.1"));
  EXPECT_FALSE(t->claimProbe(clock.now->load()));  // up: nothing to probe
  EXPECT_FALSE(t->claimProbe(1'000'000));

  t->reportFailure();  // down at 1000: first probe due at 3000
  ASSERT_FALSE(t->up());
  EXPECT_FALSE(t->claimProbe(1000));
  EXPECT_FALSE(t->claimProbe(2999));
  EXPECT_TRUE(t->claimProbe(3000));
  EXPECT_FALSE(t->claimProbe(3000));  // taken
  EXPECT_FALSE(t->claimProbe(4999));
  EXPECT_TRUE(t->claimProbe(5000));
  EXPECT_FALSE(t->claimProbe(5001));

  t->reportSuccess(100);  // back up: no more probes
  EXPECT_FALSE(t->claimProbe(100'000));
}

TEST(TargetStateTest, GoingDownAgainRestartsTheProbeSchedule) {
  ManualClock clock;
  HealthRegistry registry(clock.options(1, 2000));
  auto t = registry.get(target("10.0.0.1"));
  t->reportFailure();
  EXPECT_TRUE(t->claimProbe(3000));
  t->reportSuccess(100);
  clock.now->store(50'000);
  t->reportFailure();  // down again at 50000: not probed at once, but at 52000
  EXPECT_FALSE(t->claimProbe(50'000));
  EXPECT_TRUE(t->claimProbe(52'000));
}

TEST(TargetStateTest, ExactlyOneThreadWinsEachProbe) {
  ManualClock clock;
  HealthRegistry registry(clock.options(1, 2000));
  auto t = registry.get(target("10.0.0.1"));
  t->reportFailure();  // due at 3000
  for (uint64_t round = 0; round < 20; ++round) {
    const uint64_t due = 3000 + round * 2000;
    std::atomic<int> wins{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        while (!go) std::this_thread::yield();
        for (int k = 0; k < 1000; ++k) {
          if (t->claimProbe(due + static_cast<uint64_t>(k % 3))) ++wins;
        }
      });
    }
    go = true;
    for (auto& th : threads) th.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
  }
}

TEST(TargetStateTest, ConcurrentSuccessesKeepAConsistentRtt) {
  ManualClock clock;
  HealthRegistry registry(clock.options(3, 2000));
  auto t = registry.get(target("10.0.0.1"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 10000; ++k) t->reportSuccess(4000);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t->srttUs(), 4000u);  // every sample the same: no torn or lost update shows
  EXPECT_TRUE(t->up());
}

TEST(HealthRegistryTest, SameObjectForTheSameTarget) {
  HealthRegistry registry;
  auto a = registry.get(target("10.0.0.1:53"));
  EXPECT_EQ(registry.get(target("10.0.0.1")), a);
  EXPECT_NE(registry.get(target("10.0.0.1:5353")), a);
  EXPECT_NE(registry.get(target("10.0.0.2:53")), a);
  EXPECT_NE(registry.get(target("[::1]:53")), registry.get(target("[::2]:53")));
  a->reportFailure();
  EXPECT_EQ(registry.get(target("10.0.0.1")), a);
  EXPECT_EQ(registry.get(target("10.0.0.1"))->consecutiveFailures(), 1u);
}

TEST(HealthRegistryTest, ConcurrentFirstUseCreatesOneObject) {
  HealthRegistry registry;
  std::vector<std::shared_ptr<TargetState>> seen(8);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      for (int k = 0; k < 100; ++k) {
        registry.get(SocketAddress(IpAddress::parse("10.1.0.1").value(), static_cast<uint16_t>(k)));
      }
      seen[i] = registry.get(target("10.9.9.9"));
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  for (const auto& s : seen) EXPECT_EQ(s, seen[0]);
}

TEST(HealthRegistryTest, DefaultsUseTheSteadyClock) {
  HealthRegistry registry;
  EXPECT_EQ(registry.options().failure_threshold, 3u);
  EXPECT_EQ(registry.options().probe_interval_ms, 2000u);
  const uint64_t a = registry.nowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(registry.nowMs(), a + 4);
}

}  // namespace
}  // namespace vpcdns::forwarder
