// Zone: build-time validation and merging, and every kind of lookup result (RFC 1034 §4.3.2,
// RFC 4592 wildcards, RFC 2308 negative answers, zone cuts with glue).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "dns/types.h"
#include "dns/writer.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

std::vector<dns::Record> parse(std::string_view text, std::string_view origin = "example.") {
  ZoneFileOptions options;
  options.origin = N(origin);
  auto r = parseZoneText(text, "test.zone", options);
  EXPECT_TRUE(r.ok()) << r.error().toString();
  return r.ok() ? *r : std::vector<dns::Record>{};
}

std::shared_ptr<const Zone> zoneOf(std::string_view text, std::string_view origin = "example.") {
  auto z = Zone::build(N(origin), parse(text, origin));
  EXPECT_TRUE(z.ok()) << z.error();
  return z.ok() ? *z : nullptr;
}

std::string buildError(std::string_view text, std::string_view origin = "example.") {
  auto z = Zone::build(N(origin), parse(text, origin));
  return z.ok() ? "(built)" : z.error();
}

std::vector<std::string> texts(std::span<const dns::Record> records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  return out;
}

constexpr std::string_view kSoa = "$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n";

// The zone most lookup tests use.
std::shared_ptr<const Zone> exampleZone() {
  static const auto zone = zoneOf(std::string(kSoa) + R"(
@        NS    ns1
ns1      A     192.0.2.1
www      A     192.0.2.10
www      A     192.0.2.11
Mixed    A     192.0.2.12
alias    CNAME www
a.b.c    A     192.0.2.20     ; b.c and c are empty non-terminals
*.w      A     192.0.2.30
*.w      MX    10 mail
x.w      A     192.0.2.31     ; x.w exists: the wildcard does not apply to it or below it
*.ent    TXT   "wild"
sub.ent  A     192.0.2.32
sub      NS    ns.sub
sub      NS    ns.other.
sub      NS    ns1            ; an in-zone address outside the cut
sub      DS    \# 4 01020304
ns.sub   A     192.0.2.40
ns.sub   AAAA  2001:db8::40
deep.ns.sub A  192.0.2.41     ; occluded by the cut
)");
  return zone;
}

TEST(Zone, ExactAnswerKeepsZoneCase) {
  auto z = exampleZone();
  auto r = z->lookup(N("WWW.Example."), rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kAnswer);
  ASSERT_EQ(r.rrsets.size(), 1u);
  EXPECT_EQ(texts(r.rrset().records),
            (std::vector<std::string>{"www.example. 3600 IN A 192.0.2.10",
                                      "www.example. 3600 IN A 192.0.2.11"}));
  EXPECT_FALSE(r.wildcard);
  EXPECT_EQ(r.owner_override, nullptr);
  EXPECT_EQ(r.soa, nullptr);
  auto m = z->lookup(N("mixed.EXAMPLE."), rrtype::kA);
  ASSERT_EQ(m.kind, LookupKind::kAnswer);
  EXPECT_TRUE(m.rrset().owner().identical(N("Mixed.example.")));
}

TEST(Zone, NoDataAtExistingNameAndAtEmptyNonTerminal) {
  auto z = exampleZone();
  for (const char* name : {"www.example.", "b.c.example.", "c.example.", "w.example."}) {
    auto r = z->lookup(N(name), rrtype::kAAAA);
    EXPECT_EQ(r.kind, LookupKind::kNoData) << name;
    EXPECT_TRUE(r.rrsets.empty()) << name;
    ASSERT_NE(r.soa, nullptr) << name;
    EXPECT_EQ(r.soa->ttl, 300u) << name;  // min(3600, MINIMUM 300), RFC 2308 §3
  }
  EXPECT_TRUE(z->contains(N("b.c.example.")));
  EXPECT_EQ(z->find(N("b.c.example."), rrtype::kA), nullptr);
}

