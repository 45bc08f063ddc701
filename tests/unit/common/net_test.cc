#include "common/net.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace vpcdns {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

IpPrefix prefix(std::string_view text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(IpPrefix{});
}

// ---- IpAddress ----------------------------------------------------------------------------

TEST(IpAddress, ParsesV4) {
  IpAddress a = ip("10.1.2.3");
  EXPECT_TRUE(a.isV4());
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.size(), 4u);
  const uint8_t expected[] = {10, 1, 2, 3};
  EXPECT_EQ(std::memcmp(a.bytes(), expected, 4), 0);
  EXPECT_EQ(a.toString(), "10.1.2.3");
}

TEST(IpAddress, ParsesV6AndFormatsCanonically) {
  IpAddress a = ip("2001:DB8:0:0::1");
  EXPECT_TRUE(a.isV6());
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.toString(), "2001:db8::1");
  EXPECT_EQ(ip("::1").toString(), "::1");
  EXPECT_EQ(ip("::").toString(), "::");
}

TEST(IpAddress, RejectsGarbage) {
  for (std::string_view bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4", "a.b.c.d",
        "1.2.3.4/8", "[::1]", "::1::2", "fe80::1%eth0", "12345::", "localhost",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string(200, '1')).has_value());
}

TEST(IpAddress, Unmapped) {
  IpAddress mapped = ip("::ffff:192.0.2.1");
  EXPECT_TRUE(mapped.isV6());
  EXPECT_EQ(mapped.toString(), "::ffff:192.0.2.1");
  EXPECT_EQ(mapped.unmapped(), ip("192.0.2.1"));
  EXPECT_EQ(ip("::1").unmapped(), ip("::1"));
  EXPECT_EQ(ip("10.0.0.1").unmapped(), ip("10.0.0.1"));
  EXPECT_EQ(ip("::192.0.2.1").unmapped(), ip("::192.0.2.1"));  // deprecated "compatible" form
}

TEST(IpAddress, EqualityIncludesFamily) {
  EXPECT_EQ(ip("10.0.0.1"), ip("10.0.0.1"));
  EXPECT_NE(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_NE(ip("::ffff:10.0.0.1"), ip("10.0.0.1"));
  EXPECT_NE(IpAddress{}, ip("0.0.0.0"));
}

TEST(IpAddress, DefaultIsUnspecified) {
  IpAddress a;
  EXPECT_FALSE(a.isV4());
  EXPECT_FALSE(a.isV6());
  EXPECT_EQ(a.toString(), "<unspec>");
}

TEST(IpAddress, FromSockaddr) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
  EXPECT_EQ(IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin)), ip("192.0.2.7"));

  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
  EXPECT_EQ(IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin6)), ip("2001:db8::7"));

  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_EQ(IpAddress::fromSockaddr(&unix_like).family(), AF_UNSPEC);
}

// ---- SocketAddress ------------------------------------------------------------------------

TEST(SocketAddress, ParsesWithAndWithoutPort) {
  auto a = SocketAddress::parse("127.0.0.1:5353", 53);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ip(), ip("127.0.0.1"));
  EXPECT_EQ(a->port(), 5353);

  auto b = SocketAddress::parse("10.0.0.2", 53);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port(), 53);

  auto c = SocketAddress::parse("[::1]:5353", 53);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ip(), ip("::1"));
  EXPECT_EQ(c->port(), 5353);

  auto d = SocketAddress::parse("::1", 53);  // bare IPv6: the whole text is the address
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ip(), ip("::1"));
  EXPECT_EQ(d->port(), 53);

  auto e = SocketAddress::parse("[2001:db8::1]", 853);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port(), 853);

  auto f = SocketAddress::parse("1.2.3.4:65535", 53);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->port(), 65535);
  EXPECT_EQ(SocketAddress::parse("1.2.3.4:0", 53)->port(), 0);
}

TEST(SocketAddress, RejectsGarbage) {
  for (std::string_view bad : {"",
                               ":",
                               ":53",
                               "1.2.3.4:",
                               "1.2.3.4:99999",
                               "1.2.3.4:65536",
                               "1.2.3.4:-1",
                               "1.2.3.4:+53",
                               "1.2.3.4:5a",
                               "1.2.3.4: 53",
                               "1.2.3.4:53 ",
                               "[::1",
                               "[::1]:",
                               "[::1]53",
                               "[::1]:x",
                               "[1.2.3.4]:53",
                               "[]:53",
                               "[::1]:53:53",
                               "host:53",
                               "1.2.3:53",
                               "1.2.3.4:0000053"}) {
    EXPECT_FALSE(SocketAddress::parse(bad, 53).has_value()) << bad;
  }
}

TEST(SocketAddress, FormatsV6WithBrackets) {
  EXPECT_EQ(SocketAddress(ip("127.0.0.1"), 53).toString(), "127.0.0.1:53");
  EXPECT_EQ(SocketAddress(ip("::1"), 5353).toString(), "[::1]:5353");
  for (std::string_view text : {"192.0.2.1:53", "[2001:db8::1]:853", "[::ffff:10.0.0.1]:1"}) {
    EXPECT_EQ(SocketAddress::parse(text, 0)->toString(), text);
  }
}

