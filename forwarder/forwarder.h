// Forwarder: sends a question to the targets of a forwarding rule (on-premises DNS servers) and
// hands back the first reply, with failover between targets and background probes of dead ones.
//
// Transport: c-ares 1.18.1 on the worker's libuv loop, one ares channel per (target, source
// address, timeout), each configured for a single server with tries=1, so that c-ares only
// moves bytes (UDP, and TCP when a reply is truncated) and every decision about which target to
// ask, when to give up on one and when to try it again is made here, from the shared health
// table (health.h). c-ares 1.18.1 keeps no memory of a dead server and would pay its timeout
// on every query (docs: ../shared/notes/libraries.md §2, beside the repo).
//
// Per query: a fresh random ID per attempt, RD=1, the caller's CD bit, and an OPT RR (UDP size
// 1232, DO clear, no options; always the last 11 bytes, which is what c-ares' FORMERR fallback
// strips). Attempts go to one target at a time, chosen among the untried targets that are up;
// a timeout or network error is reported to the target's health and the next one is tried, so
// a dead target costs a query at most one timeout. Any reply (any RCODE) is a success and is
// delivered as it came, its ID being the one this attempt sent (the caller restores the
// client's). A channel is replaced after kQueriesPerChannel queries so that its UDP source port
// changes under steady load (c-ares 1.18.1 keeps one UDP socket per server while busy); the old
// one drains and is destroyed.
//
// Thread affinity: constructed, used and destroyed on the loop thread; the HealthRegistry is
// shared with the other workers and must outlive the Forwarder. Callbacks run on the loop
// thread, never inside forward(). A callback may call forward() and close(), but must not
// destroy the Forwarder.
// Shutdown: close() (also run by the destructor) drops every query in flight without calling
// its callback, destroys the channels and closes every handle; the loop must run afterwards
// until those handles are closed (their close callbacks never touch the Forwarder), then
// uv_loop_close() succeeds.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/counter.h"
#include "common/net.h"
#include "common/rtt_histogram.h"
#include "dns/message.h"
#include "forwarder/health.h"

namespace vpcdns::forwarder {

// kOrder: the first up target in list order (primary, then backups).
// kRtt: the up target with the lowest smoothed RTT, targets never heard from first, ties in list
// order; with probability kExplorePercent a random up target instead, so that a target that got
// faster is noticed.
enum class Selection : uint8_t { kOrder, kRtt };

inline constexpr uint32_t kExplorePercent = 5;
inline constexpr uint32_t kQueriesPerChannel = 256;  // then a new channel, a new source port
inline constexpr uint16_t kUpstreamEdnsSize = 1232;  // advertised to targets (DNS flag day 2020)

// What one rule says; forward() copies what it needs.
struct ForwardPolicy {
  std::vector<SocketAddress> targets;  // duplicates are ignored
  Selection selection = Selection::kRtt;
  uint32_t timeout_ms = 1000;  // per attempt
  // Outbound source address. A target of the other address family cannot be reached from it:
  // it is skipped (counted in Stats::errors, not held against the target's health).
  std::optional<IpAddress> source;
};

struct ForwardResult {
  enum class Status : uint8_t {
    kReply,    // `reply` holds the raw reply of `target` (any RCODE)
    kAllDown,  // no target was up when forward() was called; nothing was sent
    kFailed,   // every target tried timed out or failed
  };
  Status status = Status::kFailed;
  std::vector<uint8_t> reply;  // kReply: as received; its ID is the one we sent
  SocketAddress target;        // kReply: who answered
  uint32_t attempts = 0;       // targets tried
};

using ForwardCallback = std::function<void(ForwardResult&&)>;

// What the forwarding targets did with the client queries sent to them (probes not counted):
// written on the loop thread, readable from any thread (the admin API's /metrics).
struct UpstreamCounters {
  Counter replies;   // attempts answered (any RCODE)
  Counter timeouts;  // attempts that timed out
  Counter errors;    // attempts that failed otherwise (refused connection, unusable reply...)
  RttHistogram rtt;  // round-trip time of the replies
};

class Forwarder {
 public:
  // `counters`, if given, must outlive the Forwarder (the owner keeps it readable by others).
  Forwarder(uv_loop_t* loop, HealthRegistry& health, UpstreamCounters* counters = nullptr);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Asks the policy's targets about `q` (see the file comment). `done` is called exactly once,
  // from the loop and never inside forward(), unless close() comes first (then never). When no
  // target is up, kAllDown is delivered on the next loop iteration without any traffic.
  // Ignored after close().
  void forward(const ForwardPolicy& policy, const dns::Question& q, bool cd, ForwardCallback done);