TEST(Zone, NxDomainCarriesSoaWithNegativeTtl) {
  auto z = exampleZone();
  for (const char* name : {"nope.example.", "x.a.b.c.example.", "q.c.example."}) {
    auto r = z->lookup(N(name), rrtype::kA);
    EXPECT_EQ(r.kind, LookupKind::kNxDomain) << name;
    ASSERT_NE(r.soa, nullptr);
    EXPECT_EQ(dns::recordToText(*r.soa),
              "example. 300 IN SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300");
  }
  // The SOA TTL is the smaller one when MINIMUM is larger.
  auto big = zoneOf("@ 60 SOA ns hm 1 2 3 4 86400\n");
  EXPECT_EQ(big->lookup(N("x.example."), rrtype::kA).soa->ttl, 60u);
  EXPECT_EQ(big->soa().ttl, 60u);
  EXPECT_EQ(&big->negativeSoa(), big->lookup(N("x.example."), rrtype::kA).soa);
}

TEST(Zone, Cname) {
  auto z = exampleZone();
  auto r = z->lookup(N("alias.example."), rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kCname);
  EXPECT_EQ(texts(r.rrset().records),
            std::vector<std::string>{"alias.example. 3600 IN CNAME www.example."});
  // Asking for the CNAME itself is an answer.
  EXPECT_EQ(z->lookup(N("alias.example."), rrtype::kCNAME).kind, LookupKind::kAnswer);
}

TEST(Zone, WildcardAnswer) {
  auto z = exampleZone();
  const Name qname = N("Foo.w.example.");
  auto r = z->lookup(qname, rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kAnswer);
  EXPECT_TRUE(r.wildcard);
  EXPECT_EQ(r.owner_override, &qname);
  EXPECT_TRUE(r.rrset().owner().identical(N("*.w.example.")));
  // RFC 4592 §3.3.1: the closest encloser of a.b.w is w (b.w does not exist): "*.w" applies.
  const Name deep = N("a.b.w.example.");
  auto d = z->lookup(deep, rrtype::kMX);
  ASSERT_EQ(d.kind, LookupKind::kAnswer);
  EXPECT_EQ(d.owner_override, &deep);
  // A type the wildcard lacks: NODATA from the wildcard.
  auto n = z->lookup(qname, rrtype::kTXT);
  EXPECT_EQ(n.kind, LookupKind::kNoData);
  EXPECT_TRUE(n.wildcard);
  EXPECT_NE(n.soa, nullptr);
}

TEST(Zone, WildcardDoesNotApplyToExistingNamesOrBelowThem) {
  auto z = exampleZone();
  // x.w exists: its own data, and NODATA for what it lacks, never the wildcard.
  auto a = z->lookup(N("x.w.example."), rrtype::kA);
  ASSERT_EQ(a.kind, LookupKind::kAnswer);
  EXPECT_FALSE(a.wildcard);
  EXPECT_EQ(a.rrset().records[0].rdata, dns::Rdata(dns::RdataA{{192, 0, 2, 31}}));
  EXPECT_EQ(z->lookup(N("x.w.example."), rrtype::kMX).kind, LookupKind::kNoData);
  // Below x.w the closest encloser is x.w, which has no "*": NXDOMAIN.
  EXPECT_EQ(z->lookup(N("y.x.w.example."), rrtype::kA).kind, LookupKind::kNxDomain);
  // "*.ent" matches other.ent but not sub.ent (exists) nor below it.
  EXPECT_EQ(z->lookup(N("other.ent.example."), rrtype::kTXT).kind, LookupKind::kAnswer);
  EXPECT_EQ(z->lookup(N("sub.ent.example."), rrtype::kTXT).kind, LookupKind::kNoData);
  EXPECT_EQ(z->lookup(N("deeper.sub.ent.example."), rrtype::kTXT).kind, LookupKind::kNxDomain);
  // The wildcard name itself is an ordinary name.
  auto literal = z->lookup(N("*.w.example."), rrtype::kA);
  EXPECT_EQ(literal.kind, LookupKind::kAnswer);
  EXPECT_FALSE(literal.wildcard);
}

