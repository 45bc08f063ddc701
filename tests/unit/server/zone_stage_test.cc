// ZoneStage through the pipeline: which view a client gets, and how private zones, the built-in
// local zones and synthesized hostnames answer it. Configs are built in code, replies parsed back.
#include "server/zone_stage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/types.h"
#include "server/local_zones.h"
#include "server/pipeline.h"

namespace vpcdns::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;

dns::Name N(std::string_view text) {
  return dns::Name::fromText(text).value();
}

IpPrefix P(std::string_view text) {
  return IpPrefix::parse(text).value();
}

// A record from its presentation form; names in `rdata` are absolute.
dns::Record rec(std::string_view owner, uint16_t type, std::string_view rdata, uint32_t ttl = 300) {
  auto r = dns::rdataFromText(type, rdata);
  EXPECT_TRUE(r.ok()) << rdata;
  return {N(owner), type, dns::rrclass::kIN, ttl, r.ok() ? *r : dns::Rdata{}};
}

config::Vpc vpc(std::string id, std::vector<std::string_view> cidrs,
                std::optional<std::string_view> hostnames = std::nullopt, bool local_zones = true) {
  config::Vpc v;
  v.id = std::move(id);
  for (auto c : cidrs) v.cidrs.push_back(P(c));
  if (hostnames) v.hostnames = N(*hostnames);
  v.local_zones = local_zones;
  return v;
}

config::ZoneSpec zone(std::string_view name, std::vector<std::string> vpcs,
                      std::vector<dns::Record> records, bool ptr = false) {
  config::ZoneSpec z;
  z.name = N(name);
  z.vpcs = std::move(vpcs);
  z.records = std::move(records);
  z.ptr = ptr;
  z.line = 1;
  z.column = 1;
  return z;
}

config::Config baseConfig() {
  config::Config c;
  c.source = "test.yaml";
  c.base_dir = ".";
  c.server.listen = {{*SocketAddress::parse("127.0.0.1:5353", 53), ""}};
  c.server.allow = {P("127.0.0.0/8")};
  return c;
}

std::vector<std::string> texts(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  return out;
}

// A pipeline with just the ZoneStage; queries from any address, on any listener.
class Server {
 public:
  explicit Server(config::Config c) {
    auto s = buildSnapshot(std::make_shared<const config::Config>(std::move(c)));
    if (!s.ok()) {
      for (const auto& e : s.error()) ADD_FAILURE() << e;
      return;
    }
    pipeline_ = std::make_unique<Pipeline>(*s);
    pipeline_->addStage(std::make_unique<ZoneStage>());
  }

  dns::Message ask(std::string_view name, uint16_t type, std::string_view source,
                   size_t listener = 0) {
    if (!pipeline_) return {};
    dns::Message q;
    q.header.id = 0x4242;
    q.header.rd = true;
    q.questions.push_back({N(name), type, dns::rrclass::kIN});
    q.edns = dns::Edns{};
    q.edns->udp_size = 4096;
    const auto packet = q.encode();
    ClientInfo client{SocketAddress(IpAddress::parse(source).value(), 40000), Transport::kUdp,
                      listener};
    const size_t n = pipeline_->handle(packet, client, out_);
    EXPECT_GT(n, 0u);
    auto m = dns::Message::parse({out_.data(), n});
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    EXPECT_EQ(m->header.id, 0x4242);
    EXPECT_THAT(m->questions, ElementsAre(q.questions[0]));
    return *m;
  }

 private:
  std::unique_ptr<Pipeline> pipeline_;
  std::array<uint8_t, 65535> out_{};
};

// The SOA inline zones (and built-in zones) get, as negative answers carry it.
std::string syntheticSoa(std::string_view origin) {
  const std::string o(origin);
  return o + " 10800 IN SOA " + o + " nobody.invalid. 1 3600 1200 604800 10800";
}

// ---- which view --------------------------------------------------------------------------------

