#include "server/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vpcdns::server {

namespace {

Unexpected<std::string> sysError(const char* what, SocketKind kind, const SocketAddress& addr) {
  const int err = errno;
  return fail(std::string(what) + " " + (kind == SocketKind::kUdp ? "udp " : "tcp ") +
              addr.toString() + ": " + std::strerror(err));
}

bool setInt(int fd, int level, int opt, int value) {
  return setsockopt(fd, level, opt, &value, sizeof value) == 0;
}

}  // namespace

Result<int, std::string> openListeningSocket(SocketKind kind, const SocketAddress& addr,
                                             const SocketOptions& opts) {
  const int family = addr.ip().family();
  const int type =
      (kind == SocketKind::kUdp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  const int fd = socket(family, type, 0);
  if (fd < 0) return sysError("socket", kind, addr);

  bool ok = setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1) && setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (ok && family == AF_INET6) ok = setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  if (ok && kind == SocketKind::kUdp && opts.recv_buffer > 0) {
    ok = setInt(fd, SOL_SOCKET, SO_RCVBUF, opts.recv_buffer);
  }
  if (!ok) {
    auto e = sysError("setsockopt", kind, addr);
    close(fd);
    return e;
  }
  sockaddr_storage ss{};
  const socklen_t len = addr.toSockaddr(ss);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    auto e = sysError("bind", kind, addr);
    close(fd);
    return e;
  }
  if (kind == SocketKind::kTcp && listen(fd, opts.backlog) != 0) {
    auto e = sysError("listen", kind, addr);
    close(fd);
    return e;
  }
  return fd;
}

SocketAddress boundAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss));
}

}  // namespace vpcdns::server
