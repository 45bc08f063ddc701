// Health of forwarding targets (the on-premises servers a rule sends queries to), shared by every
// worker: whether a target is up, its smoothed RTT, and who probes it while it is down.
//
// A target goes down after `failure_threshold` consecutive failures (timeouts, network errors,
// unusable replies) and comes back up with its next reply, whether to a query or to a
// background probe. While it is down no query is sent to it; claimProbe() elects one caller
// per `probe_interval_ms` across all workers (a compare-and-swap on the next probe time), so
// a dead target gets one probe per interval in total, not one per worker.
//
// Smoothed RTT: the first sample is taken as is, then srtt = 7/8 srtt + 1/8 sample (as Unbound
// and BIND do, and as resolver/server_table.h does for authoritative servers).
//
// Thread safety: every member of TargetState and HealthRegistry may be called from any thread.
// TargetState is lock-free (relaxed atomics: each field is a hint read by a selector, and a
// stale read costs at most one extra attempt); the registry's map is mutex-guarded and only
// touched when a worker meets a target for the first time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common/net.h"

namespace vpcdns::forwarder {

struct HealthOptions {
  uint32_t failure_threshold = 3;     // consecutive failures that mark a target down (0 acts as 1)
  uint32_t probe_interval_ms = 2000;  // between probes of a down target, all workers together
  // Milliseconds on a monotonic clock; tests inject their own. Default: steady_clock.
  std::function<uint64_t()> now_ms;
};

// Hash of a target address for unordered maps. Targets come from the configuration, not from
// the network, so the hash need not resist chosen collisions.
struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const;
};

// One per target address:port, shared by every worker through HealthRegistry.
class TargetState {
 public:
  // Shares the registry's options (the state may outlive the registry in a worker's hands).
  explicit TargetState(std::shared_ptr<const HealthOptions> options);
  TargetState(const TargetState&) = delete;
  TargetState& operator=(const TargetState&) = delete;

  bool up() const { return !down_.load(std::memory_order_relaxed); }
  // A reply arrived (any RCODE) after `rtt_us`: clears the failure count, marks the target up
  // and folds the sample into the smoothed RTT.
  void reportSuccess(uint32_t rtt_us);
  // A timeout, network error or unusable reply. The `failure_threshold`-th consecutive one
  // marks the target down; its first probe is then due one probe interval later.
  void reportFailure();
  uint32_t srttUs() const { return srtt_us_.load(std::memory_order_relaxed); }  // 0: unknown
  uint32_t consecutiveFailures() const { return failures_.load(std::memory_order_relaxed); }
  // True for exactly one caller per probe interval while the target is down and a probe is
  // due at `now_ms`; false when the target is up.
  bool claimProbe(uint64_t now_ms);
  // When the last probe was claimed (the registry's clock, ms); 0: never probed.
  uint64_t lastProbeMs() const { return last_probe_ms_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<const HealthOptions> options_;
  std::atomic<bool> down_{false};
  std::atomic<uint32_t> failures_{0};
  std::atomic<uint32_t> srtt_us_{0};
  std::atomic<uint64_t> next_probe_ms_{0};
  std::atomic<uint64_t> last_probe_ms_{0};
};

class HealthRegistry {
 public:
  explicit HealthRegistry(HealthOptions options = {});
  HealthRegistry(const HealthRegistry&) = delete;
  HealthRegistry& operator=(const HealthRegistry&) = delete;

  // The state of `target`, created on first use; the same object for the same address and
  // port, for as long as the registry lives (targets are few: they come from the rules).
  std::shared_ptr<TargetState> get(const SocketAddress& target);

  const HealthOptions& options() const { return *options_; }
  uint64_t nowMs() const { return options_->now_ms(); }

 private:
  std::shared_ptr<const HealthOptions> options_;
  std::mutex mu_;
  std::unordered_map<SocketAddress, std::shared_ptr<TargetState>, SocketAddressHash> targets_;
};

}  // namespace vpcdns::forwarder