// Two VPCs, one inside the other, each with its own corp.internal.
config::Config nestedVpcs(bool inner_first) {
  config::Config c = baseConfig();
  auto outer = vpc("vpc-outer", {"10.0.0.0/8"});
  auto inner = vpc("vpc-inner", {"192.0.2.0/24", "10.1.0.0/16"});
  c.vpcs = inner_first ? std::vector{inner, outer} : std::vector{outer, inner};
  c.zones.push_back(
      zone("corp.internal.", {"vpc-outer"}, {rec("www.corp.internal.", rrtype::kA, "10.0.0.5")}));
  c.zones.push_back(
      zone("corp.internal.", {"vpc-inner"}, {rec("www.corp.internal.", rrtype::kA, "10.1.0.5")}));
  return c;
}

TEST(ZoneStageViews, LongestCidrPicksTheVpc) {
  for (bool inner_first : {false, true}) {
    SCOPED_TRACE(inner_first);
    Server s(nestedVpcs(inner_first));
    EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "10.1.2.3").answer),
                ElementsAre("www.corp.internal. 300 IN A 10.1.0.5"));
    EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "10.2.0.1").answer),
                ElementsAre("www.corp.internal. 300 IN A 10.0.0.5"));
    EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "192.0.2.9").answer),
                ElementsAre("www.corp.internal. 300 IN A 10.1.0.5"));
    // IPv4-mapped sources match IPv4 CIDRs.
    EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "::ffff:10.1.2.3").answer),
                ElementsAre("www.corp.internal. 300 IN A 10.1.0.5"));
  }
}

TEST(ZoneStageViews, ListenerBoundVpcWinsOverSource) {
  config::Config c = nestedVpcs(false);
  c.server.listen.push_back({*SocketAddress::parse("10.0.0.2:53", 53), "vpc-inner"});
  Server s(std::move(c));
  // On listener 0 the source decides; on listener 1 (an inbound endpoint) the listener does.
  EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "10.2.0.1", 0).answer),
              ElementsAre("www.corp.internal. 300 IN A 10.0.0.5"));
  EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "10.2.0.1", 1).answer),
              ElementsAre("www.corp.internal. 300 IN A 10.1.0.5"));
  // Even for a source outside every CIDR and outside `allow` (on-premises clients).
  EXPECT_THAT(texts(s.ask("www.corp.internal.", rrtype::kA, "203.0.113.7", 1).answer),
              ElementsAre("www.corp.internal. 300 IN A 10.1.0.5"));
  EXPECT_EQ(s.ask("www.corp.internal.", rrtype::kA, "203.0.113.7", 0).rcode(), rcode::kRefused);
}

TEST(ZoneStageViews, AllowedClientOutsideEveryVpcGetsTheDefaultView) {
  config::Config c = nestedVpcs(false);
  c.server.allow = {P("192.168.0.0/16")};
  Server s(std::move(c));
  // No private zone: the name is passed on, and with no later stage that is SERVFAIL.
  const auto passed = s.ask("www.corp.internal.", rrtype::kA, "192.168.1.1");
  EXPECT_EQ(passed.rcode(), rcode::kServFail);
  EXPECT_FALSE(passed.header.aa);
  EXPECT_THAT(passed.answer, IsEmpty());
  // Local zones are answered.
  const auto local = s.ask("localhost.", rrtype::kA, "192.168.1.1");
  EXPECT_EQ(local.rcode(), rcode::kNoError);
  EXPECT_TRUE(local.header.aa);
  EXPECT_THAT(texts(local.answer), ElementsAre("localhost. 10800 IN A 127.0.0.1"));
  const auto reverse = s.ask("5.0.0.10.in-addr.arpa.", rrtype::kPTR, "192.168.1.1");
  EXPECT_EQ(reverse.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(reverse.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));
}

TEST(ZoneStageViews, ClientInNoVpcAndNotAllowedIsRefused) {
  Server s(nestedVpcs(false));
  for (const char* source : {"203.0.113.7", "2001:db8::1", "172.16.0.1"}) {
    SCOPED_TRACE(source);
    const auto m = s.ask("www.corp.internal.", rrtype::kA, source);
    EXPECT_EQ(m.rcode(), rcode::kRefused);
    EXPECT_THAT(m.answer, IsEmpty());
    EXPECT_FALSE(m.header.aa);
  }
}

