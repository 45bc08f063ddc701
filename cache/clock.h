// The time source of the caches: monotonic whole seconds, injectable so tests (and scenario
// runners) control time.
#pragma once

#include <atomic>
#include <cstdint>

namespace vpcdns::cache {

// Monotonic seconds since an arbitrary origin. Never goes backwards. Implementations must be
// safe to call from any thread at any time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t nowSeconds() const = 0;
};

// std::chrono::steady_clock, truncated to whole seconds.
class SteadyClock final : public Clock {
 public:
  uint64_t nowSeconds() const override;
};

// The process-wide SteadyClock (a function-local static: lives until exit).
const Clock& steadyClock();

// Time that moves only when told to, for tests. Thread-safe (one atomic).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start = 1000) : now_(start) {}
  uint64_t nowSeconds() const override { return now_.load(std::memory_order_relaxed); }
  void advance(uint64_t seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }
  void set(uint64_t seconds) { now_.store(seconds, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> now_;
};

}  // namespace vpcdns::cache
