// Listening sockets created on the main thread, before the workers start, so that a bad address
// or a port in use is reported at start-up with the address that failed.
#pragma once

#include <string>

#include "common/net.h"
#include "common/result.h"

namespace vpcdns::server {

enum class SocketKind { kUdp, kTcp };

struct SocketOptions {
  int recv_buffer = 0;  // SO_RCVBUF for UDP; 0 = kernel default
  int backlog = 1024;   // TCP listen backlog
};

// Creates a non-blocking socket with SO_REUSEPORT (one per worker on the same address; the
// kernel spreads clients over them), IPV6_V6ONLY for IPv6, bound (and listening, for TCP).
// Returns the fd, or a message naming the address and the system error.
Result<int, std::string> openListeningSocket(SocketKind kind, const SocketAddress& addr,
                                             const SocketOptions& opts);

// The address a socket is bound to (port 0 resolved to the kernel's choice).
SocketAddress boundAddress(int fd);

}  // namespace vpcdns::server