// ---- answers from private zones ----------------------------------------------------------------

config::Config corpConfig() {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.0.0.0/16"})};
  c.zones.push_back(zone("corp.internal.", {"vpc-a"},
                         {
                             rec("www.corp.internal.", rrtype::kA, "10.0.0.5"),
                             rec("www.corp.internal.", rrtype::kA, "10.0.0.6"),
                             rec("www.corp.internal.", rrtype::kTXT, "\"web\""),
                             rec("*.dyn.corp.internal.", rrtype::kA, "10.0.0.7"),
                             rec("*.alias.corp.internal.", rrtype::kCNAME, "www.corp.internal."),
                             rec("sub.corp.internal.", rrtype::kNS, "ns1.sub.corp.internal."),
                             rec("ns1.sub.corp.internal.", rrtype::kA, "10.0.0.53"),
                             rec("out.corp.internal.", rrtype::kCNAME, "www.example.com."),
                             rec("gone.corp.internal.", rrtype::kCNAME, "nothing.corp.internal."),
                         }));
  // A zone below corp.internal: the most specific one answers, with no fallback to the parent.
  c.zones.push_back(zone("dev.corp.internal.", {"vpc-a"},
                         {rec("box.dev.corp.internal.", rrtype::kA, "10.0.9.9")}));
  return c;
}

TEST(ZoneStageAnswers, AuthoritativeAnswer) {
  Server s(corpConfig());
  const auto m = s.ask("www.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_THAT(texts(m.answer), ElementsAre("www.corp.internal. 300 IN A 10.0.0.5",
                                           "www.corp.internal. 300 IN A 10.0.0.6"));
  EXPECT_THAT(m.authority, IsEmpty());
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.edns->udp_size, 1232);
}

