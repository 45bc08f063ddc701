// UdpListener: answers DNS over UDP on one socket of one worker.
//
// Thread affinity: constructed on the main thread, start()/close() and every callback run on the
// owning worker's loop thread. The receive batch buffer and the reply buffers are members, so a
// query answered by the pipeline costs no heap allocation here.
//
// Replies to one recvmmsg batch are kept (one slot per datagram) and leave in one sendmmsg when
// libuv marks the end of the batch: two system calls for up to kBatch queries instead of one
// per query each way. Replies completed later (resolver, forwarder) leave at once.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>

#include "server/pipeline.h"

namespace vpcdns::server {

class UdpListener final : public ReplySink {
 public:
  UdpListener(int fd, size_t listener_index, Pipeline& pipeline);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Adopts the fd into `loop` and starts reading (recvmmsg in batches).
  bool start(uv_loop_t* loop);
  void close();

  uint64_t sendFailures() const { return send_failures_; }

  // A reply completed after the query's turn (resolver, forwarder).
  void sendLater(const ClientInfo& client, std::span<const uint8_t> reply) override;

 private:
  static constexpr size_t kDatagramSlot = 64 * 1024;  // libuv slices the buffer this way
  static constexpr size_t kBatch = 8;                 // datagrams per recvmmsg

  static constexpr size_t kMaxReply = 65535;

  void onRead(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr);
  // Sends the replies kept for this batch (sendmmsg), counting the ones the kernel refused.
  void flush();

  int fd_;
  size_t listener_index_;
  Pipeline& pipeline_;
  uv_udp_t handle_{};
  bool open_ = false;
  uint64_t send_failures_ = 0;
  std::unique_ptr<uint8_t[]> batch_;    // kBatch * kDatagramSlot
  std::unique_ptr<uint8_t[]> replies_;  // kBatch * kMaxReply, one slot per kept reply
  std::array<sockaddr_storage, kBatch> peers_{};
  std::array<iovec, kBatch> iov_{};
  std::array<mmsghdr, kBatch> out_{};
  size_t pending_ = 0;  // replies kept in replies_ / out_
};

}  // namespace vpcdns::server
