#include "resolver/classify.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::resolver {
namespace {

using dns::rrtype::kA;
using dns::rrtype::kAAAA;
using dns::rrtype::kCNAME;
using dns::rrtype::kDNAME;
using dns::rrtype::kNS;
using dns::rrtype::kSOA;

constexpr size_t kMaxChain = 12;

dns::Name name(std::string_view text) {
  auto n = dns::Name::fromText(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? n.value() : dns::Name();
}

// "owner ttl TYPE rdata", names absolute.
dns::Record rr(std::string_view line) {
  const size_t a = line.find(' ');
  const size_t b = line.find(' ', a + 1);
  const size_t c = line.find(' ', b + 1);
  dns::Record r;
  r.name = name(line.substr(0, a));
  r.ttl = static_cast<uint32_t>(std::stoul(std::string(line.substr(a + 1, b - a - 1))));
  const auto type = dns::typeFromText(line.substr(b + 1, c - b - 1));
  EXPECT_TRUE(type.has_value()) << line;
  r.type = type.value_or(0);
  auto rdata = dns::rdataFromText(r.type, line.substr(c + 1));
  EXPECT_TRUE(rdata.ok()) << line;
  if (rdata.ok()) r.rdata = rdata.value();
  return r;
}

std::vector<dns::Record> rrs(std::initializer_list<std::string_view> lines) {
  std::vector<dns::Record> out;
  for (auto l : lines) out.push_back(rr(l));
  return out;
}

struct Reply {
  uint16_t rcode = dns::rcode::kNoError;
  bool aa = true;
  bool ra = false;
  std::vector<dns::Record> answer, authority, additional;
};

dns::Message message(const Reply& r, std::string_view qname = "www.example.test.",
                     uint16_t qtype = kA) {
  dns::Message m;
  m.header.qr = true;
  m.header.aa = r.aa;
  m.header.ra = r.ra;
  m.questions.push_back({name(qname), qtype, dns::rrclass::kIN});
  m.setRcode(r.rcode);
  m.answer = r.answer;
  m.authority = r.authority;
  m.additional = r.additional;
  return m;
}

Classified run(const Reply& r, std::string_view zone, std::string_view qname, uint16_t qtype = kA,
               size_t max_chain = kMaxChain) {
  return classify(message(r, qname, qtype), name(zone), name(qname), qtype, max_chain);
}

const dns::Name& target(const dns::Record& r) {
  return std::get<dns::RdataName>(r.rdata).name;
}

constexpr std::string_view kSoaExample =
    "example.test. 300 SOA ns.example.test. host.example.test. 1 3600 600 86400 60";

// ---- answers ------------------------------------------------------------------------------------

TEST(ClassifyTest, PlainAuthoritativeAnswer) {
  Reply r;
  r.answer = rrs({"www.example.test. 300 A 192.0.2.1", "www.example.test. 300 A 192.0.2.2"});
  r.authority = rrs({"example.test. 300 NS ns.example.test."});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  EXPECT_TRUE(c.aa);
  EXPECT_TRUE(c.chain.empty());
  EXPECT_EQ(c.next, name("www.example.test."));
  ASSERT_EQ(c.data.size(), 2u);
  EXPECT_EQ(c.data[0], r.answer[0]);
  EXPECT_EQ(c.data[1], r.answer[1]);
  EXPECT_FALSE(c.soa.has_value());
}

TEST(ClassifyTest, AnswerIgnoresOtherTypesAndNamesInTheAnswerSection) {
  Reply r;
  r.answer = rrs({"www.example.test. 300 AAAA 2001:db8::1", "mail.example.test. 300 A 192.0.2.9",
                  "www.example.test. 300 A 192.0.2.1"});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  ASSERT_EQ(c.data.size(), 1u);
  EXPECT_EQ(c.data[0], r.answer[2]);
}

TEST(ClassifyTest, AnswerMatchesTheQueryNameIgnoringCase) {
  Reply r;
  r.answer = rrs({"www.example.test. 300 A 192.0.2.1"});
  const auto c = run(r, "example.test.", "WwW.ExAmPlE.tEsT.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  EXPECT_EQ(c.data.size(), 1u);
}

TEST(ClassifyTest, CnameChainInsideTheZoneIsFollowedToTheData) {
  Reply r;
  r.answer = rrs({"www.example.test. 300 CNAME web.example.test.",
                  "web.example.test. 300 CNAME host.sub.example.test.",
                  "host.sub.example.test. 300 A 192.0.2.7"});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(c.chain[0], r.answer[0]);
  EXPECT_EQ(c.chain[1], r.answer[1]);
  EXPECT_EQ(c.next, name("host.sub.example.test."));
  ASSERT_EQ(c.data.size(), 1u);
  EXPECT_EQ(c.data[0], r.answer[2]);
}

TEST(ClassifyTest, CnameChainInAnyOrderIsFollowed) {
  Reply r;
  r.answer =
      rrs({"host.example.test. 300 A 192.0.2.7", "web.example.test. 300 CNAME host.example.test.",
           "www.example.test. 300 CNAME web.example.test."});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(c.chain[0].name, name("www.example.test."));
  EXPECT_EQ(c.chain[1].name, name("web.example.test."));
  EXPECT_EQ(c.data.size(), 1u);
}

TEST(ClassifyTest, CnameQueryIsAnsweredByTheCnameItself) {
  Reply r;
  r.answer =
      rrs({"www.example.test. 300 CNAME web.example.test.", "web.example.test. 300 A 192.0.2.7"});
  const auto c = run(r, "example.test.", "www.example.test.", kCNAME);
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  EXPECT_TRUE(c.chain.empty());
  ASSERT_EQ(c.data.size(), 1u);
  EXPECT_EQ(c.data[0].type, kCNAME);
}

TEST(ClassifyTest, CnameLeavingTheZoneGivesTheTargetToGoOnFrom) {
  Reply r;
  r.answer = rrs({"www.example.test. 300 CNAME www.other.",
                  // Not this server's to say: must not be taken as the data.
                  "www.other. 300 A 198.51.100.66"});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kCname);
  ASSERT_EQ(c.chain.size(), 1u);
  EXPECT_EQ(c.chain[0], r.answer[0]);
  EXPECT_EQ(c.next, name("www.other."));
  EXPECT_TRUE(c.data.empty());
}

TEST(ClassifyTest, CnameLeavingTheZoneWithNxDomainIsStillACname) {
  // The RCODE speaks of www.other., which this server does not serve.
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  r.answer = rrs({"www.example.test. 300 CNAME www.other."});
  r.authority = rrs({"other. 300 SOA ns.other. host.other. 1 3600 600 86400 60"});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kCname);
  EXPECT_EQ(c.next, name("www.other."));
  EXPECT_FALSE(c.soa.has_value());
}

TEST(ClassifyTest, CnameToAMissingNameInTheZoneIsNxDomainAfterTheChain) {
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  r.answer = rrs({"www.example.test. 300 CNAME gone.example.test."});
  r.authority = rrs({kSoaExample});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kNxDomain);
  ASSERT_EQ(c.chain.size(), 1u);
  EXPECT_EQ(c.next, name("gone.example.test."));
  ASSERT_TRUE(c.soa.has_value());
  EXPECT_EQ(c.soa->name, name("example.test."));
}