TEST(ZoneStageAnswers, NegativeAnswersCarryTheZoneSoa) {
  Server s(corpConfig());
  const auto nx = s.ask("nope.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(nx.rcode(), rcode::kNXDomain);
  EXPECT_TRUE(nx.header.aa);
  EXPECT_THAT(nx.answer, IsEmpty());
  EXPECT_THAT(texts(nx.authority), ElementsAre(syntheticSoa("corp.internal.")));

  const auto nodata = s.ask("www.corp.internal.", rrtype::kAAAA, "10.0.0.1");
  EXPECT_EQ(nodata.rcode(), rcode::kNoError);
  EXPECT_TRUE(nodata.header.aa);
  EXPECT_THAT(nodata.answer, IsEmpty());
  EXPECT_THAT(texts(nodata.authority), ElementsAre(syntheticSoa("corp.internal.")));

  // dev.corp.internal. is the most specific zone: its NXDOMAIN, not a look in corp.internal.
  const auto sub = s.ask("www.dev.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(sub.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(sub.authority), ElementsAre(syntheticSoa("dev.corp.internal.")));
  EXPECT_THAT(texts(s.ask("box.dev.corp.internal.", rrtype::kA, "10.0.0.1").answer),
              ElementsAre("box.dev.corp.internal. 300 IN A 10.0.9.9"));
}

TEST(ZoneStageAnswers, NamesNoEntryCoversArePassedOn) {
  Server s(corpConfig());
  const auto m = s.ask("www.example.com.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kServFail);
  EXPECT_FALSE(m.header.aa);
  EXPECT_THAT(m.answer, IsEmpty());
  EXPECT_THAT(m.authority, IsEmpty());
}

TEST(ZoneStageAnswers, QueryNameCaseIsKeptAndMatchingIgnoresIt) {
  Server s(corpConfig());
  const auto m = s.ask("WWW.Corp.Internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_EQ(m.answer.size(), 2u);
}

TEST(ZoneStageAnswers, QtypeAnyGivesEveryRRset) {
  Server s(corpConfig());
  const auto m = s.ask("www.corp.internal.", rrtype::kANY, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("www.corp.internal. 300 IN A 10.0.0.5",
                                           "www.corp.internal. 300 IN A 10.0.0.6",
                                           "www.corp.internal. 300 IN TXT \"web\""));
  const auto nx = s.ask("nope.corp.internal.", rrtype::kANY, "10.0.0.1");
  EXPECT_EQ(nx.rcode(), rcode::kNXDomain);
}

TEST(ZoneStageAnswers, WildcardOwnerIsTheQueryName) {
  Server s(corpConfig());
  auto m = s.ask("host.dyn.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("host.dyn.corp.internal. 300 IN A 10.0.0.7"));
  m = s.ask("a.b.dyn.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("a.b.dyn.corp.internal. 300 IN A 10.0.0.7"));
  // A wildcard CNAME, followed in the same zone.
  m = s.ask("x.alias.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_THAT(texts(m.answer), ElementsAre("x.alias.corp.internal. 300 IN CNAME www.corp.internal.",
                                           "www.corp.internal. 300 IN A 10.0.0.5",
                                           "www.corp.internal. 300 IN A 10.0.0.6"));
}

TEST(ZoneStageAnswers, DelegationGivesAReferralWithGlue) {
  Server s(corpConfig());
  for (const char* name : {"host.sub.corp.internal.", "sub.corp.internal."}) {
    SCOPED_TRACE(name);
    const auto m = s.ask(name, rrtype::kA, "10.0.0.1");
    EXPECT_EQ(m.rcode(), rcode::kNoError);
    EXPECT_FALSE(m.header.aa) << "a referral is not authoritative";
    EXPECT_THAT(m.answer, IsEmpty());
    EXPECT_THAT(texts(m.authority),
                ElementsAre("sub.corp.internal. 300 IN NS ns1.sub.corp.internal."));
    EXPECT_THAT(texts(m.additional), ElementsAre("ns1.sub.corp.internal. 300 IN A 10.0.0.53"));
  }
}

TEST(ZoneStageAnswers, CnameOutOfTheVpcsZonesIsAPartialAnswer) {
  Server s(corpConfig());
  const auto m = s.ask("out.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("out.corp.internal. 300 IN CNAME www.example.com."));
}

TEST(ZoneStageAnswers, CnameToAMissingNameIsNxdomain) {
  Server s(corpConfig());
  const auto m = s.ask("gone.corp.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain) << "the rcode is for the last name (RFC 6604)";
  EXPECT_THAT(texts(m.answer),
              ElementsAre("gone.corp.internal. 300 IN CNAME nothing.corp.internal."));
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("corp.internal.")));
}

TEST(ZoneStageAnswers, QtypeCnameIsNotFollowed) {
  Server s(corpConfig());
  const auto m = s.ask("gone.corp.internal.", rrtype::kCNAME, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_THAT(texts(m.answer),
              ElementsAre("gone.corp.internal. 300 IN CNAME nothing.corp.internal."));
}

config::Config twoZones(std::vector<dns::Record> a, std::vector<dns::Record> b) {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.0.0.0/16"}), vpc("vpc-b", {"10.9.0.0/16"})};
  c.zones.push_back(zone("a.internal.", {"vpc-a", "vpc-b"}, std::move(a)));
  c.zones.push_back(zone("b.internal.", {"vpc-a"}, std::move(b)));
  return c;
}

TEST(ZoneStageCname, ChainAcrossTwoZonesOfTheVpc) {
  Server s(twoZones({rec("www.a.internal.", rrtype::kCNAME, "web.b.internal.")},
                    {rec("web.b.internal.", rrtype::kA, "10.0.0.9")}));
  const auto m = s.ask("www.a.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("www.a.internal. 300 IN CNAME web.b.internal.",
                                           "web.b.internal. 300 IN A 10.0.0.9"));
  // vpc-b sees a.internal. but not b.internal.: the chain stops where its zones end.
  const auto other = s.ask("www.a.internal.", rrtype::kA, "10.9.0.1");
  EXPECT_EQ(other.rcode(), rcode::kNoError);
  EXPECT_THAT(texts(other.answer), ElementsAre("www.a.internal. 300 IN CNAME web.b.internal."));
}

TEST(ZoneStageCname, LoopAcrossZonesEndsInServfail) {
  Server s(twoZones({rec("x.a.internal.", rrtype::kCNAME, "y.b.internal.")},
                    {rec("y.b.internal.", rrtype::kCNAME, "x.a.internal.")}));
  const auto m = s.ask("x.a.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kServFail);
  EXPECT_FALSE(m.answer.empty());
  EXPECT_LE(m.answer.size(), static_cast<size_t>(ZoneStage::kMaxCnameChain));
  EXPECT_EQ(texts(m.answer).front(), "x.a.internal. 300 IN CNAME y.b.internal.");
}

TEST(ZoneStageCname, LoopToItselfEndsInServfail) {
  Server s(twoZones({rec("self.a.internal.", rrtype::kCNAME, "SELF.a.internal.")}, {}));
  const auto m = s.ask("self.a.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kServFail);
  EXPECT_LE(m.answer.size(), static_cast<size_t>(ZoneStage::kMaxCnameChain));
}

TEST(ZoneStageCname, LongestAllowedChainIsAnswered) {
  // kMaxCnameChain lookups: kMaxCnameChain - 1 CNAMEs, then the address.
  std::vector<dns::Record> a, b;
  const int links = ZoneStage::kMaxCnameChain - 1;
  for (int i = 0; i < links; ++i) {
    const std::string from = "n" + std::to_string(i) + (i % 2 == 0 ? ".a" : ".b") + ".internal.";
    const std::string to =
        "n" + std::to_string(i + 1) + ((i + 1) % 2 == 0 ? ".a" : ".b") + ".internal.";
    (i % 2 == 0 ? a : b).push_back(rec(from, rrtype::kCNAME, to));
  }
  const std::string last =
      "n" + std::to_string(links) + (links % 2 == 0 ? ".a" : ".b") + ".internal.";
  (links % 2 == 0 ? a : b).push_back(rec(last, rrtype::kA, "10.0.0.1"));
  Server s(twoZones(a, b));
  const auto m = s.ask("n0.a.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_EQ(m.answer.size(), static_cast<size_t>(links + 1));
}

// ---- synthesized PTRs and hostnames ------------------------------------------------------------

TEST(ZoneStagePtr, OnlyForAddressesInsideTheVpcCidrs) {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.1.0.0/16", "fd00:1::/64"}), vpc("vpc-b", {"10.3.0.0/16"})};
  c.zones.push_back(zone("corp.internal.", {"vpc-a"},
                         {
                             rec("www.corp.internal.", rrtype::kA, "10.1.0.5"),
                             rec("ext.corp.internal.", rrtype::kA, "10.2.0.5"),
                             rec("v6.corp.internal.", rrtype::kAAAA, "fd00:1::5"),
                             rec("*.dyn.corp.internal.", rrtype::kA, "10.1.0.9"),
                         },
                         /*ptr=*/true));
  c.zones.push_back(
      zone("plain.internal.", {"vpc-a"}, {rec("host.plain.internal.", rrtype::kA, "10.1.0.6")}));
  Server s(std::move(c));

  auto m = s.ask("5.0.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("5.0.1.10.in-addr.arpa. 300 IN PTR www.corp.internal."));

  m = s.ask(reverseName(IpAddress::parse("fd00:1::5").value()).toText(), rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(dns::rdataToText(rrtype::kPTR, m.answer[0].rdata), "v6.corp.internal.");

  // 10.2.0.5 is outside the VPC: the built-in 10.in-addr.arpa. says NXDOMAIN.
  m = s.ask("5.0.2.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));

  // Wildcards name no address; zones without `ptr` give none.
  m = s.ask("9.0.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("1.10.in-addr.arpa.")));
  m = s.ask("6.0.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);

  // Another VPC, not associated with the zone, has no such PTR.
  m = s.ask("5.0.1.10.in-addr.arpa.", rrtype::kPTR, "10.3.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));
}

// CIDRs that share a reverse zone (two /20s in one /16), or nest (a /16 and a /24): each PTR
// must land in the reverse zone that answers for its address.
TEST(ZoneStagePtr, CidrsSharingOrNestingReverseZones) {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.1.0.0/20", "10.1.16.0/20"}),
            vpc("vpc-b", {"192.168.0.0/16", "192.168.4.0/24"})};
  c.zones.push_back(zone("corp.internal.", {"vpc-a", "vpc-b"},
                         {
                             rec("one.corp.internal.", rrtype::kA, "10.1.0.5"),
                             rec("two.corp.internal.", rrtype::kA, "10.1.16.5"),
                             rec("three.corp.internal.", rrtype::kA, "192.168.4.5"),
                             rec("four.corp.internal.", rrtype::kA, "192.168.9.5"),
                         },
                         /*ptr=*/true));
  Server s(std::move(c));
  EXPECT_THAT(texts(s.ask("5.0.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1").answer),
              ElementsAre("5.0.1.10.in-addr.arpa. 300 IN PTR one.corp.internal."));
  EXPECT_THAT(texts(s.ask("5.16.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1").answer),
              ElementsAre("5.16.1.10.in-addr.arpa. 300 IN PTR two.corp.internal."));
  EXPECT_THAT(texts(s.ask("5.4.168.192.in-addr.arpa.", rrtype::kPTR, "192.168.0.1").answer),
              ElementsAre("5.4.168.192.in-addr.arpa. 300 IN PTR three.corp.internal."));
  EXPECT_THAT(texts(s.ask("5.9.168.192.in-addr.arpa.", rrtype::kPTR, "192.168.0.1").answer),
              ElementsAre("5.9.168.192.in-addr.arpa. 300 IN PTR four.corp.internal."));
  // A /20 is cut into its /24 zones (never widened to the /16): the rest of that /24 is
  // NXDOMAIN with that zone's own SOA.
  const auto m = s.ask("6.16.1.10.in-addr.arpa.", rrtype::kPTR, "10.1.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("16.1.10.in-addr.arpa.")));
}

config::Config hostnamesConfig() {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.0.0.0/16"}, "ec2.internal.")};
  c.zones.push_back(zone("corp.internal.", {"vpc-a"},
                         {rec("www.corp.internal.", rrtype::kA, "10.0.0.5")}, /*ptr=*/true));
  return c;
}

TEST(ZoneStageHostnames, AForAddressesInTheVpc) {
  Server s(hostnamesConfig());
  auto m = s.ask("ip-10-0-1-23.ec2.internal.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer), ElementsAre("ip-10-0-1-23.ec2.internal. 60 IN A 10.0.1.23"));
  EXPECT_THAT(m.authority, IsEmpty());

  m = s.ask("IP-10-0-1-23.EC2.Internal.", rrtype::kA, "10.0.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("IP-10-0-1-23.EC2.Internal. 60 IN A 10.0.1.23"));

  m = s.ask("ip-10-0-1-23.ec2.internal.", rrtype::kANY, "10.0.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("ip-10-0-1-23.ec2.internal. 60 IN A 10.0.1.23"));
}

TEST(ZoneStageHostnames, NodataForOtherTypes) {
  Server s(hostnamesConfig());
  for (uint16_t type : {rrtype::kAAAA, rrtype::kTXT, rrtype::kPTR}) {
    SCOPED_TRACE(type);
    const auto m = s.ask("ip-10-0-1-23.ec2.internal.", type, "10.0.0.1");
    EXPECT_EQ(m.rcode(), rcode::kNoError);
    EXPECT_TRUE(m.header.aa);
    EXPECT_THAT(m.answer, IsEmpty());
    EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("ec2.internal.")));
  }
}

TEST(ZoneStageHostnames, OtherNamesInTheDomainDoNotExist) {
  Server s(hostnamesConfig());
  for (const char* name :
       {"ip-10-1-0-1.ec2.internal.", "ip-010-0-1-23.ec2.internal.", "ip-10-0-1.ec2.internal.",
        "x.ip-10-0-1-23.ec2.internal.", "www.ec2.internal."}) {
    SCOPED_TRACE(name);
    const auto m = s.ask(name, rrtype::kA, "10.0.0.1");
    EXPECT_EQ(m.rcode(), rcode::kNXDomain);
    EXPECT_TRUE(m.header.aa);
    EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("ec2.internal.")));
  }
  const auto apex = s.ask("ec2.internal.", rrtype::kSOA, "10.0.0.1");
  EXPECT_THAT(texts(apex.answer), ElementsAre(syntheticSoa("ec2.internal.")));
}

TEST(ZoneStageHostnames, PtrForAddressesInTheVpc) {
  Server s(hostnamesConfig());
  auto m = s.ask("23.1.0.10.in-addr.arpa.", rrtype::kPTR, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.answer),
              ElementsAre("23.1.0.10.in-addr.arpa. 60 IN PTR ip-10-0-1-23.ec2.internal."));

  // A zone's own PTR (ptr: true) wins over the synthesized name.
  m = s.ask("5.0.0.10.in-addr.arpa.", rrtype::kPTR, "10.0.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("5.0.0.10.in-addr.arpa. 300 IN PTR www.corp.internal."));

  // NODATA for another type at a synthesized PTR name.
  m = s.ask("23.1.0.10.in-addr.arpa.", rrtype::kA, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_THAT(m.answer, IsEmpty());
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("0.10.in-addr.arpa.")));

  // Outside the VPC: the built-in zone's NXDOMAIN. Not a complete address: NXDOMAIN too.
  m = s.ask("23.1.9.10.in-addr.arpa.", rrtype::kPTR, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));
  m = s.ask("023.1.0.10.in-addr.arpa.", rrtype::kPTR, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("0.10.in-addr.arpa.")));
  m = s.ask("1.0.10.in-addr.arpa.", rrtype::kPTR, "10.0.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("0.10.in-addr.arpa.")));
}

// ---- local zones -------------------------------------------------------------------------------

TEST(ZoneStageLocalZones, CanBeTurnedOffPerVpc) {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-off", {"10.5.0.0/16"}, std::nullopt, /*local_zones=*/false),
            vpc("vpc-on", {"10.6.0.0/16"})};
  Server s(std::move(c));

  EXPECT_EQ(s.ask("localhost.", rrtype::kA, "10.5.0.1").rcode(), rcode::kServFail);
  EXPECT_EQ(s.ask("1.0.0.10.in-addr.arpa.", rrtype::kPTR, "10.5.0.1").rcode(), rcode::kServFail);
  EXPECT_EQ(s.ask("1.1.168.192.in-addr.arpa.", rrtype::kPTR, "10.5.0.1").rcode(), rcode::kServFail);
  EXPECT_EQ(s.ask("1.0.0.127.in-addr.arpa.", rrtype::kPTR, "10.5.0.1").rcode(), rcode::kServFail);

  auto m = s.ask("localhost.", rrtype::kA, "10.6.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNoError);
  EXPECT_THAT(texts(m.answer), ElementsAre("localhost. 10800 IN A 127.0.0.1"));
  m = s.ask("anything.localhost.", rrtype::kAAAA, "10.6.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("anything.localhost. 10800 IN AAAA ::1"));
  m = s.ask("1.0.0.127.in-addr.arpa.", rrtype::kPTR, "10.6.0.1");
  EXPECT_THAT(texts(m.answer), ElementsAre("1.0.0.127.in-addr.arpa. 10800 IN PTR localhost."));
  m = s.ask("1.0.0.10.in-addr.arpa.", rrtype::kPTR, "10.6.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_TRUE(m.header.aa);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));
}

TEST(ZoneStageLocalZones, PrivateZoneReplacesTheBuiltinOne) {
  config::Config c = baseConfig();
  // vpc-a's own reverse zone is 10.in-addr.arpa. too (a /8): the private zone replaces both.
  c.vpcs = {vpc("vpc-a", {"172.20.0.0/16"}), vpc("vpc-b", {"172.21.0.0/16"}),
            vpc("vpc-c", {"10.0.0.0/8"})};
  c.zones.push_back(zone(
      "10.in-addr.arpa.", {"vpc-a", "vpc-c"},
      {
          rec("10.in-addr.arpa.", rrtype::kSOA, "ns.corp. hostmaster.corp. 7 3600 600 86400 60"),
          rec("5.0.0.10.in-addr.arpa.", rrtype::kPTR, "onprem.corp."),
      }));
  Server s(std::move(c));
  for (const char* source : {"172.20.0.1", "10.0.0.1"}) {
    SCOPED_TRACE(source);
    auto m = s.ask("5.0.0.10.in-addr.arpa.", rrtype::kPTR, source);
    EXPECT_EQ(m.rcode(), rcode::kNoError);
    EXPECT_TRUE(m.header.aa);
    EXPECT_THAT(texts(m.answer), ElementsAre("5.0.0.10.in-addr.arpa. 300 IN PTR onprem.corp."));
    m = s.ask("6.0.0.10.in-addr.arpa.", rrtype::kPTR, source);
    EXPECT_EQ(m.rcode(), rcode::kNXDomain);
    EXPECT_THAT(texts(m.authority),
                ElementsAre("10.in-addr.arpa. 60 IN SOA ns.corp. hostmaster.corp. 7 3600 600 "
                            "86400 60"));
  }
  // Other VPCs keep the built-in zone.
  const auto m = s.ask("5.0.0.10.in-addr.arpa.", rrtype::kPTR, "172.21.0.1");
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  EXPECT_THAT(texts(m.authority), ElementsAre(syntheticSoa("10.in-addr.arpa.")));
}

// ---- zone files and snapshot errors -------------------------------------------------------------

TEST(ZoneStageFiles, RelativeZoneFileStartsAtBaseDir) {
  char dir[] = "/tmp/vpcdns-zone-stage-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/corp.zone";
  {
    std::ofstream f(path);
    f << "$TTL 120\n@ SOA ns1 hostmaster 1 7200 3600 1209600 30\n@ NS ns1\nns1 A 10.0.0.2\n"
         "db A 10.0.0.8\n";
  }
  config::Config c = baseConfig();
  c.base_dir = dir;
  c.vpcs = {vpc("vpc-a", {"10.0.0.0/16"})};
  config::ZoneSpec z = zone("corp.internal.", {"vpc-a"}, {});
  z.file = "corp.zone";
  c.zones.push_back(z);
  {
    Server s(c);
    EXPECT_THAT(texts(s.ask("db.corp.internal.", rrtype::kA, "10.0.0.1").answer),
                ElementsAre("db.corp.internal. 120 IN A 10.0.0.8"));
    EXPECT_THAT(texts(s.ask("nx.corp.internal.", rrtype::kA, "10.0.0.1").authority),
                ElementsAre("corp.internal. 30 IN SOA ns1.corp.internal. "
                            "hostmaster.corp.internal. 1 7200 3600 1209600 30"));
  }
  ::unlink(path.c_str());
  ::rmdir(dir);

  // Without the file the snapshot is not built, and the error names the file.
  auto missing = buildSnapshot(std::make_shared<const config::Config>(c));
  ASSERT_FALSE(missing.ok());
  ASSERT_EQ(missing.error().size(), 1u);
  EXPECT_EQ(missing.error()[0],
            std::string(dir) + "/corp.zone: cannot read file: No such file or directory");
}

TEST(ZoneStageFiles, BadInlineZoneIsASnapshotError) {
  config::Config c = baseConfig();
  c.vpcs = {vpc("vpc-a", {"10.0.0.0/16"})};
  config::ZoneSpec z = zone("corp.internal.", {"vpc-a"},
                            {rec("corp.internal.", rrtype::kCNAME, "elsewhere.example.")});
  z.line = 12;
  z.column = 5;
  c.zones.push_back(z);
  auto s = buildSnapshot(std::make_shared<const config::Config>(c));
  ASSERT_FALSE(s.ok());
  ASSERT_EQ(s.error().size(), 1u);
  EXPECT_EQ(s.error()[0], "test.yaml:12:5: corp.internal.: CNAME at the zone apex");
}

}  // namespace
}  // namespace vpcdns::server
