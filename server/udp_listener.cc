#include "server/udp_listener.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vpcdns::server {

UdpListener::UdpListener(int fd, size_t listener_index, Pipeline& pipeline)
    : fd_(fd),
      listener_index_(listener_index),
      pipeline_(pipeline),
      batch_(new uint8_t[kBatch * kDatagramSlot]),
      replies_(new uint8_t[kBatch * kMaxReply]) {}

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
  // nread == 0 with addr == nullptr marks the end of a batch (or nothing to read): the kept
  // replies leave now. The buffer is ours, not freed.
  if (addr == nullptr) {
    flush();
    return;
  }
  if (nread <= 0) return;
  ClientInfo client{SocketAddress::fromSockaddr(addr), Transport::kUdp, listener_index_, this, 0};
  const std::span<const uint8_t> packet(reinterpret_cast<const uint8_t*>(buf->base),
                                        static_cast<size_t>(nread));
  if (pending_ == kBatch) flush();  // libuv gave more than one batch without a mark: never so
  const std::span<uint8_t> slot(replies_.get() + pending_ * kMaxReply, kMaxReply);
  const size_t n = pipeline_.handle(packet, client, slot);
  if (n == 0) return;
  const socklen_t addr_len =
      addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&peers_[pending_], addr, addr_len);
  iov_[pending_] = {slot.data(), n};
  msghdr& h = out_[pending_].msg_hdr;
  h = msghdr{};
  h.msg_name = &peers_[pending_];
  h.msg_namelen = addr_len;
  h.msg_iov = &iov_[pending_];
  h.msg_iovlen = 1;
  ++pending_;
}

void UdpListener::flush() {
  size_t sent = 0;
  while (sent < pending_) {
    const int rc =
        ::sendmmsg(fd_, out_.data() + sent, static_cast<unsigned>(pending_ - sent), MSG_DONTWAIT);
    if (rc > 0) {
      sent += static_cast<size_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    // A full socket buffer (EAGAIN) drops what is left, as the network could (the clients
    // retry); any other error drops the reply it stopped at, and the rest still go.
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      send_failures_ += pending_ - sent;
      break;
    }
    ++send_failures_;
    ++sent;
  }
  pending_ = 0;
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