  // Drops every query in flight (their callbacks are NOT called), stops the probes, destroys the
  // channels and closes every handle. Idempotent. The loop must run afterwards.
  void close();

  // Loop thread only.
  struct Stats {
    uint64_t queries = 0;   // forward() calls
    uint64_t replies = 0;   // kReply results
    uint64_t timeouts = 0;  // attempts (not probes) that timed out
    uint64_t errors = 0;    // attempts (not probes) that failed otherwise
    uint64_t all_down = 0;  // kAllDown results
    uint64_t probes = 0;    // probes sent
  };
  const Stats& stats() const { return stats_; }
  // Any thread.
  const UpstreamCounters& counters() const { return *counters_; }

  // Queries not yet delivered (probes included); channels alive (retired ones included).
  size_t inFlight() const { return queries_.size() + deferred_.size(); }
  size_t channelCount() const { return all_channels_.size(); }

  struct Channel;  // one c-ares channel and its libuv handles (defined in the .cc)
  struct Query;    // one forward() or probe (defined in the .cc)

 private:
  friend struct Channel;
  friend struct Query;

  struct ChannelKey {
    SocketAddress target;
    std::optional<IpAddress> source;
    uint32_t timeout_ms = 0;
    bool operator==(const ChannelKey&) const = default;
  };
  struct ChannelKeyHash {
    size_t operator()(const ChannelKey& k) const;
  };
  // What this worker knows of a target it has used: for probing it through the channel of the
  // most recent query.
  struct TargetUse {
    std::shared_ptr<TargetState> state;
    std::optional<IpAddress> source;
    uint32_t timeout_ms = 0;
    bool probing = false;  // a probe from this worker is in flight
  };

  TargetUse& targetUse(const SocketAddress& target, const ForwardPolicy& policy);
  Channel* channelFor(const ChannelKey& key);
  void startNext(Query* q);
  size_t pick(const Query& q) const;
  void onAttemptDone(Query* q, int status, const uint8_t* abuf, int alen);
  void finish(Query* q, ForwardResult::Status status);
  void deliver(Query* q);
  void sendProbe(const SocketAddress& target, TargetUse& use);
  void onProbeTimer();
  void drainDeferred();

  uv_loop_t* loop_;
  HealthRegistry& health_;
  uv_timer_t* probe_timer_ = nullptr;  // heap: closed by close(), freed by its close callback
  uv_timer_t* defer_timer_ = nullptr;  // delivers results decided inside forward()
  std::unordered_map<ChannelKey, Channel*, ChannelKeyHash> channels_;  // current per key
  std::unordered_set<Channel*> all_channels_;                          // current and retired
  std::unordered_set<Query*> queries_;  // undecided (probes included)
  std::deque<Query*> deferred_;         // decided, waiting for defer_timer_
  std::unordered_map<SocketAddress, TargetUse, SocketAddressHash> targets_;
  int forward_depth_ = 0;  // > 0 while inside forward(): results wait for the loop
  bool closed_ = false;
  Stats stats_;
  UpstreamCounters own_counters_;  // used when the constructor is given none
  UpstreamCounters* counters_ = nullptr;
};

}  // namespace vpcdns::forwarder
