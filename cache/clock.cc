#include "cache/clock.h"

#include <chrono>

namespace vpcdns::cache {

uint64_t SteadyClock::nowSeconds() const {
  auto since = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since).count());
}

const Clock& steadyClock() {
  static const SteadyClock clock;
  return clock;
}

}  // namespace vpcdns::cache
