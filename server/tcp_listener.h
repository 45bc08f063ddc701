// TcpListener: DNS over TCP (RFC 1035 §4.2.2, RFC 7766) on one socket of one worker.
//
// Each connection carries any number of queries, each framed by a 2-byte length; several may be
// in flight at once (pipelining) and replies may leave in any order. A connection is closed when
// idle for tcp_idle_timeout_ms, when the client closes, or on a framing error. At most
// tcp_max_connections per listener per worker: beyond that new connections are closed at once.
// At most tcp_max_pipelined replies may be waiting to be written before reading pauses.
//
// Thread affinity: all methods and callbacks run on the owning worker's loop thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "config/config.h"
#include "server/pipeline.h"

namespace vpcdns::server {

class TcpConnection;

class TcpListener final : public ReplySink {
 public:
  TcpListener(int fd, size_t listener_index, Pipeline& pipeline,
              const config::ServerSection& limits);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  bool start(uv_loop_t* loop);
  // Stops accepting and closes every connection.
  void close();

  size_t connections() const { return conns_.size(); }

  // A reply completed after the query's turn: written on its connection if that is still open.
  void sendLater(const ClientInfo& client, std::span<const uint8_t> reply) override;

 private:
  friend class TcpConnection;
  void onConnection();
  void forget(TcpConnection* c);

  int fd_;
  size_t listener_index_;
  Pipeline& pipeline_;
  const config::ServerSection& limits_;
  uv_loop_t* loop_ = nullptr;
  uv_tcp_t handle_{};
  bool open_ = false;
  std::unordered_map<uint64_t, TcpConnection*> conns_;  // by serial number
  uint64_t next_serial_ = 1;
  std::unique_ptr<uint8_t[]> reply_;  // 65535: scratch for the pipeline
};

}  // namespace vpcdns::server