TEST(SocketAddress, SockaddrRoundTrip) {
  for (std::string_view text : {"192.0.2.1:53", "[2001:db8::1]:5353"}) {
    SocketAddress a = *SocketAddress::parse(text, 0);
    sockaddr_storage ss;
    socklen_t len = a.toSockaddr(ss);
    EXPECT_EQ(len, a.ip().isV4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    EXPECT_EQ(ss.ss_family, a.ip().family());
    EXPECT_EQ(SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss)), a);
  }
  sockaddr_storage ss;
  sockaddr_in sin;
  (void)SocketAddress::parse("10.0.0.1:53", 0)->toSockaddr(ss);
  std::memcpy(&sin, &ss, sizeof sin);
  EXPECT_EQ(ntohs(sin.sin_port), 53);  // network byte order
  EXPECT_EQ(SocketAddress{}.toSockaddr(ss), 0u);
}

// ---- IpPrefix -----------------------------------------------------------------------------

TEST(IpPrefix, ParsesAndZeroesHostBits) {
  IpPrefix p = prefix("10.1.2.3/8");
  EXPECT_EQ(p.length(), 8u);
  EXPECT_EQ(p.network(), ip("10.0.0.0"));
  EXPECT_EQ(p.toString(), "10.0.0.0/8");
  EXPECT_EQ(prefix("192.168.255.255/20").toString(), "192.168.240.0/20");
  EXPECT_EQ(prefix("2001:db8:ffff::1/33").toString(), "2001:db8:8000::/33");
  EXPECT_EQ(prefix("::1/128").toString(), "::1/128");
  EXPECT_EQ(prefix("1.2.3.4/0").toString(), "0.0.0.0/0");
  EXPECT_EQ(prefix("::/0").toString(), "::/0");
}

TEST(IpPrefix, BareAddressIsHostPrefix) {
  EXPECT_EQ(prefix("10.0.0.1").toString(), "10.0.0.1/32");
  EXPECT_EQ(prefix("::1").toString(), "::1/128");
}

TEST(IpPrefix, RejectsGarbage) {
  for (std::string_view bad :
       {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8/8",
        "10.0.0.0/ 8", "10.0.0.0/08x", "10.0.0/8", "[::1]/128", "10.0.0.0/1000"}) {
    EXPECT_FALSE(IpPrefix::parse(bad).has_value()) << bad;
  }
}

TEST(IpPrefix, ContainsV4) {
  IpPrefix p = prefix("10.0.0.0/8");
  EXPECT_TRUE(p.contains(ip("10.0.0.0")));
  EXPECT_TRUE(p.contains(ip("10.255.255.255")));
  EXPECT_FALSE(p.contains(ip("11.0.0.0")));
  EXPECT_FALSE(p.contains(ip("9.255.255.255")));
  EXPECT_FALSE(p.contains(ip("::1")));

  IpPrefix odd = prefix("192.168.240.0/20");
  EXPECT_TRUE(odd.contains(ip("192.168.255.1")));
  EXPECT_TRUE(odd.contains(ip("192.168.240.0")));
  EXPECT_FALSE(odd.contains(ip("192.168.239.255")));

  EXPECT_TRUE(prefix("0.0.0.0/0").contains(ip("203.0.113.9")));
  EXPECT_FALSE(prefix("0.0.0.0/0").contains(ip("2001:db8::1")));
  EXPECT_TRUE(prefix("10.0.0.1").contains(ip("10.0.0.1")));
  EXPECT_FALSE(prefix("10.0.0.1").contains(ip("10.0.0.2")));
}

TEST(IpPrefix, V4PrefixMatchesMappedV6) {
  IpPrefix p = prefix("127.0.0.0/8");
  EXPECT_TRUE(p.contains(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(p.contains(ip("::ffff:128.0.0.1")));
  EXPECT_FALSE(p.contains(ip("::127.0.0.1")));  // not mapped
}

TEST(IpPrefix, ContainsV6) {
  IpPrefix p = prefix("2001:db8::/32");
  EXPECT_TRUE(p.contains(ip("2001:db8::1")));
  EXPECT_TRUE(p.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(p.contains(ip("2001:db9::")));
  EXPECT_FALSE(p.contains(ip("32.1.13.184")));  // same first bytes, but IPv4

  IpPrefix odd = prefix("fe80::/10");
  EXPECT_TRUE(odd.contains(ip("febf::1")));
  EXPECT_FALSE(odd.contains(ip("fec0::1")));

  EXPECT_TRUE(prefix("::/0").contains(ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(prefix("::/0").contains(ip("10.0.0.1")));  // IPv6 prefixes match IPv6 only
  EXPECT_TRUE(prefix("::ffff:0:0/96").contains(ip("::ffff:10.0.0.1")));
  EXPECT_TRUE(prefix("::1/128").contains(ip("::1")));
  EXPECT_FALSE(prefix("::1/128").contains(ip("::2")));
}

TEST(IpPrefix, DefaultContainsNothing) {
  EXPECT_FALSE(IpPrefix{}.contains(ip("10.0.0.1")));
  EXPECT_FALSE(IpPrefix{}.contains(IpAddress{}));
}

}  // namespace
}  // namespace vpcdns
