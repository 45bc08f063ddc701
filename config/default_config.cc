// The configuration used when no file is given; also a commented starting point for users
// (`vpcdns --print-default-config` style tooling can print it verbatim).
#include "config/config.h"

namespace vpcdns::config {

const std::string_view kDefaultConfigYaml = R"yaml(# vpcdns configuration (the built-in default).
# Every key is optional; the values below are the defaults.
# Reference: README.md, section "Configuration".

server:
  # Addresses to answer on, over UDP and TCP. IPv6 needs brackets when a port is given.
  listen:
    - address: 127.0.0.1:5353
  # Worker threads: "auto" is one per CPU core.
  workers: auto
  # Clients outside these prefixes are answered with REFUSED.
  allow: [127.0.0.0/8, "::1/128"]
  # Largest UDP payload advertised and accepted with EDNS (DNS Flag Day 2020 value).
  edns_udp_size: 1232
  # A TCP connection with no query for this long is closed.
  tcp_idle_timeout_ms: 10000
  # Open TCP connections per worker thread.
  tcp_max_connections: 1024
  # Queries answered concurrently on one TCP connection.
  tcp_max_pipelined: 64
  # SO_RCVBUF for UDP sockets; 0 keeps the kernel default.
  udp_recv_buffer: 0

logging:
  level: info      # trace, debug, info, warn, error, critical, off
  format: text     # text or json
)yaml";

}  // namespace vpcdns::config