TEST(Zone, WildcardCname) {
  auto z = zoneOf(std::string(kSoa) + "*.lb CNAME www\nwww A 192.0.2.1\n");
  const Name q = N("x.lb.example.");
  auto r = z->lookup(q, rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kCname);
  EXPECT_TRUE(r.wildcard);
  EXPECT_EQ(r.owner_override, &q);
}

TEST(Zone, DelegationWithGlue) {
  auto z = exampleZone();
  for (const char* name : {"sub.example.", "host.sub.example.", "ns.sub.example.",
                           "deep.ns.sub.example.", "a.deep.ns.sub.example."}) {
    for (uint16_t type : {rrtype::kA, rrtype::kNS, rrtype::kANY}) {
      auto r = z->lookup(N(name), type);
      ASSERT_EQ(r.kind, LookupKind::kDelegation) << name << " " << type;
      EXPECT_EQ(texts(r.rrset().records),
                (std::vector<std::string>{"sub.example. 3600 IN NS ns.sub.example.",
                                          "sub.example. 3600 IN NS ns.other.",
                                          "sub.example. 3600 IN NS ns1.example."}));
      std::vector<std::string> glue;
      for (const RRset* s : r.glue) {
        for (const auto& t : texts(s->records)) glue.push_back(t);
      }
      EXPECT_EQ(glue, (std::vector<std::string>{"ns.sub.example. 3600 IN A 192.0.2.40",
                                                "ns.sub.example. 3600 IN AAAA 2001:db8::40",
                                                "ns1.example. 3600 IN A 192.0.2.1"}));
      EXPECT_EQ(r.soa, nullptr);
    }
  }
  // DS at the cut is the parent's (this zone's) data: RFC 4035 §3.1.4.1.
  auto ds = z->lookup(N("sub.example."), rrtype::kDS);
  EXPECT_EQ(ds.kind, LookupKind::kAnswer);
  // NS at the apex is authoritative data, not a delegation.
  auto apex = z->lookup(N("example."), rrtype::kNS);
  EXPECT_EQ(apex.kind, LookupKind::kAnswer);
  // The occluded data is still there for find().
  EXPECT_NE(z->find(N("deep.ns.sub.example."), rrtype::kA), nullptr);
}

TEST(Zone, NestedCutReferralIsTheTopOne) {
  auto z = zoneOf(std::string(kSoa) + "a NS ns.a\nb.a NS ns.b.a\nns.a A 192.0.2.1\n");
  auto r = z->lookup(N("x.b.a.example."), rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kDelegation);
  EXPECT_TRUE(r.rrset().owner().identical(N("a.example.")));
  EXPECT_EQ(r.glue.size(), 1u);
}

TEST(Zone, AnyReturnsEveryRRsetAtTheName) {
  auto z = exampleZone();
  auto r = z->lookup(N("example."), rrtype::kANY);
  ASSERT_EQ(r.kind, LookupKind::kAnswer);
  ASSERT_EQ(r.rrsets.size(), 2u);
  EXPECT_EQ(r.rrsets[0].type, rrtype::kNS);  // sorted by type
  EXPECT_EQ(r.rrsets[1].type, rrtype::kSOA);
  auto w = z->lookup(N("q.w.example."), rrtype::kANY);
  ASSERT_EQ(w.kind, LookupKind::kAnswer);
  EXPECT_EQ(w.rrsets.size(), 2u);
  EXPECT_TRUE(w.wildcard);
  EXPECT_EQ(z->lookup(N("c.example."), rrtype::kANY).kind, LookupKind::kNoData);
  EXPECT_EQ(z->lookup(N("alias.example."), rrtype::kANY).kind, LookupKind::kAnswer);
}

TEST(Zone, NotInZone) {
  auto z = exampleZone();
  for (const char* name : {"www.other.", ".", "com.", "xexample."}) {
    auto r = z->lookup(N(name), rrtype::kA);
    EXPECT_EQ(r.kind, LookupKind::kNotInZone) << name;
    EXPECT_TRUE(r.rrsets.empty());
    EXPECT_EQ(r.soa, nullptr);
  }
}

