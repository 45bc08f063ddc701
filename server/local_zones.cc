#include "server/local_zones.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "dns/types.h"

namespace vpcdns::server {

namespace {

constexpr uint32_t kLocalTtl = 10800;  // RFC 6303 §3

dns::Name name(const std::string& text) {
  return *dns::Name::fromText(text);
}

dns::Record record(const dns::Name& owner, uint16_t type, uint32_t ttl, dns::Rdata rdata) {
  return {owner, type, dns::rrclass::kIN, ttl, std::move(rdata)};
}

// RFC 6303 §4 (IPv4: 0/8, 127/8, 169.254/16, RFC 1918, TEST-NETs, broadcast), RFC 7793
// (100.64/10), §4.3-4.6 (IPv6 ::, ::1, ULA, link-local, documentation).
std::vector<std::string> rfc6303Zones() {
  std::vector<std::string> zones = {
      "0.in-addr.arpa",          "127.in-addr.arpa",       "254.169.in-addr.arpa",
      "10.in-addr.arpa",         "168.192.in-addr.arpa",   "2.0.192.in-addr.arpa",
      "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa", "255.255.255.255.in-addr.arpa"};
  for (int i = 16; i <= 31; ++i) zones.push_back(std::to_string(i) + ".172.in-addr.arpa");
  for (int i = 64; i <= 127; ++i) zones.push_back(std::to_string(i) + ".100.in-addr.arpa");
  const std::string zeros = "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
  zones.push_back("0." + zeros + ".ip6.arpa");
  zones.push_back("1." + zeros + ".ip6.arpa");
  for (const char* z : {"d.f.ip6.arpa", "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa",
                        "b.e.f.ip6.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"}) {
    zones.push_back(z);
  }
  return zones;
}

}  // namespace

std::vector<dns::Record> syntheticApex(const dns::Name& origin) {
  dns::RdataSoa soa;
  soa.mname = origin;
  soa.rname = name("nobody.invalid.");
  soa.serial = 1;
  soa.refresh = 3600;
  soa.retry = 1200;
  soa.expire = 604800;
  soa.minimum = kLocalTtl;
  return {record(origin, dns::rrtype::kSOA, kLocalTtl, soa),
          record(origin, dns::rrtype::kNS, kLocalTtl, dns::RdataName{origin})};
}

std::vector<LocalZoneData> builtinLocalZones() {
  std::vector<LocalZoneData> out;
  // RFC 6761 §6.3: localhost and every name below it are the loopback address.
  LocalZoneData localhost{name("localhost."), syntheticApex(name("localhost."))};
  for (const char* owner : {"localhost.", "*.localhost."}) {
    localhost.records.push_back(
        record(name(owner), dns::rrtype::kA, kLocalTtl, dns::RdataA{{127, 0, 0, 1}}));
    dns::RdataAAAA v6;
    v6.addr[15] = 1;
    localhost.records.push_back(record(name(owner), dns::rrtype::kAAAA, kLocalTtl, v6));
  }
  out.push_back(std::move(localhost));
  for (const auto& z : rfc6303Zones()) {
    const dns::Name origin = name(z + ".");
    LocalZoneData data{origin, syntheticApex(origin)};
    if (z == "127.in-addr.arpa" || z.starts_with("1.0.0.0")) {
      const dns::Name owner = z == "127.in-addr.arpa" ? name("1.0.0.127.in-addr.arpa.") : origin;
      data.records.push_back(
          record(owner, dns::rrtype::kPTR, kLocalTtl, dns::RdataName{name("localhost.")}));
    }
    out.push_back(std::move(data));
  }
  return out;
}

dns::Name reverseName(const IpAddress& addr) {
  const IpAddress a = addr.unmapped();
  std::string text;
  if (a.isV4()) {
    for (int i = 3; i >= 0; --i) text += std::to_string(a.bytes()[i]) + ".";
    return name(text + "in-addr.arpa.");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    text += kHex[a.bytes()[i] & 0xf];
    text += '.';
    text += kHex[a.bytes()[i] >> 4];
    text += '.';
  }
  return name(text + "ip6.arpa.");
}

std::vector<dns::Name> reverseZonesFor(const IpPrefix& prefix) {
  const IpAddress& net = prefix.network();
  const unsigned unit = net.isV4() ? 8 : 4;    // bits per label
  const unsigned total = net.isV4() ? 4 : 32;  // address labels in a full reverse name
  const unsigned len = prefix.length();
  if (len == 0) return {};
  const unsigned labels = (len + unit - 1) / unit;  // labels of the cut
  const unsigned spread = labels * unit - len;      // host bits inside the last label
  std::vector<dns::Name> zones;
  for (unsigned i = 0; i < (1u << spread); ++i) {
    std::array<uint8_t, 16> bytes{};
    std::copy_n(net.bytes(), net.size(), bytes.begin());
    // Set the host bits of the last label to i (the network has them zero).
    const unsigned last_bit = labels * unit;  // bits up to the end of the last label
    const unsigned byte = (last_bit - 1) / 8;
    const unsigned shift = (8 - last_bit % 8) % 8;
    bytes[byte] = static_cast<uint8_t>(bytes[byte] | (i << shift));
    const IpAddress addr = IpAddress::fromBytes({bytes.data(), net.size()});
    zones.push_back(reverseName(addr).stripLeft(total - labels));
  }
  return zones;
}

namespace {

uint8_t lowerAscii(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c;
}

// A canonical decimal octet (0..255, no leading zeros) at text[pos...]; advances pos past it.
std::optional<uint8_t> parseOctet(std::span<const uint8_t> text, size_t& pos) {
  const size_t start = pos;
  unsigned value = 0;
  while (pos < text.size() && pos - start < 3 && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + (text[pos++] - '0');
  }
  const size_t digits = pos - start;
  if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return std::nullopt;
  return static_cast<uint8_t>(value);
}

std::optional<uint8_t> hexNibble(std::span<const uint8_t> label) {
  if (label.size() != 1) return std::nullopt;
  const uint8_t c = lowerAscii(label[0]);
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

}  // namespace

// Allocation-free: it runs for queries under a VPC's reverse zones.
std::optional<IpAddress> addressFromReverse(const dns::Name& n) {
  static const dns::Name v4zone = name("in-addr.arpa."), v6zone = name("ip6.arpa.");
  std::array<uint8_t, 16> bytes{};
  if (n.labelCount() == 6 && n.isSubdomainOf(v4zone)) {
    for (size_t i = 0; i < 4; ++i) {  // label 0 is the last octet
      const auto label = n.label(i);
      size_t pos = 0;
      const auto octet = parseOctet(label, pos);
      if (!octet || pos != label.size()) return std::nullopt;
      bytes[3 - i] = *octet;
    }
    return IpAddress::fromBytes({bytes.data(), 4});
  }
  if (n.labelCount() == 34 && n.isSubdomainOf(v6zone)) {
    for (size_t i = 0; i < 32; ++i) {  // label 0 is the last nibble
      const auto nibble = hexNibble(n.label(i));
      if (!nibble) return std::nullopt;
      const size_t byte = 15 - i / 2;
      bytes[byte] = static_cast<uint8_t>(bytes[byte] | (i % 2 == 0 ? *nibble : *nibble << 4));
    }
    return IpAddress::fromBytes(bytes);
  }
  return std::nullopt;
}

size_t writeHostnameLabel(const IpAddress& v4, std::span<uint8_t, kMaxHostnameLabel> out) {
  size_t n = 0;
  for (char c : {'i', 'p'}) out[n++] = static_cast<uint8_t>(c);
  for (size_t i = 0; i < 4; ++i) {
    out[n++] = '-';
    const uint8_t b = v4.bytes()[i];
    if (b >= 100) out[n++] = static_cast<uint8_t>('0' + b / 100);
    if (b >= 10) out[n++] = static_cast<uint8_t>('0' + b / 10 % 10);
    out[n++] = static_cast<uint8_t>('0' + b % 10);
  }
  return n;
}

std::string hostnameLabel(const IpAddress& v4) {
  std::array<uint8_t, kMaxHostnameLabel> buf;
  const size_t n = writeHostnameLabel(v4, buf);
  return {reinterpret_cast<const char*>(buf.data()), n};
}

// Allocation-free: it runs for every query under a VPC's hostnames domain. Only the canonical
// form (four octets without leading zeros) names an instance; "IP-" is the same name as "ip-".
std::optional<IpAddress> addressFromHostnameLabel(std::span<const uint8_t> label) {
  if (label.size() < 3 || lowerAscii(label[0]) != 'i' || lowerAscii(label[1]) != 'p' ||
      label[2] != '-') {
    return std::nullopt;
  }
  std::array<uint8_t, 4> bytes{};
  size_t pos = 3;
  for (size_t i = 0; i < 4; ++i) {
    if (i > 0 && (pos >= label.size() || label[pos++] != '-')) return std::nullopt;
    const auto octet = parseOctet(label, pos);
    if (!octet) return std::nullopt;
    bytes[i] = *octet;
  }
  if (pos != label.size()) return std::nullopt;
  return IpAddress::fromBytes(bytes);
}

}  // namespace vpcdns::server
