// IP addresses, socket addresses and prefixes (CIDRs), IPv4 and IPv6.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vpcdns {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are kept as IPv6; use
// unmapped() before matching against IPv4 prefixes.
class IpAddress {
 public:
  IpAddress() = default;
  static std::optional<IpAddress> parse(std::string_view text);  // "10.0.0.1", "::1"
  static IpAddress fromSockaddr(const sockaddr* sa);             // AF_INET / AF_INET6 only
  // 4 octets: IPv4; 16: IPv6 (network order). Any other size gives an unspecified address.
  static IpAddress fromBytes(std::span<const uint8_t> bytes);

  bool isV4() const { return family_ == AF_INET; }
  bool isV6() const { return family_ == AF_INET6; }
  int family() const { return family_; }
  // 4 or 16 octets in network order.
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return isV4() ? 4 : 16; }
  IpAddress unmapped() const;  // ::ffff:a.b.c.d -> a.b.c.d; otherwise itself
  std::string toString() const;

  bool operator==(const IpAddress&) const = default;

 private:
  int family_ = AF_UNSPEC;
  std::array<uint8_t, 16> bytes_{};
};

// Address plus port, convertible to a sockaddr for bind/sendto.
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, uint16_t port) : ip_(ip), port_(port) {}
  // "127.0.0.1:53", "[::1]:53"; without a port, `default_port` is used ("10.0.0.2", "::1").
  static std::optional<SocketAddress> parse(std::string_view text, uint16_t default_port);
  static SocketAddress fromSockaddr(const sockaddr* sa);

  const IpAddress& ip() const { return ip_; }
  uint16_t port() const { return port_; }
  // Fills `out`; returns the length to pass to bind()/sendto().
  socklen_t toSockaddr(sockaddr_storage& out) const;
  std::string toString() const;  // "127.0.0.1:53", "[::1]:53"

  bool operator==(const SocketAddress&) const = default;

 private:
  IpAddress ip_;
  uint16_t port_ = 0;
};

// A network prefix "10.0.0.0/8", "::1/128"; a bare address means a host prefix.
class IpPrefix {
 public:
  static std::optional<IpPrefix> parse(std::string_view text);
  // IPv4 prefixes also match IPv4-mapped IPv6 addresses.
  bool contains(const IpAddress& addr) const;
  unsigned length() const { return len_; }
  const IpAddress& network() const { return net_; }
  std::string toString() const;
  bool operator==(const IpPrefix&) const = default;

 private:
  IpAddress net_;  // host bits zeroed
  unsigned len_ = 0;
};

}  // namespace vpcdns