// ---- DNAME (RFC 6672) ---------------------------------------------------------------------------

TEST(ClassifyTest, DnameIsSynthesizedIntoACnameAndFollowed) {
  Reply r;
  r.answer = rrs({"sub.example.test. 600 DNAME target.example.test.",
                  // The server's own synthesized CNAME: ignored, we synthesize ours.
                  "www.sub.example.test. 0 CNAME www.target.example.test.",
                  "www.target.example.test. 300 A 192.0.2.44"});
  const auto c = run(r, "example.test.", "www.sub.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(c.chain[0].type, kDNAME);
  EXPECT_EQ(c.chain[0].name, name("sub.example.test."));
  EXPECT_EQ(c.chain[1].type, kCNAME);
  EXPECT_EQ(c.chain[1].name, name("www.sub.example.test."));
  EXPECT_EQ(target(c.chain[1]), name("www.target.example.test."));
  EXPECT_EQ(c.chain[1].ttl, 600u);  // the DNAME's TTL (RFC 6672 §3.4)
  EXPECT_EQ(c.next, name("www.target.example.test."));
  ASSERT_EQ(c.data.size(), 1u);
  EXPECT_EQ(c.data[0], r.answer[2]);
}

TEST(ClassifyTest, DnameWithoutTheServersCnameIsStillSynthesized) {
  Reply r;
  r.answer = rrs({"sub.example.test. 600 DNAME target.example.test.",
                  "a.b.target.example.test. 300 A 192.0.2.44"});
  const auto c = run(r, "example.test.", "a.b.sub.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(target(c.chain[1]), name("a.b.target.example.test."));
  EXPECT_EQ(c.data.size(), 1u);
}

TEST(ClassifyTest, DnameLeavingTheZoneGivesTheSubstitutedName) {
  Reply r;
  r.answer = rrs({"sub.example.test. 600 DNAME elsewhere.other.",
                  "www.sub.example.test. 0 CNAME www.elsewhere.other."});
  const auto c = run(r, "example.test.", "www.sub.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kCname);
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(c.chain[0].type, kDNAME);
  EXPECT_EQ(c.chain[1].type, kCNAME);
  EXPECT_EQ(c.next, name("www.elsewhere.other."));
}

TEST(ClassifyTest, DnameAtTheQueryNameItselfIsNotApplied) {
  // RFC 6672 §2.3: a DNAME redirects the names below its owner, not the owner.
  Reply r;
  r.answer = rrs({"sub.example.test. 600 DNAME target.example.test."});
  const auto c = run(r, "example.test.", "sub.example.test.");
  EXPECT_TRUE(c.chain.empty());
  EXPECT_NE(c.kind, ReplyKind::kAnswer);
  EXPECT_NE(c.kind, ReplyKind::kCname);
}

TEST(ClassifyTest, DnameOutsideTheZoneIsIgnored) {
  Reply r;
  r.answer = rrs({"test. 600 DNAME evil.other."});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_TRUE(c.chain.empty());
  EXPECT_NE(c.kind, ReplyKind::kCname);
  EXPECT_EQ(c.next, name("www.example.test."));
}

TEST(ClassifyTest, DnameSubstitute) {
  EXPECT_EQ(dnameSubstitute(name("www.sub.example."), name("sub.example."), name("other.net.")),
            name("www.other.net."));
  EXPECT_EQ(dnameSubstitute(name("a.b.sub.example."), name("sub.example."), name(".")),
            name("a.b."));
  // The owner itself: nothing to prepend.
  EXPECT_EQ(dnameSubstitute(name("sub.example."), name("sub.example."), name("x.")), name("x."));
  EXPECT_FALSE(dnameSubstitute(name("www.example."), name("sub.example."), name("x.")));
}

TEST(ClassifyTest, DnameSubstituteOverflowIsNullopt) {
  const std::string l63(63, 'a');
  // 3 labels of 63 octets + "d.": 3 * 64 + 2 + 1 = 195 octets.
  const dns::Name long_name = name(l63 + "." + l63 + "." + l63 + ".d.");
  // Target of 2 * 64 + 1 = 129 octets: 192 + 129 > 255.
  const dns::Name long_target = name(l63 + "." + l63 + ".");
  EXPECT_FALSE(dnameSubstitute(long_name, name("d."), long_target).has_value());
  // Exactly at the limit: 3 * 64 + (62 + 1) = 255.
  const auto fits = dnameSubstitute(long_name, name("d."), name(std::string(61, 'b') + "."));
  ASSERT_TRUE(fits.has_value());
  EXPECT_EQ(fits->wireLength(), 255u);
}

TEST(ClassifyTest, DnameSubstitutionOverflowInAReplyIsAnError) {
  const std::string l63(63, 'a');
  const std::string qname = l63 + "." + l63 + "." + l63 + ".d.example.test.";
  Reply r;
  r.answer = {rr("d.example.test. 300 DNAME " + l63 + "." + l63 + ".example.test.")};
  const auto c = run(r, "example.test.", qname);
  EXPECT_EQ(c.kind, ReplyKind::kError);
}

// ---- negative answers ---------------------------------------------------------------------------

TEST(ClassifyTest, NxDomainWithSoa) {
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  r.authority = rrs({kSoaExample});
  const auto c = run(r, "example.test.", "nope.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kNxDomain);
  EXPECT_EQ(c.next, name("nope.example.test."));
  ASSERT_TRUE(c.soa.has_value());
  EXPECT_EQ(*c.soa, r.authority[0]);
}

// What a middlebox or a recursive server in the path sends: NXDOMAIN with RA, no AA, no SOA
// (seen from this sandbox's network for every address). Nothing says an authority denied it.
TEST(ClassifyTest, NxDomainWithoutAaOrSoaIsLame) {
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  r.aa = false;
  EXPECT_EQ(run(r, "example.test.", "nope.example.test.").kind, ReplyKind::kLame);
  r.ra = true;
  EXPECT_EQ(run(r, "example.test.", "nope.example.test.").kind, ReplyKind::kLame);
  r.authority = rrs({kSoaExample});  // with an SOA but from a recursive server: still lame
  EXPECT_EQ(run(r, "example.test.", "nope.example.test.").kind, ReplyKind::kLame);
  r.ra = false;  // a non-AA authority that sends its SOA is believed
  EXPECT_EQ(run(r, "example.test.", "nope.example.test.").kind, ReplyKind::kNxDomain);
}

// RA without AA: a recursive server answering from its cache is lame for iteration.
TEST(ClassifyTest, RecursiveAnswerWithoutAaIsLame) {
  Reply r;
  r.aa = false;
  r.ra = true;
  r.answer = rrs({"www.example.test. 300 A 192.0.2.1"});
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kLame);
  EXPECT_TRUE(c.data.empty());
  r.ra = false;  // without RA it is taken, as non-authoritative data
  EXPECT_EQ(run(r, "example.test.", "www.example.test.").kind, ReplyKind::kAnswer);
}

TEST(ClassifyTest, NxDomainSoaOutsideTheZoneIsIgnored) {
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  // The parent's SOA, and an unrelated zone's: neither may be believed from this server.
  r.authority = rrs({"test. 300 SOA ns.test. host.test. 1 3600 600 86400 60",
                     "other. 300 SOA ns.other. host.other. 1 3600 600 86400 60"});
  const auto c = run(r, "example.test.", "nope.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kNxDomain);
  EXPECT_FALSE(c.soa.has_value());
}

TEST(ClassifyTest, NxDomainSoaNotAboveTheNameIsIgnored) {
  Reply r;
  r.rcode = dns::rcode::kNXDomain;
  r.authority =
      rrs({"sub.example.test. 300 SOA ns.example.test. h.example.test. 1 3600 600 86400 60"});
  const auto c = run(r, "example.test.", "nope.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kNxDomain);
  EXPECT_FALSE(c.soa.has_value());
}

TEST(ClassifyTest, NoDataWithSoa) {
  Reply r;
  r.authority = rrs({kSoaExample});
  const auto c = run(r, "example.test.", "www.example.test.", kAAAA);
  EXPECT_EQ(c.kind, ReplyKind::kNoData);
  EXPECT_EQ(c.next, name("www.example.test."));
  ASSERT_TRUE(c.soa.has_value());
  EXPECT_EQ(*c.soa, r.authority[0]);
  EXPECT_TRUE(c.data.empty());
}

TEST(ClassifyTest, NoDataWithSoaWithoutAa) {
  Reply r;
  r.aa = false;
  r.authority = rrs({kSoaExample});
  const auto c = run(r, "example.test.", "www.example.test.", kAAAA);
  EXPECT_EQ(c.kind, ReplyKind::kNoData);
  EXPECT_FALSE(c.aa);
  EXPECT_TRUE(c.soa.has_value());
}

TEST(ClassifyTest, AuthoritativeEmptyReplyIsNoDataWithoutSoa) {
  Reply r;
  const auto c = run(r, "example.test.", "www.example.test.", kAAAA);
  EXPECT_EQ(c.kind, ReplyKind::kNoData);
  EXPECT_FALSE(c.soa.has_value());
}

// ---- referrals ----------------------------------------------------------------------------------

TEST(ClassifyTest, ReferralKeepsOnlyInBailiwickGlueOfTheNsNames) {
  Reply r;
  r.aa = false;
  r.authority =
      rrs({"example.test. 86400 NS ns1.example.test.", "example.test. 86400 NS ns.evil.other."});
  r.additional =
      rrs({"ns1.example.test. 86400 A 192.0.2.53", "ns1.example.test. 86400 AAAA 2001:db8::53",
           "ns.evil.other. 86400 A 203.0.113.66",      // out of bailiwick of test.
           "www.victim.test. 86400 A 203.0.113.67"});  // in bailiwick, not an NS
  const auto c = run(r, "test.", "www.example.test.");
  ASSERT_EQ(c.kind, ReplyKind::kReferral);
  EXPECT_FALSE(c.aa);
  EXPECT_EQ(c.cut, name("example.test."));
  ASSERT_EQ(c.ns.size(), 2u);
  EXPECT_EQ(c.ns[0], r.authority[0]);
  EXPECT_EQ(c.ns[1], r.authority[1]);
  ASSERT_EQ(c.glue.size(), 2u);
  EXPECT_EQ(c.glue[0], r.additional[0]);
  EXPECT_EQ(c.glue[1], r.additional[1]);
  for (const auto& g : c.glue) EXPECT_EQ(g.name, name("ns1.example.test."));
}

TEST(ClassifyTest, ReferralForTheMinimisedNameItself) {
  Reply r;
  r.aa = false;
  r.authority = rrs({"example.test. 86400 NS ns.example.test."});
  r.additional = rrs({"ns.example.test. 86400 A 192.0.2.53"});
  const auto c = run(r, "test.", "example.test.");
  ASSERT_EQ(c.kind, ReplyKind::kReferral);
  EXPECT_EQ(c.cut, name("example.test."));
  EXPECT_EQ(c.glue.size(), 1u);
}

TEST(ClassifyTest, ReferralToAZoneNotAboveTheNameIsNotAReferral) {
  Reply r;
  r.aa = false;
  r.authority = rrs({"other.test. 86400 NS ns.other.test."});
  const auto c = run(r, "test.", "www.example.test.");
  EXPECT_NE(c.kind, ReplyKind::kReferral);
}

TEST(ClassifyTest, UpwardReferralIsLame) {
  Reply r;
  r.aa = false;
  r.authority = rrs({". 518400 NS a.root-servers.net."});
  r.additional = rrs({"a.root-servers.net. 518400 A 198.41.0.4"});
  const auto c = run(r, "test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kLame);
  EXPECT_TRUE(c.glue.empty());
}

TEST(ClassifyTest, ReferralToTheZoneItselfIsLame) {
  Reply r;
  r.aa = false;
  r.authority = rrs({"test. 86400 NS ns.test."});
  const auto c = run(r, "test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kLame);
}

TEST(ClassifyTest, SidewaysReferralIsLame) {
  Reply r;
  r.aa = false;
  r.authority = rrs({"other. 86400 NS ns.other."});
  const auto c = run(r, "test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kLame);
}

TEST(ClassifyTest, NonAuthoritativeEmptyReplyIsLame) {
  Reply r;
  r.aa = false;
  const auto c = run(r, "example.test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kLame);
}

TEST(ClassifyTest, ServfailRefusedAndOtherRcodesAreErrors) {
  for (uint16_t rcode : {dns::rcode::kServFail, dns::rcode::kRefused, dns::rcode::kFormErr,
                         dns::rcode::kNotImp, dns::rcode::kBadVers}) {
    Reply r;
    r.rcode = rcode;
    r.answer = rrs({"www.example.test. 300 A 192.0.2.1"});
    const auto c = run(r, "example.test.", "www.example.test.");
    EXPECT_EQ(c.kind, ReplyKind::kError) << rcode;
    EXPECT_TRUE(c.data.empty()) << rcode;
  }
}

// ---- bailiwick ----------------------------------------------------------------------------------

TEST(ClassifyTest, AnswerForANameOutsideTheZoneIsNotData) {
  // A server for test. answering for www.other.: not its data, whatever it says.
  Reply r;
  r.answer = rrs({"www.other. 300 A 203.0.113.1"});
  const auto c = run(r, "test.", "www.other.");
  EXPECT_NE(c.kind, ReplyKind::kAnswer);
  EXPECT_TRUE(c.data.empty());
}

TEST(ClassifyTest, UnrelatedOutOfZoneAnswerRecordsAreIgnored) {
  Reply r;
  r.answer = rrs({"www.other. 300 A 203.0.113.1"});
  r.authority = rrs({"test. 300 SOA ns.test. host.test. 1 3600 600 86400 60"});
  const auto c = run(r, "test.", "www.example.test.");
  EXPECT_EQ(c.kind, ReplyKind::kNoData);
  EXPECT_TRUE(c.data.empty());
}

TEST(ClassifyTest, NsAnswerGlueIsScrubbed) {
  Reply r;
  r.answer = rrs({"example.test. 300 NS ns1.example.test.", "example.test. 300 NS ns.other."});
  r.additional = rrs({"ns1.example.test. 300 A 192.0.2.53", "ns.other. 300 A 203.0.113.2",
                      "www.example.test. 300 A 203.0.113.3"});
  const auto c = run(r, "example.test.", "example.test.", kNS);
  EXPECT_EQ(c.kind, ReplyKind::kAnswer);
  EXPECT_EQ(c.ns.size(), 2u);
  ASSERT_EQ(c.glue.size(), 1u);
  EXPECT_EQ(c.glue[0].name, name("ns1.example.test."));
}

// ---- chain limits -------------------------------------------------------------------------------

TEST(ClassifyTest, CnameLoopInsideOneReplyIsAnError) {
  Reply r;
  r.answer = rrs(
      {"a.example.test. 300 CNAME b.example.test.", "b.example.test. 300 CNAME a.example.test."});
  const auto c = run(r, "example.test.", "a.example.test.", kA, 8);
  EXPECT_EQ(c.kind, ReplyKind::kError);
  EXPECT_LE(c.chain.size(), 8u);
}

TEST(ClassifyTest, CnameSelfLoopIsAnError) {
  Reply r;
  r.answer = rrs({"a.example.test. 300 CNAME a.example.test."});
  const auto c = run(r, "example.test.", "a.example.test.", kA, 3);
  EXPECT_EQ(c.kind, ReplyKind::kError);
}

TEST(ClassifyTest, ChainUpToMaxChainIsFollowedAndLongerIsAnError) {
  Reply r;
  r.answer = rrs(
      {"c0.example.test. 300 CNAME c1.example.test.", "c1.example.test. 300 CNAME c2.example.test.",
       "c2.example.test. 300 CNAME c3.example.test.", "c3.example.test. 300 A 192.0.2.3"});
  const auto ok = run(r, "example.test.", "c0.example.test.", kA, 3);
  EXPECT_EQ(ok.kind, ReplyKind::kAnswer);
  EXPECT_EQ(ok.chain.size(), 3u);
  const auto too_long = run(r, "example.test.", "c0.example.test.", kA, 2);
  EXPECT_EQ(too_long.kind, ReplyKind::kError);
}

// ---- splitRRsets --------------------------------------------------------------------------------

TEST(ClassifyTest, SplitRRsetsGroupsByOwnerTypeAndClassInFirstAppearanceOrder) {
  auto records =
      rrs({"a.test. 300 A 192.0.2.1", "b.test. 300 A 192.0.2.2", "A.TEST. 300 A 192.0.2.3",
           "a.test. 300 AAAA 2001:db8::1", "b.test. 300 A 192.0.2.4"});
  dns::Record ch = rr("a.test. 300 A 192.0.2.5");
  ch.cls = dns::rrclass::kCH;
  records.push_back(ch);
  const auto sets = splitRRsets(records);
  ASSERT_EQ(sets.size(), 4u);
  ASSERT_EQ(sets[0].size(), 2u);
  EXPECT_EQ(sets[0][0], records[0]);
  EXPECT_EQ(sets[0][1], records[2]);  // owner compared ignoring case
  ASSERT_EQ(sets[1].size(), 2u);
  EXPECT_EQ(sets[1][0], records[1]);
  EXPECT_EQ(sets[1][1], records[4]);
  ASSERT_EQ(sets[2].size(), 1u);
  EXPECT_EQ(sets[2][0].type, kAAAA);
  ASSERT_EQ(sets[3].size(), 1u);
  EXPECT_EQ(sets[3][0].cls, dns::rrclass::kCH);
  EXPECT_TRUE(splitRRsets({}).empty());
}

}  // namespace
}  // namespace vpcdns::resolver
