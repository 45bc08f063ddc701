#include "common/net.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vpcdns {
namespace {

// inet_pton needs a NUL-terminated string; the longest valid IPv6 text is 45 characters.
constexpr size_t kMaxAddressText = INET6_ADDRSTRLEN;

// Plain decimal digits only (no sign, spaces or "0x"), at most `max`.
std::optional<unsigned> parseDecimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

std::optional<uint16_t> parsePort(std::string_view text) {
  auto value = parseDecimal(text, 65535);
  if (!value) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

// IpAddress keeps its bytes private; a sockaddr is the public way to build one from raw bytes.
IpAddress addressFromBytes(int family, const uint8_t* bytes) {
  if (family == AF_INET) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, bytes, 4);
    return IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin));
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, bytes, 16);
  return IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin6));
}

}  // namespace

// ---- IpAddress ------------------------------------------------------------------------------

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= kMaxAddressText) return std::nullopt;
  char buf[kMaxAddressText] = {};
  std::memcpy(buf, text.data(), text.size());
  if (std::memchr(buf, '\0', text.size()) != nullptr) return std::nullopt;  // embedded NUL

  IpAddress addr;
  // A colon can only appear in IPv6 text; inet_pton(AF_INET) accepts dotted quads only.
  addr.family_ = text.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
  if (inet_pton(addr.family_, buf, addr.bytes_.data()) != 1) return std::nullopt;
  return addr;
}

IpAddress IpAddress::fromBytes(std::span<const uint8_t> bytes) {
  IpAddress addr;
  if (bytes.size() != 4 && bytes.size() != 16) return addr;
  addr.family_ = bytes.size() == 4 ? AF_INET : AF_INET6;
  std::memcpy(addr.bytes_.data(), bytes.data(), bytes.size());
  return addr;
}

IpAddress IpAddress::fromSockaddr(const sockaddr* sa) {
  IpAddress addr;
  if (sa == nullptr) return addr;
  // memcpy rather than casts: the caller's buffer need not be aligned for sockaddr_in6.
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    addr.family_ = AF_INET;
    std::memcpy(addr.bytes_.data(), &sin.sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    addr.family_ = AF_INET6;
    std::memcpy(addr.bytes_.data(), &sin6.sin6_addr, 16);
  }
  return addr;
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!isV6() || std::memcmp(bytes_.data(), kMappedPrefix, sizeof kMappedPrefix) != 0) {
    return *this;
  }
  IpAddress v4;
  v4.family_ = AF_INET;
  std::memcpy(v4.bytes_.data(), bytes_.data() + 12, 4);
  return v4;
}

std::string IpAddress::toString() const {
  if (family_ != AF_INET && family_ != AF_INET6) return "<unspec>";
  char buf[kMaxAddressText] = {};
  inet_ntop(family_, bytes_.data(), buf, sizeof buf);
  return buf;
}

// ---- SocketAddress --------------------------------------------------------------------------

std::optional<SocketAddress> SocketAddress::parse(std::string_view text, uint16_t default_port) {
  std::string_view host = text;
  std::optional<uint16_t> port = default_port;

  if (!text.empty() && text.front() == '[') {
    // "[v6]" or "[v6]:port"; brackets are for IPv6 only.
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = parsePort(rest.substr(1));
    }
    if (host.find(':') == std::string_view::npos) return std::nullopt;
  } else if (size_t colon = text.find(':');
             colon != std::string_view::npos && colon == text.rfind(':')) {
    // Exactly one colon: "v4:port". Two or more: a bare IPv6 address (a port needs brackets).
    host = text.substr(0, colon);
    port = parsePort(text.substr(colon + 1));
  }

  if (!port) return std::nullopt;
  auto ip = IpAddress::parse(host);
  if (!ip) return std::nullopt;
  return SocketAddress(*ip, *port);
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa) {
  IpAddress ip = IpAddress::fromSockaddr(sa);
  uint16_t port = 0;
  if (ip.isV4()) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    port = ntohs(sin.sin_port);
  } else if (ip.isV6()) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    port = ntohs(sin6.sin6_port);
  }
  return SocketAddress(ip, port);
}

socklen_t SocketAddress::toSockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (ip_.isV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port_);
    std::memcpy(&sin.sin_addr, ip_.bytes(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  if (ip_.isV6()) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port_);
    std::memcpy(&sin6.sin6_addr, ip_.bytes(), 16);
    std::memcpy(&out, &sin6, sizeof sin6);
    return sizeof sin6;
  }
  return 0;
}

std::string SocketAddress::toString() const {
  std::string host = ip_.toString();
  if (ip_.isV6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port_);
}

// ---- IpPrefix -------------------------------------------------------------------------------

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned max = ip->isV4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    auto parsed = parseDecimal(text.substr(slash + 1), max);
    if (!parsed) return std::nullopt;
    len = *parsed;
  }

  // Zero the host bits so that network() is canonical and contains() can compare bytes.
  std::array<uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), ip->bytes(), ip->size());
  for (unsigned bit = len; bit < max; ++bit) {
    bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  IpPrefix prefix;
  prefix.net_ = addressFromBytes(ip->family(), bytes.data());
  prefix.len_ = len;
  return prefix;
}

bool IpPrefix::contains(const IpAddress& addr) const {
  if (net_.family() == AF_UNSPEC) return false;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  const IpAddress candidate = net_.isV4() ? addr.unmapped() : addr;
  if (candidate.family() != net_.family()) return false;

  const uint8_t* a = candidate.bytes();
  const uint8_t* n = net_.bytes();
  size_t whole = len_ / 8;
  if (std::memcmp(a, n, whole) != 0) return false;
  unsigned rest = len_ % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
  return (a[whole] & mask) == n[whole];
}

std::string IpPrefix::toString() const {
  return net_.toString() + "/" + std::to_string(len_);
}

}  // namespace vpcdns
