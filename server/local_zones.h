// Records of the built-in zones that a VPC answers itself, never sending them upstream:
// localhost (RFC 6761 §6.3), the RFC 6303 reverse zones for private, loopback, link-local and
// documentation ranges, and reverse zones for a VPC's own CIDRs that carry synthesized PTRs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/net.h"
#include "dns/message.h"

namespace vpcdns::server {

struct LocalZoneData {
  dns::Name origin;
  std::vector<dns::Record> records;  // SOA and NS at the apex, plus any data
};

// localhost and the RFC 6303 zones, each with its SOA/NS and (for localhost and
// 1.0.0.127.in-addr.arpa) the loopback data.
std::vector<LocalZoneData> builtinLocalZones();

// An SOA/NS pair for a zone vpcdns makes up (RFC 6303 §3's values): negative answers from it
// carry this SOA.
std::vector<dns::Record> syntheticApex(const dns::Name& origin);

// The reverse-lookup name of an address: 23.1.0.10.in-addr.arpa., or the nibble form under
// ip6.arpa.
dns::Name reverseName(const IpAddress& addr);
// The reverse zones that together hold exactly a prefix's addresses: cut at the first octet
// (IPv4) or nibble (IPv6) boundary at or below the prefix length, so 10.0.0.0/16 gives
// 0.10.in-addr.arpa and 10.0.0.0/23 gives 0.0.10 and 1.0.10.in-addr.arpa (at most 128 zones).
// Empty for /0. Like Route 53's per-CIDR reverse rules, they never cover addresses outside.
std::vector<dns::Name> reverseZonesFor(const IpPrefix& prefix);
// The address a reverse-lookup name stands for, if it is a complete one.
std::optional<IpAddress> addressFromReverse(const dns::Name& name);

// "ip-10-0-1-23" <-> 10.0.1.23 (EC2's IP-based instance names).
inline constexpr size_t kMaxHostnameLabel = 18;  // "ip-255-255-255-255"
size_t writeHostnameLabel(const IpAddress& v4, std::span<uint8_t, kMaxHostnameLabel> out);
std::string hostnameLabel(const IpAddress& v4);
std::optional<IpAddress> addressFromHostnameLabel(std::span<const uint8_t> label);

}  // namespace vpcdns::server