TEST(Zone, RootZone) {
  auto z =
      zoneOf("@ SOA a. b. 1 2 3 4 5\ncom NS ns.com.\nns.com A 192.0.2.1\nx A 192.0.2.2\n", ".");
  EXPECT_EQ(z->lookup(N("www.com."), rrtype::kA).kind, LookupKind::kDelegation);
  EXPECT_EQ(z->lookup(N("x."), rrtype::kA).kind, LookupKind::kAnswer);
  EXPECT_EQ(z->lookup(N("y."), rrtype::kA).kind, LookupKind::kNxDomain);
  EXPECT_EQ(z->lookup(N("."), rrtype::kSOA).kind, LookupKind::kAnswer);
}

TEST(Zone, MergesRRsetsWithSmallestTtlAndNoDuplicates) {
  auto z = zoneOf(std::string(kSoa) +
                  "www 300 A 192.0.2.1\nWWW 60 A 192.0.2.2\nwww 900 A 192.0.2.1\n"
                  "www 10 TXT x\nmx MX 10 Mail\nmx MX 10 mail\n");
  const RRset* a = z->findRRset(N("www.example."), rrtype::kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ttl, 60u);
  EXPECT_EQ(texts(a->records), (std::vector<std::string>{"www.example. 60 IN A 192.0.2.1",
                                                         "www.example. 60 IN A 192.0.2.2"}));
  EXPECT_EQ(z->findRRset(N("www.example."), rrtype::kTXT)->ttl, 10u);  // per RRset
  // RDATA names compare case-insensitively: one MX.
  EXPECT_EQ(z->find(N("mx.example."), rrtype::kMX)->size(), 1u);
  EXPECT_EQ(z->rrsetCount(), 4u);  // SOA, A, TXT, MX
}

TEST(Zone, RecordsRebuildAnEqualZone) {
  auto z = exampleZone();
  auto records = z->records();
  auto again = Zone::build(z->origin(), records);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ((*again)->records(), records);
  EXPECT_EQ((*again)->rrsetCount(), z->rrsetCount());
  EXPECT_EQ((*again)->nodeCount(), z->nodeCount());
  // Canonical order: the apex first, by type.
  EXPECT_EQ(records[0].type, rrtype::kNS);
  EXPECT_EQ(records[1].type, rrtype::kSOA);
  size_t seen = 0;
  z->forEachRRset([&](const RRset& s) { seen += s.records.size(); });
  EXPECT_EQ(seen, records.size());
}

TEST(Zone, ForEachRRsetFindsAddressesForReversePtrs) {
  auto z = exampleZone();
  std::vector<std::string> owners;
  z->forEachRRset([&](const RRset& s) {
    if (s.type == rrtype::kA) owners.push_back(s.owner().toText());
  });
  std::sort(owners.begin(), owners.end());
  EXPECT_EQ(owners,
            (std::vector<std::string>{"*.w.example.", "Mixed.example.", "a.b.c.example.",
                                      "deep.ns.sub.example.", "ns.sub.example.", "ns1.example.",
                                      "sub.ent.example.", "www.example.", "x.w.example."}));
}

