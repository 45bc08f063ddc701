// ServerTable: what the resolver knows about each authoritative server address (Unbound's
// infra cache, BIND's ADB): smoothed round-trip time, and whether it is being avoided.
//
// Selection (choose()): among the candidates, servers that are held down are skipped unless
// nothing else is left; the rest are ranked by smoothed RTT, where a server never heard from
// counts as a random value between 0 and the initial timeout (so unknown servers get tried,
// BIND's way), and with a small probability (5%) a random usable candidate is picked instead of
// the best (exploration, so a server that got faster is noticed).
// Timeouts (timeoutMs()): about 2x SRTT + 50 ms, clamped to [min, max]; each consecutive
// timeout doubles it (backoff). After `holddown_after` consecutive timeouts, or one REFUSED,
// SERVFAIL or lame reply (reportFailure()), the server is held down for `holddown_ms`, then
// tried again (it leaves hold-down on its first good reply, or gets held down again).
//
// Thread safety: every member may be called from any thread; state is sharded by address, one
// mutex per shard, never two locks at once.
#pragma once

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
  // Milliseconds on a monotonic clock; tests inject their own. Default: steady_clock.
  std::function<uint64_t()> now_ms;
};

struct ServerInfo {
  bool known = false;      // any sample (RTT or failure) recorded
  uint32_t srtt_us = 0;    // smoothed RTT (valid when a reply was ever seen)
  uint32_t timeouts = 0;   // consecutive
  bool held_down = false;  // at the time of the call
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

  void reportRtt(const IpAddress& server, uint32_t rtt_us);   // a usable reply arrived
  void reportTimeout(const IpAddress& server);                // nothing came back in time
  void reportFailure(const IpAddress& server);                // REFUSED, SERVFAIL, lame, garbage

  ServerInfo info(const IpAddress& server) const;

 private:
  struct Shard;
  ServerTableOptions options_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace vpcdns::resolver
