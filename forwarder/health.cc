#include "forwarder/health.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace vpcdns::forwarder {
namespace {

uint64_t steadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

size_t SocketAddressHash::operator()(const SocketAddress& a) const {
  // FNV-1a over family, address octets and port.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ULL;
  };
  mix(static_cast<uint8_t>(a.ip().family()));
  for (size_t i = 0; i < a.ip().size(); ++i) mix(a.ip().bytes()[i]);
  mix(static_cast<uint8_t>(a.port() >> 8));
  mix(static_cast<uint8_t>(a.port()));
  return static_cast<size_t>(h);
}

TargetState::TargetState(std::shared_ptr<const HealthOptions> options)
    : options_(std::move(options)) {}

void TargetState::reportSuccess(uint32_t rtt_us) {
  // 0 means "unknown" in srtt_us_, so a sample below the clock's resolution counts as 1 us.
  const uint32_t sample = std::max<uint32_t>(rtt_us, 1);
  uint32_t old = srtt_us_.load(std::memory_order_relaxed);
  uint32_t next;
  do {
    next = old == 0 ? sample : static_cast<uint32_t>((7 * static_cast<uint64_t>(old) + sample) / 8);
    next = std::max<uint32_t>(next, 1);
  } while (!srtt_us_.compare_exchange_weak(old, next, std::memory_order_relaxed));
  failures_.store(0, std::memory_order_relaxed);
  down_.store(false, std::memory_order_release);
}

void TargetState::reportFailure() {
  const uint32_t failures = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  const uint32_t threshold = std::max<uint32_t>(options_->failure_threshold, 1);
  if (failures < threshold || down_.load(std::memory_order_relaxed)) return;
  // The first probe is due one interval from now. Stored before `down_` (release), so a worker
  // that sees the target down also sees this time and cannot probe at once with a stale one.
  // Two threads crossing the threshold together both store about the same time: harmless.
  next_probe_ms_.store(options_->now_ms() + options_->probe_interval_ms, std::memory_order_relaxed);
  down_.store(true, std::memory_order_release);
}

bool TargetState::claimProbe(uint64_t now_ms) {
  if (!down_.load(std::memory_order_acquire)) return false;
  uint64_t due = next_probe_ms_.load(std::memory_order_relaxed);
  if (now_ms < due) return false;
  // Only the caller whose CAS moves the due time forward wins; the others see the new time (or
  // fail the CAS) and return false until it comes.
  if (!next_probe_ms_.compare_exchange_strong(due, now_ms + options_->probe_interval_ms,
                                              std::memory_order_relaxed)) {
    return false;
  }
  last_probe_ms_.store(now_ms, std::memory_order_relaxed);
  return true;
}

HealthRegistry::HealthRegistry(HealthOptions options) {
  if (!options.now_ms) options.now_ms = steadyMs;
  options_ = std::make_shared<const HealthOptions>(std::move(options));
}

std::shared_ptr<TargetState> HealthRegistry::get(const SocketAddress& target) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = targets_.try_emplace(target);
  if (inserted) it->second = std::make_shared<TargetState>(options_);
  return it->second;
}

}  // namespace vpcdns::forwarder
