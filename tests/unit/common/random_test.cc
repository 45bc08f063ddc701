#include "common/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>
#include <vector>

namespace vpcdns {
namespace {

TEST(Random, BytesAreNotAllZero) {
  // Odd sizes cross the 256-byte refill boundary; 300 takes the direct-to-kernel path.
  for (size_t size : {1u, 7u, 16u, 255u, 300u, 4096u}) {
    std::vector<uint8_t> buf(size, 0);
    bool any_nonzero = false;
    for (int attempt = 0; attempt < 4 && !any_nonzero; ++attempt) {  // 1 byte is 0 at 1/256
      randomBytes(buf);
      any_nonzero = std::any_of(buf.begin(), buf.end(), [](uint8_t b) { return b != 0; });
    }
    EXPECT_TRUE(any_nonzero) << size;
  }
  randomBytes({});  // empty is fine
}

TEST(Random, ConsecutiveValuesDiffer) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random64());
  EXPECT_EQ(seen.size(), 1000u);

  std::set<uint32_t> seen32;
  for (int i = 0; i < 1000; ++i) seen32.insert(random32());
  EXPECT_GT(seen32.size(), 995u);  // birthday collisions in 2^32 are rare at 1000

  std::set<uint16_t> seen16;
  for (int i = 0; i < 1000; ++i) seen16.insert(random16());
  EXPECT_GT(seen16.size(), 900u);  // ~7 expected collisions in 2^16
}

TEST(Random, EveryBitVaries) {
  uint64_t ones = 0;
  uint64_t zeros = 0;
  for (int i = 0; i < 200; ++i) {
    uint64_t v = random64();
    ones |= v;
    zeros |= ~v;
  }
  EXPECT_EQ(ones, ~uint64_t{0});
  EXPECT_EQ(zeros, ~uint64_t{0});
}

TEST(Random, BelowStaysInRange) {
  EXPECT_EQ(randomBelow(1), 0u);
  for (uint32_t bound : {2u, 3u, 10u, 1000u, 0x80000001u, 0xffffffffu}) {
    for (int i = 0; i < 1000; ++i) EXPECT_LT(randomBelow(bound), bound);
  }
}

TEST(Random, BelowIsRoughlyUniform) {
  // 6 buckets, 60000 draws: each expects 10000 with sd ~91; 600 is > 6 sd.
  constexpr uint32_t kBuckets = 6;
  constexpr int kDraws = 60000;
  std::array<int, kBuckets> counts{};
  for (int i = 0; i < kDraws; ++i) ++counts[randomBelow(kBuckets)];
  for (int c : counts) {
    EXPECT_GT(c, kDraws / int{kBuckets} - 600);
    EXPECT_LT(c, kDraws / int{kBuckets} + 600);
  }
}

TEST(Random, BelowLargeBoundIsUnbiased) {
  // With bound = 3 * 2^30, `random32() % bound` would put half the draws below 2^30
  // (values 2^32-2^30.. wrap onto 0..2^30); an unbiased draw puts a third there.
  constexpr uint32_t kBound = 3u << 30;
  constexpr int kDraws = 30000;
  int low = 0;
  for (int i = 0; i < kDraws; ++i) low += randomBelow(kBound) < (1u << 30) ? 1 : 0;
  EXPECT_GT(low, kDraws / 3 - 700);  // sd ~82
  EXPECT_LT(low, kDraws / 3 + 700);
}

TEST(Random, ThreadsGetDifferentStreams) {
  std::array<uint64_t, 4> values{};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < values.size(); ++i) {
    threads.emplace_back([&values, i] { values[i] = random64(); });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> distinct(values.begin(), values.end());
  EXPECT_EQ(distinct.size(), values.size());
}

TEST(Random, ForkedChildDoesNotRepeatParent) {
  (void)random64();  // the parent's pool now holds buffered bytes the child would inherit
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint64_t v = random64();
    _exit(write(fds[1], &v, sizeof v) == sizeof v ? 0 : 1);
  }
  uint64_t mine = random64();
  uint64_t child = 0;
  EXPECT_EQ(read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(mine, child);
}

}  // namespace
}  // namespace vpcdns
