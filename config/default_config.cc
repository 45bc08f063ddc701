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

# VPCs: the clients that see the same private zones. A client's VPC is its listener's (listen[].vpc)
# or the VPC whose CIDRs match its source address most specifically. Here, loopback clients.
vpcs:
  - id: local
    cidrs: [127.0.0.0/8, "::1/128"]

# Private zones answer only the VPCs they are associated with. A sample, to try:
#   dig @127.0.0.1 -p 5353 www.example.internal
zones:
  - name: example.internal
    vpcs: [local]
    records:
      - {name: "@", type: TXT, values: ['"vpcdns sample private zone"']}
      - {name: "@", type: MX, values: ["10 mail"]}
      - {name: www, type: A, values: [10.0.0.10, 10.0.0.11]}
      - {name: db, type: A, ttl: 60, values: [10.0.3.7]}
      - {name: mail, type: A, values: [10.0.0.25]}
      - {name: app, type: CNAME, values: [www]}
      - {name: "*.apps", type: A, values: [10.0.9.9]}
)yaml";

}  // namespace vpcdns::config
