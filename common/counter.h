// Counter: written by one thread, read by any. An increment is a relaxed load and store (no
// locked instruction), so hot paths can count; readers see a recent value.
#pragma once

#include <atomic>
#include <cstdint>

namespace vpcdns {

class Counter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace vpcdns