TEST(Zone, BuildErrors) {
  const std::string soa(kSoa);
  const std::pair<std::string, std::string> cases[] = {
      {"$TTL 60\nwww A 192.0.2.1\n", "no SOA record at the zone apex example."},
      {soa + "@ SOA ns2 hostmaster 2 7200 3600 1209600 300\n",
       "more than one SOA record at the zone apex example."},
      {soa + "www SOA ns1 hostmaster 1 2 3 4 5\n",
       "www.example. SOA: SOA record not at the zone apex example."},
      {soa + "alias CNAME www\nalias A 192.0.2.1\n",
       "alias.example.: CNAME and other data (A) at the same name (RFC 1034 §3.6.2)"},
      {soa + "alias A 192.0.2.1\nalias CNAME www\n",
       "alias.example.: CNAME and other data (A) at the same name (RFC 1034 §3.6.2)"},
      {soa + "alias CNAME www\nalias CNAME mail\n",
       "alias.example.: more than one CNAME record (RFC 2181 §10.1)"},
      {soa + "@ CNAME www\n", "example.: CNAME at the zone apex"},
      {soa + "*.w NS ns1\n", "*.w.example.: NS records at a wildcard name (RFC 4592 §4.2)"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(buildError(text), expected) << text;
  // CNAME with RRSIG and NSEC is allowed (RFC 4035 §2.5).
  EXPECT_EQ(buildError(soa + "alias CNAME www\nalias RRSIG \\# 1 00\nalias NSEC \\# 1 00\n"),
            "(built)");

  // Errors the parser cannot produce, from records built by hand.
  auto records = parse(soa);
  auto with = [&](dns::Record r) {
    auto all = records;
    all.push_back(std::move(r));
    auto z = Zone::build(N("example."), all);
    return z.ok() ? std::string("(built)") : z.error();
  };
  EXPECT_EQ(with({N("www.other."), rrtype::kA, dns::rrclass::kIN, 60, dns::RdataA{}}),
            "www.other. A: out of zone example.");
  EXPECT_EQ(with({N("www.example."), rrtype::kA, dns::rrclass::kCH, 60, dns::RdataA{}}),
            "www.example. A: class CH (only IN is supported)");
  EXPECT_EQ(with({N("www.example."), rrtype::kA, dns::rrclass::kIN, 60, dns::RdataTxt{{"x"}}}),
            "www.example. A: RDATA of the wrong form for the type");
  EXPECT_EQ(with({N("www.example."), rrtype::kTXT, dns::rrclass::kIN, 60, dns::RdataTxt{}}),
            "www.example. TXT: RDATA of the wrong form for the type");
  EXPECT_EQ(with({N("www.example."), rrtype::kOPT, dns::rrclass::kIN, 60, dns::RdataOpaque{}}),
            "www.example. OPT: not a type for zone data");
  EXPECT_EQ(with({N("www.example."), rrtype::kA, dns::rrclass::kIN, 60, dns::RdataA{}}), "(built)");
  EXPECT_EQ(Zone::build(N("example."), {}).error(), "no SOA record at the zone apex example.");
}

TEST(Zone, WildcardAnswerWrittenWithQueryNameAsOwner) {
  auto z = exampleZone();
  const Name qname = N("Host.w.example.");
  auto r = z->lookup(qname, rrtype::kA);
  ASSERT_EQ(r.kind, LookupKind::kAnswer);
  std::array<uint8_t, 512> buf{};
  dns::MessageWriter w(buf, buf.size());
  ASSERT_TRUE(w.addQuestion({qname, rrtype::kA, dns::rrclass::kIN}));
  for (const RRset& s : r.rrsets)
    ASSERT_TRUE(w.addRRset(dns::Section::kAnswer, s.records, r.owner_override));
  auto m = dns::Message::parse(std::span<const uint8_t>(buf.data(), w.finish()));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_TRUE(m->answer[0].name.identical(qname));
  EXPECT_EQ(m->answer[0].rdata, dns::Rdata(dns::RdataA{{192, 0, 2, 30}}));
}

TEST(Zone, LoadsTheFeatureFile) {
  ZoneFileOptions options;
  options.origin = N("corp.example.");
  auto records = parseZoneFile(
      (std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "data" / "zones" / "corp.zone")
          .string(),
      options);
  ASSERT_TRUE(records.ok()) << records.error().toString();
  auto z = Zone::build(options.origin, *records);
  ASSERT_TRUE(z.ok()) << z.error();
  EXPECT_EQ((*z)->lookup(N("db.lab.corp.example."), rrtype::kTXT).kind, LookupKind::kAnswer);
  EXPECT_EQ((*z)->lookup(N("x.wild.corp.example."), rrtype::kTXT).kind, LookupKind::kAnswer);
  EXPECT_EQ((*z)->lookup(N("sub.corp.example."), rrtype::kA).kind, LookupKind::kNoData);
  EXPECT_EQ((*z)->lookup(N("www.corp.example."), rrtype::kAAAA).rrset().owner().toText(),
            "www.corp.example.");  // one spelling per name: the first seen (www A)
}

}  // namespace
}  // namespace vpcdns::private_zones
