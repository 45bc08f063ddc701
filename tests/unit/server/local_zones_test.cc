// The built-in local zones and the reverse-name / instance-hostname conversions.
#include "server/local_zones.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "dns/types.h"
#include "private_zones/zone.h"

namespace vpcdns::server {
namespace {

using ::testing::ElementsAre;

dns::Name N(std::string_view text) {
  return dns::Name::fromText(text).value();
}

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}

// reverseZonesFor() as text, space-separated, or "(none)".
std::string zoneFor(std::string_view prefix) {
  const auto zones = reverseZonesFor(IpPrefix::parse(prefix).value());
  std::string out;
  for (const auto& z : zones) out += (out.empty() ? "" : " ") + z.toText();
  return out.empty() ? "(none)" : out;
}

// addressFromReverse() as text, or "(none)".
std::string fromReverse(std::string_view name) {
  auto a = addressFromReverse(N(name));
  return a ? a->toString() : "(none)";
}

// addressFromHostnameLabel() as text, or "(none)".
std::string fromLabel(std::string_view label) {
  auto a = addressFromHostnameLabel({reinterpret_cast<const uint8_t*>(label.data()), label.size()});
  return a ? a->toString() : "(none)";
}

// "0.0.0" for n = 3: n zero nibbles, without a trailing dot.
std::string zeros(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "0" : ".0";
  return out;
}

// ---- reverseName ------------------------------------------------------------------------------

TEST(ReverseName, Ipv4) {
  EXPECT_EQ(reverseName(ip("10.0.1.23")).toText(), "23.1.0.10.in-addr.arpa.");
  EXPECT_EQ(reverseName(ip("0.0.0.0")).toText(), "0.0.0.0.in-addr.arpa.");
  EXPECT_EQ(reverseName(ip("255.255.255.255")).toText(), "255.255.255.255.in-addr.arpa.");
  EXPECT_EQ(reverseName(ip("192.168.0.1")).toText(), "1.0.168.192.in-addr.arpa.");
}

TEST(ReverseName, Ipv6NibblesLowercase) {
  EXPECT_EQ(reverseName(ip("2001:db8::1")).toText(),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(reverseName(ip("::1")).toText(), "1." + zeros(31) + ".ip6.arpa.");
  EXPECT_EQ(reverseName(ip("FD12:3456:789A:BCDE:F012:3456:789A:BCDE")).toText(),
            "e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa.");
}

TEST(ReverseName, MappedIpv6IsTheIpv4Name) {
  EXPECT_EQ(reverseName(ip("::ffff:10.0.1.23")).toText(), "23.1.0.10.in-addr.arpa.");
}

// ---- reverseZonesFor --------------------------------------------------------------------------

TEST(ReverseZonesFor, Ipv4CutAtOrBelowThePrefixNeverAbove) {
  EXPECT_EQ(zoneFor("10.0.0.0/8"), "10.in-addr.arpa.");
  EXPECT_EQ(zoneFor("172.16.0.0/16"), "16.172.in-addr.arpa.");
  EXPECT_EQ(zoneFor("192.0.2.0/24"), "2.0.192.in-addr.arpa.");
  EXPECT_EQ(zoneFor("192.0.2.7/32"), "7.2.0.192.in-addr.arpa.");
  EXPECT_EQ(zoneFor("10.0.0.0/23"), "0.0.10.in-addr.arpa. 1.0.10.in-addr.arpa.");
  EXPECT_EQ(zoneFor("10.1.31.0/22"),
            "28.1.10.in-addr.arpa. 29.1.10.in-addr.arpa. 30.1.10.in-addr.arpa. "
            "31.1.10.in-addr.arpa.")
      << "host bits are ignored";
  // 172.16.0.0/12 is 16 /16s, not all of 172.in-addr.arpa.
  const auto twelve = reverseZonesFor(IpPrefix::parse("172.16.0.0/12").value());
  ASSERT_EQ(twelve.size(), 16u);
  EXPECT_EQ(twelve.front().toText(), "16.172.in-addr.arpa.");
  EXPECT_EQ(twelve.back().toText(), "31.172.in-addr.arpa.");
  EXPECT_EQ(reverseZonesFor(IpPrefix::parse("100.64.0.0/10").value()).size(), 64u);
  // A /25 spreads over 128 host-level names.
  EXPECT_EQ(reverseZonesFor(IpPrefix::parse("192.0.2.128/25").value()).size(), 128u);
}

TEST(ReverseZonesFor, Ipv6CutAtNibbleBoundary) {
  EXPECT_EQ(zoneFor("fd00::/8"), "d.f.ip6.arpa.");
  EXPECT_EQ(zoneFor("2001:db8::/32"), "8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(zoneFor("fc00::/7"), "c.f.ip6.arpa. d.f.ip6.arpa.");
  EXPECT_EQ(zoneFor("2001:db8:1::/48"), "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(reverseZonesFor(IpPrefix::parse("2001:db8:1:f000::/50").value()).size(), 4u);
  EXPECT_EQ(zoneFor("::1/128"), "1." + zeros(31) + ".ip6.arpa.");
}

TEST(ReverseZonesFor, SlashZeroHasNone) {
  EXPECT_EQ(zoneFor("0.0.0.0/0"), "(none)");
  EXPECT_EQ(zoneFor("::/0"), "(none)");
}

// ---- addressFromReverse -----------------------------------------------------------------------

TEST(AddressFromReverse, RoundTrips) {
  for (const char* text :
       {"10.0.1.23", "0.0.0.0", "255.255.255.255", "100.64.0.1", "::", "::1", "2001:db8::1",
        "fd12:3456:789a:bcde:f012:3456:789a:bcde", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    SCOPED_TRACE(text);
    const IpAddress a = ip(text);
    auto back = addressFromReverse(reverseName(a));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, a);
  }
  // A mapped address comes back as the IPv4 address its reverse name stands for.
  EXPECT_EQ(addressFromReverse(reverseName(ip("::ffff:10.0.0.1"))), ip("10.0.0.1"));
}

TEST(AddressFromReverse, CaseOfTheSuffixDoesNotMatter) {
  EXPECT_EQ(fromReverse("23.1.0.10.IN-ADDR.ARPA."), "10.0.1.23");
  EXPECT_EQ(
      fromReverse("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.IP6.Arpa."),
      "2001:db8::1");
}

TEST(AddressFromReverse, Ipv4Rejections) {
  EXPECT_EQ(fromReverse("23.1.0.010.in-addr.arpa."), "(none)") << "leading zero";
  EXPECT_EQ(fromReverse("023.1.0.10.in-addr.arpa."), "(none)") << "leading zero";
  EXPECT_EQ(fromReverse("1.0.10.in-addr.arpa."), "(none)") << "too few labels (a zone)";
  EXPECT_EQ(fromReverse("10.in-addr.arpa."), "(none)");
  EXPECT_EQ(fromReverse("in-addr.arpa."), "(none)");
  EXPECT_EQ(fromReverse("5.23.1.0.10.in-addr.arpa."), "(none)") << "too many labels";
  EXPECT_EQ(fromReverse("256.1.0.10.in-addr.arpa."), "(none)");
  EXPECT_EQ(fromReverse("a.1.0.10.in-addr.arpa."), "(none)");
  EXPECT_EQ(fromReverse("-1.1.0.10.in-addr.arpa."), "(none)");
  EXPECT_EQ(fromReverse("1\\.2.1.0.10.in-addr.arpa."), "(none)") << "a dot inside a label";
  EXPECT_EQ(fromReverse("23.1.0.10.in-addr.example."), "(none)");
  EXPECT_EQ(fromReverse("23.1.0.10.ip6.arpa."), "(none)");
}

TEST(AddressFromReverse, Ipv6Rejections) {
  const std::string tail = ".ip6.arpa.";
  EXPECT_EQ(fromReverse("1." + zeros(31) + tail), "::1");
  EXPECT_EQ(fromReverse("1." + zeros(30) + tail), "(none)") << "31 nibbles";
  EXPECT_EQ(fromReverse("1." + zeros(32) + tail), "(none)") << "33 nibbles";
  EXPECT_EQ(fromReverse("g." + zeros(31) + tail), "(none)") << "not hex";
  EXPECT_EQ(fromReverse("-." + zeros(31) + tail), "(none)");
  EXPECT_EQ(fromReverse("10." + zeros(30) + tail), "(none)") << "31 labels, one of two characters";
  EXPECT_EQ(fromReverse("01." + zeros(31) + tail), "(none)") << "32 labels, one of two characters";
  EXPECT_EQ(fromReverse("8.b.d.0.1.0.0.2.ip6.arpa."), "(none)") << "a zone, not an address";
}

// Names are case-insensitive (RFC 4343): B.8 and b.8 are the same name, so an uppercase nibble
// names the same address (as "IP-10-0-0-1" names the same instance as "ip-10-0-0-1").
TEST(AddressFromReverse, UppercaseNibblesAreTheSameName) {
  EXPECT_EQ(
      fromReverse("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6.arpa."),
      "2001:db8::1");
}

// ---- instance hostnames -----------------------------------------------------------------------

TEST(HostnameLabel, Canonical) {
  EXPECT_EQ(hostnameLabel(ip("10.0.1.23")), "ip-10-0-1-23");
  EXPECT_EQ(hostnameLabel(ip("0.0.0.0")), "ip-0-0-0-0");
  EXPECT_EQ(hostnameLabel(ip("255.255.255.255")), "ip-255-255-255-255");
}

TEST(HostnameLabel, ParsesOnlyTheCanonicalForm) {
  EXPECT_EQ(fromLabel("ip-10-0-1-23"), "10.0.1.23");
  EXPECT_EQ(fromLabel("ip-0-0-0-0"), "0.0.0.0");
  EXPECT_EQ(fromLabel("ip-255-255-255-255"), "255.255.255.255");
  EXPECT_EQ(fromLabel("IP-10-0-0-1"), "10.0.0.1") << "names are case-insensitive";
  EXPECT_EQ(fromLabel("Ip-10-0-0-1"), "10.0.0.1");

  EXPECT_EQ(fromLabel("ip-010-0-0-1"), "(none)") << "leading zero";
  EXPECT_EQ(fromLabel("ip-10-0-0-01"), "(none)") << "leading zero";
  EXPECT_EQ(fromLabel("ip-10-0-0"), "(none)") << "three parts";
  EXPECT_EQ(fromLabel("ip-10-0-0-1-2"), "(none)") << "five parts";
  EXPECT_EQ(fromLabel("ip-10-0-0-256"), "(none)");
  EXPECT_EQ(fromLabel("ip-10.0.0.1"), "(none)") << "dots instead of dashes";
  EXPECT_EQ(fromLabel("ip-10-0--1"), "(none)");
  EXPECT_EQ(fromLabel("ip--10-0-0-1"), "(none)");
  EXPECT_EQ(fromLabel("10-0-0-1"), "(none)");
  EXPECT_EQ(fromLabel("ipv-10-0-0-1"), "(none)");
  EXPECT_EQ(fromLabel("ip-"), "(none)");
  EXPECT_EQ(fromLabel("ip"), "(none)");
  EXPECT_EQ(fromLabel(""), "(none)");
  EXPECT_EQ(fromLabel("ip-a-0-0-1"), "(none)");
  EXPECT_EQ(fromLabel("ip-::1"), "(none)");
  EXPECT_EQ(fromLabel("ip-10-0-0-1x"), "(none)");
}

TEST(HostnameLabel, RoundTrips) {
  for (const char* text : {"10.0.1.23", "172.31.255.1", "192.168.0.0", "100.64.0.9"}) {
    SCOPED_TRACE(text);
    const std::string label = hostnameLabel(ip(text));
    EXPECT_EQ(fromLabel(label), text);
  }
}

// ---- built-in zones ---------------------------------------------------------------------------

std::set<std::string> builtinOrigins() {
  std::set<std::string> out;
  for (const auto& z : builtinLocalZones()) out.insert(z.origin.toText());
  return out;
}

TEST(BuiltinLocalZones, ListsLocalhostAndRfc6303Zones) {
  const auto origins = builtinOrigins();
  EXPECT_EQ(origins.size(), builtinLocalZones().size()) << "no zone twice";
  for (const char* z :
       {"localhost.", "0.in-addr.arpa.", "127.in-addr.arpa.", "254.169.in-addr.arpa.",
        "10.in-addr.arpa.", "168.192.in-addr.arpa.", "2.0.192.in-addr.arpa.",
        "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
        "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
        "8.b.d.0.1.0.0.2.ip6.arpa."}) {
    EXPECT_TRUE(origins.contains(z)) << z;
  }
  EXPECT_TRUE(origins.contains("0." + zeros(31) + ".ip6.arpa."));
  EXPECT_TRUE(origins.contains("1." + zeros(31) + ".ip6.arpa."));
  for (int i = 16; i <= 31; ++i) {
    EXPECT_TRUE(origins.contains(std::to_string(i) + ".172.in-addr.arpa.")) << i;
  }
  for (int i = 64; i <= 127; ++i) {
    EXPECT_TRUE(origins.contains(std::to_string(i) + ".100.in-addr.arpa.")) << i;
  }
  // Public space around the private ranges is not covered.
  for (const char* z :
       {"15.172.in-addr.arpa.", "32.172.in-addr.arpa.", "63.100.in-addr.arpa.",
        "128.100.in-addr.arpa.", "172.in-addr.arpa.", "192.in-addr.arpa.", "100.in-addr.arpa."}) {
    EXPECT_FALSE(origins.contains(z)) << z;
  }
  EXPECT_EQ(origins.size(), 1u + 9u + 16u + 64u + 2u + 6u);
}

TEST(BuiltinLocalZones, EveryZoneBuilds) {
  for (auto& z : builtinLocalZones()) {
    SCOPED_TRACE(z.origin.toText());
    const size_t count = z.records.size();
    auto zone = private_zones::Zone::build(z.origin, z.records);
    ASSERT_TRUE(zone.ok()) << zone.error();
    EXPECT_EQ((*zone)->records().size(), count) << "nothing merged away";
    EXPECT_EQ((*zone)->soa().name, z.origin);
    ASSERT_NE((*zone)->find(z.origin, dns::rrtype::kNS), nullptr);
  }
}

std::vector<std::string> texts(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BuiltinLocalZones, LoopbackData) {
  for (const auto& z : builtinLocalZones()) {
    if (z.origin == N("localhost.")) {
      EXPECT_THAT(
          texts(z.records),
          ElementsAre("*.localhost. 10800 IN A 127.0.0.1", "*.localhost. 10800 IN AAAA ::1",
                      "localhost. 10800 IN A 127.0.0.1", "localhost. 10800 IN AAAA ::1",
                      "localhost. 10800 IN NS localhost.",
                      "localhost. 10800 IN SOA localhost. nobody.invalid. 1 3600 1200 604800 "
                      "10800"));
    } else if (z.origin == N("127.in-addr.arpa.")) {
      EXPECT_THAT(texts(z.records),
                  ElementsAre("1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.",
                              "127.in-addr.arpa. 10800 IN NS 127.in-addr.arpa.",
                              "127.in-addr.arpa. 10800 IN SOA 127.in-addr.arpa. nobody.invalid. 1 "
                              "3600 1200 604800 10800"));
    } else if (z.origin == N("1." + zeros(31) + ".ip6.arpa.")) {
      EXPECT_EQ(z.records.size(), 3u);
      EXPECT_EQ(std::count_if(z.records.begin(), z.records.end(),
                              [&](const dns::Record& r) {
                                return r.type == dns::rrtype::kPTR && r.name == z.origin;
                              }),
                1);
    } else {
      EXPECT_EQ(z.records.size(), 2u) << z.origin.toText() << ": only SOA and NS";
    }
  }
}

TEST(SyntheticApex, SoaAndNs) {
  EXPECT_THAT(texts(syntheticApex(N("10.in-addr.arpa."))),
              ElementsAre("10.in-addr.arpa. 10800 IN NS 10.in-addr.arpa.",
                          "10.in-addr.arpa. 10800 IN SOA 10.in-addr.arpa. nobody.invalid. 1 3600 "
                          "1200 604800 10800"));
}

}  // namespace
}  // namespace vpcdns::server
