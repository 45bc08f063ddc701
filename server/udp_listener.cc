#include "server/udp_listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace vpcdns::server {

UdpListener::UdpListener(int fd, size_t listener_index, Pipeline& pipeline)
    : fd_(fd),
      listener_index_(listener_index),
      pipeline_(pipeline),
      batch_(new uint8_t[kBatch * kDatagramSlot]),
      reply_(std::make_unique<std::array<uint8_t, 65535>>()) {}

bool UdpListener::start(uv_loop_t* loop) {
  int rc = uv_udp_init_ex(loop, &handle_, AF_UNSPEC | UV_UDP_RECVMMSG);
  if (rc == 0) {
    open_ = true;
    handle_.data = this;
    rc = uv_udp_open(&handle_, fd_);
  } else {
    ::close(fd_);
  }
  if (rc == 0) {
    rc = uv_udp_recv_start(
        &handle_,
        [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
          auto* self = static_cast<UdpListener*>(h->data);
          *buf = uv_buf_init(reinterpret_cast<char*>(self->batch_.get()),
                             static_cast<unsigned>(kBatch * kDatagramSlot));
        },
        [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
           unsigned flags) noexcept {
          if (flags & UV_UDP_PARTIAL) return;  // larger than any DNS message: drop
          static_cast<UdpListener*>(h->data)->onRead(nread, buf, addr);
        });
  }
  if (rc != 0) spdlog::error("udp listener: {}", uv_strerror(rc));
  return rc == 0;
}

void UdpListener::onRead(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr) {
  // nread == 0 with addr == nullptr marks the end of a batch; the buffer is ours, not freed.
  if (nread <= 0 || addr == nullptr) return;
  ClientInfo client{SocketAddress::fromSockaddr(addr), Transport::kUdp, listener_index_, this, 0};
  const std::span<const uint8_t> packet(reinterpret_cast<const uint8_t*>(buf->base),
                                        static_cast<size_t>(nread));
  const size_t n = pipeline_.handle(packet, client, *reply_);
  if (n == 0) return;
  uv_buf_t out = uv_buf_init(reinterpret_cast<char*>(reply_->data()), static_cast<unsigned>(n));
  // A full socket buffer drops the reply, as the network could; the client retries.
  if (uv_udp_try_send(&handle_, &out, 1, addr) < 0) ++send_failures_;
}

void UdpListener::sendLater(const ClientInfo& client, std::span<const uint8_t> reply) {
  if (!open_) return;
  sockaddr_storage ss{};
  client.address.toSockaddr(ss);
  uv_buf_t out = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(reply.data())),
                             static_cast<unsigned>(reply.size()));
  if (uv_udp_try_send(&handle_, &out, 1, reinterpret_cast<const sockaddr*>(&ss)) < 0) {
    ++send_failures_;
  }
}

void UdpListener::close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

}  // namespace vpcdns::server
