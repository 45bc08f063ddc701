// Transport: how the resolver talks to authoritative servers. The resolution logic only sees
// this interface; the real one (NetTransport, on a libuv loop) sends UDP from a fresh socket
// per query and TCP when asked, and tests substitute a scripted one.
//
// What "a reply" means here (the anti-spoofing rules of RFC 5452): a datagram or TCP message
// that comes from the address and port queried, carries the query's ID, and repeats the
// query's question byte for byte (so the 0x20 case pattern of the name is checked too).
// Anything else arriving on a UDP query's socket is ignored and counted; the query keeps
// waiting for the real reply until its timeout. Over TCP (one query per connection) a message
// that fails the checks ends the query with kNetwork.
//
// Thread affinity: one Transport per worker loop; every call and callback on that loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/net.h"

namespace vpcdns::resolver {

enum class UpstreamError : uint8_t {
  kNone,     // `reply` holds the verified reply (any RCODE, maybe with TC set)
  kTimeout,  // nothing acceptable arrived in time
  kNetwork,  // could not send, port unreachable, connection refused or reset, TCP framing broken
};

struct UpstreamResult {
  UpstreamError error = UpstreamError::kNone;
  std::vector<uint8_t> reply;
  uint32_t rtt_us = 0;  // from send to the accepted reply (or to the failure)
};

// Called exactly once per send() that was not cancelled, always from the loop (never from
// inside send() itself).
using UpstreamCallback = std::function<void(UpstreamResult&&)>;

struct TransportStats {
  uint64_t udp_sent = 0;
  uint64_t tcp_sent = 0;
  uint64_t timeouts = 0;
  uint64_t network_errors = 0;
  uint64_t ignored = 0;  // UDP datagrams that failed the checks above (spoof, garbage)
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `query` (a whole DNS message; copied) to `server`, over TCP if `tcp` (one connection
  // per query, RFC 1035 §4.2.2 framing), else UDP from a new socket with a kernel-chosen random
  // source port. Gives up after `timeout_ms`. Returns a handle for cancel().
  virtual uint64_t send(const SocketAddress& server, std::span<const uint8_t> query, bool tcp,
                        uint32_t timeout_ms, UpstreamCallback done) = 0;

  // Forgets a query in flight; its callback is not called. Unknown handles are ignored.
  virtual void cancel(uint64_t handle) = 0;

  virtual TransportStats stats() const = 0;
};

}  // namespace vpcdns::resolver
