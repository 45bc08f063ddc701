// ServerTable: what the resolver knows about each authoritative server address (Unbound's
// infra cache, BIND's ADB): smoothed round-trip time, and whether it is being avoided.
//
// Smoothed RTT: the first sample is taken as is, then srtt = 7/8 srtt + 1/8 sample (Unbound,
// BIND).
// Selection (choose()): among the candidates, servers that are held down are skipped unless
// nothing else is left; the rest are ranked by smoothed RTT, where a server never heard from
// counts as a random value between 0 and the initial timeout (so unknown servers get tried,
// BIND's way; drawn once per server, so repeated calls agree), a server that timed out without
// ever replying counts as the initial timeout, and each consecutive timeout doubles the rank as
// it doubles the timeout. With a small probability (explore_percent) a random usable candidate
// is picked instead of the best (exploration, so a server that got faster is noticed). Ties go
// to the earlier candidate.
// Timeouts (timeoutMs()): 2x SRTT + 50 ms (the initial timeout before any RTT sample), doubled
// per consecutive timeout (backoff), clamped to [min, max]. After `holddown_after` consecutive
// timeouts, or one REFUSED, SERVFAIL or lame reply (reportFailure()), the server is held down
// for `holddown_ms`, then tried again (it leaves hold-down on its first good reply, which also
// resets the timeout count, or gets held down again by its next timeout or failure).
// EDNS: a server that answered an EDNS query with FORMERR/NOTIMP and no OPT (reportNoEdns())
// is asked without EDNS for `no_edns_ms` (Unbound keeps such facts for infra-host-ttl, 15 min),
// then with EDNS again, in case it was upgraded.
// Size: at most about `max_servers` addresses are remembered (least recently used forgotten
// first, per shard), since the addresses come from data anyone can publish.
//
// Thread safety: every member may be called from any thread; state is sharded by address, one
// mutex per shard, never two locks at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "common/net.h"

namespace vpcdns::resolver {

struct ServerTableOptions {
  uint32_t initial_timeout_ms = 800;  // for a server with no RTT sample yet
  uint32_t min_timeout_ms = 50;
  uint32_t max_timeout_ms = 4000;
  uint32_t holddown_after = 3;  // consecutive timeouts
  uint32_t holddown_ms = 60000;
  uint32_t explore_percent = 5;
  uint32_t no_edns_ms = 900000;
  size_t max_servers = 100000;  // remembered addresses, in all shards together
  // Milliseconds on a monotonic clock; tests inject their own. Default: steady_clock.
  std::function<uint64_t()> now_ms;
};

struct ServerInfo {
  bool known = false;      // any sample (RTT or failure) recorded
  uint32_t srtt_us = 0;    // smoothed RTT (valid when a reply was ever seen)
  uint32_t timeouts = 0;   // consecutive
  bool held_down = false;  // at the time of the call
  bool no_edns = false;    // at the time of the call: ask it without EDNS
};

class ServerTable {
 public:
  explicit ServerTable(ServerTableOptions options = {});
  ~ServerTable();
  ServerTable(const ServerTable&) = delete;
  ServerTable& operator=(const ServerTable&) = delete;

  // Index into `candidates` of the server to ask next; candidates.size() when it is empty.
  size_t choose(std::span<const IpAddress> candidates) const;

  uint32_t timeoutMs(const IpAddress& server) const;

  void reportRtt(const IpAddress& server, uint32_t rtt_us);  // a usable reply arrived
  void reportTimeout(const IpAddress& server);               // nothing came back in time
  void reportFailure(const IpAddress& server);               // REFUSED, SERVFAIL, lame, garbage
  void reportNoEdns(const IpAddress& server);                // FORMERR/NOTIMP without OPT to EDNS

  ServerInfo info(const IpAddress& server) const;

 private:
  struct Shard;
  Shard& shardOf(const IpAddress& server) const;

  ServerTableOptions options_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace vpcdns::resolver
