// NetTransport: the real Transport on a libuv loop (see transport.h for the contract).
//
// UDP: one uv_udp_t per query, bound to port 0 of the wildcard address of the server's family
// (the kernel picks a random ephemeral port, RFC 6056) and connect()ed to the server, so the
// kernel already drops datagrams from other addresses and reports ICMP port unreachable as
// kNetwork; the ID and question are checked here.
// TCP: one uv_tcp_t per query, closed after the reply; the timeout covers connect and reply.
// `query` must hold exactly one question (QDCOUNT 1), since replies are checked against it;
// anything else fails with kNetwork (from the loop, like every failure).
//
// Thread affinity: constructed, used and destroyed on the loop thread. close() (also run by the
// destructor) closes the handles of the queries in flight; the loop must run once more to free
// them (their close callbacks never touch the transport) before uv_loop_close().
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/counter.h"
#include "resolver/transport.h"

namespace vpcdns::resolver {

class NetTransport final : public Transport {
 public:
  explicit NetTransport(uv_loop_t* loop);
  ~NetTransport() override;
  NetTransport(const NetTransport&) = delete;
  NetTransport& operator=(const NetTransport&) = delete;

  uint64_t send(const SocketAddress& server, std::span<const uint8_t> query, bool tcp,
                uint32_t timeout_ms, UpstreamCallback done) override;
  void cancel(uint64_t handle) override;
  TransportStats stats() const override { return stats_; }

  // Cancels everything in flight (no callbacks) and closes the handles.
  void close();

  size_t inFlight() const { return queries_.size(); }

  // Also counts ignored datagrams into `counter` (readable from other threads); may be null.
  void setIgnoredCounter(Counter* counter) { ignored_counter_ = counter; }

  struct Query;  // one query in flight (defined in the .cc)

 private:
  friend struct Query;
  void finish(Query* q, UpstreamResult&& result);

  uv_loop_t* loop_;
  uint64_t next_handle_ = 1;
  std::unordered_map<uint64_t, Query*> queries_;
  TransportStats stats_;
  Counter* ignored_counter_ = nullptr;
  std::vector<uint8_t> udp_buffer_;  // every UDP read lands here first (one read at a time)
};

}  // namespace vpcdns::resolver
