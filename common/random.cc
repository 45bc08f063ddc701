#include "common/random.h"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vpcdns {
namespace {

// One getrandom() call per 256 bytes keeps the syscall off the per-query path (a query ID
// plus a source port cost 4 bytes).
constexpr size_t kChunk = 256;

// Bumped in the child after fork() so that parent and child never hand out the same buffered
// bytes (both would otherwise inherit an identical thread_local buffer).
std::atomic<unsigned> g_fork_generation{0};

void fillFromKernel(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // Predictable query IDs and ports would make the resolver spoofable: do not go on.
      std::fprintf(stderr, "vpcdns: getrandom failed: %s\n", std::strerror(errno));
      std::abort();
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

struct Pool {
  std::array<uint8_t, kChunk> buf{};
  size_t pos = kChunk;  // empty until first use
  unsigned generation = 0;

  Pool() {
    static const int registered = pthread_atfork(nullptr, nullptr, [] { ++g_fork_generation; });
    (void)registered;
  }

  void take(uint8_t* out, size_t n) {
    unsigned gen = g_fork_generation.load(std::memory_order_relaxed);
    if (gen != generation) {
      generation = gen;
      pos = kChunk;
    }
    while (n > 0) {
      if (pos == kChunk) {
        fillFromKernel(buf.data(), kChunk);
        pos = 0;
      }
      size_t k = std::min(n, kChunk - pos);
      std::memcpy(out, buf.data() + pos, k);
      // Wipe what was handed out so a later memory disclosure cannot reveal past values.
      std::memset(buf.data() + pos, 0, k);
      pos += k;
      out += k;
      n -= k;
    }
  }
};

thread_local Pool t_pool;

template <class T>
T randomValue() {
  T value;
  uint8_t bytes[sizeof(T)];
  t_pool.take(bytes, sizeof bytes);
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

}  // namespace

void randomBytes(std::span<uint8_t> out) {
  // Large requests (hash seeds, keys) go straight to the kernel instead of draining the pool.
  if (out.size() >= kChunk) {
    fillFromKernel(out.data(), out.size());
    return;
  }
  t_pool.take(out.data(), out.size());
}

uint16_t random16() {
  return randomValue<uint16_t>();
}
uint32_t random32() {
  return randomValue<uint32_t>();
}
uint64_t random64() {
  return randomValue<uint64_t>();
}

uint32_t randomBelow(uint32_t bound) {
  if (bound <= 1) return 0;
  // Reject the lowest (2^32 mod bound) values so the rest divide evenly into `bound` buckets
  // (the arc4random_uniform method); on average fewer than 2 draws.
  uint32_t threshold = (0u - bound) % bound;
  for (;;) {
    uint32_t r = random32();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace vpcdns
