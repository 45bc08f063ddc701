// applyUpdate (RFC 2136): zone section, every prerequisite kind, prescan, adds and deletes,
// apex and CNAME rules, SOA serial; zoneToText round trips through the zone-file parser.
#include "private_zones/update.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/types.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;
using dns::Record;
namespace rrtype = dns::rrtype;
namespace rrclass = dns::rrclass;
namespace rcode = dns::rcode;

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

std::shared_ptr<const Zone> zoneOf(std::string_view text, std::string_view origin = "example.") {
  ZoneFileOptions options;
  options.origin = N(origin);
  auto records = parseZoneText(text, "test.zone", options);
  EXPECT_TRUE(records.ok()) << records.error().toString();
  if (!records) return nullptr;
  auto z = Zone::build(N(origin), *records);
  EXPECT_TRUE(z.ok()) << z.error();
  return z.ok() ? *z : nullptr;
}

constexpr std::string_view kZone = R"($TTL 3600
@        SOA    ns1 hostmaster 10 7200 3600 1209600 300
@        NS     ns1
@        NS     ns2
@        MX     10 mail
ns1      A      192.0.2.1
ns2      A      192.0.2.2
www      A      192.0.2.10
www      A      192.0.2.11
alias    CNAME  www
host.sub A      192.0.2.20
)";

std::shared_ptr<const Zone> exampleZone() {
  static const auto zone = zoneOf(kZone);
  return zone;
}

dns::Rdata rdata(uint16_t type, std::string_view text) {
  auto r = dns::rdataFromText(type, text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : dns::Rdata{};
}

// Update RRs (RFC 2136 §2.5) and prerequisites (§2.4).
Record add(std::string_view owner, uint16_t type, std::string_view text, uint32_t ttl = 300) {
  return {N(owner), type, rrclass::kIN, ttl, rdata(type, text)};
}
Record deleteRRset(std::string_view owner, uint16_t type) {
  return {N(owner), type, rrclass::kANY, 0, dns::RdataOpaque{}};
}
Record deleteName(std::string_view owner) {
  return deleteRRset(owner, rrtype::kANY);
}
Record deleteRR(std::string_view owner, uint16_t type, std::string_view text) {
  return {N(owner), type, rrclass::kNONE, 0, rdata(type, text)};
}
Record nameInUse(std::string_view owner) {
  return deleteName(owner);
}
Record rrsetExists(std::string_view owner, uint16_t type) {
  return deleteRRset(owner, type);
}
Record nameNotInUse(std::string_view owner) {
  return {N(owner), rrtype::kANY, rrclass::kNONE, 0, dns::RdataOpaque{}};
}
Record rrsetAbsent(std::string_view owner, uint16_t type) {
  return {N(owner), type, rrclass::kNONE, 0, dns::RdataOpaque{}};
}
Record rrsetIs(std::string_view owner, uint16_t type, std::string_view text) {
  return add(owner, type, text, 0);
}

// An UPDATE message, sent through the wire format and back as the server will see it.
dns::Message updateMessage(std::vector<Record> prereqs, std::vector<Record> updates,
                           std::string_view zone = "example.", uint16_t ztype = rrtype::kSOA,
                           uint16_t zclass = rrclass::kIN) {
  dns::Message m;
  m.header.id = 7;
  m.header.opcode = dns::opcode::kUpdate;
  m.questions.push_back({N(zone), ztype, zclass});
  m.answer = std::move(prereqs);
  m.authority = std::move(updates);
  m.header.qdcount = 1;
  m.header.ancount = static_cast<uint16_t>(m.answer.size());
  m.header.nscount = static_cast<uint16_t>(m.authority.size());
  auto parsed = dns::Message::parse(m.encode());
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? *parsed : m;
}

struct Applied {
  UpdateResult result;
  bool changed = false;
};

Applied apply(std::vector<Record> prereqs, std::vector<Record> updates,
              std::shared_ptr<const Zone> zone = exampleZone()) {
  Applied a;
  a.changed = true;  // must be overwritten
  a.result = applyUpdate(*zone, updateMessage(std::move(prereqs), std::move(updates)), &a.changed);
  return a;
}

uint16_t rcodeOf(std::vector<Record> prereqs, std::vector<Record> updates = {}) {
  return apply(std::move(prereqs), std::move(updates)).result.rcode;
}

std::vector<std::string> texts(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  return out;
}

bool has(const std::vector<Record>& records, std::string_view text) {
  auto t = texts(records);
  return std::find(t.begin(), t.end(), text) != t.end();
}

bool hasName(const std::vector<Record>& records, std::string_view owner, uint16_t type) {
  return std::any_of(records.begin(), records.end(),
                     [&](const Record& r) { return r.name == N(owner) && r.type == type; });
}

uint32_t serialOf(const std::vector<Record>& records) {
  for (const auto& r : records) {
    if (r.type == rrtype::kSOA) return std::get<dns::RdataSoa>(r.rdata).serial;
  }
  ADD_FAILURE() << "no SOA";
  return 0;
}

// A successful update that changed the zone: its records build into a zone.
std::vector<Record> changedRecords(const Applied& a) {
  EXPECT_EQ(a.result.rcode, rcode::kNoError) << a.result.reason;
  EXPECT_TRUE(a.changed);
  EXPECT_TRUE(Zone::build(N("example."), a.result.records).ok());
  return a.result.records;
}

// A successful update that changed nothing: the records are the zone's, serial included.
void expectUnchanged(const Applied& a) {
  EXPECT_EQ(a.result.rcode, rcode::kNoError) << a.result.reason;
  EXPECT_FALSE(a.changed);
  EXPECT_EQ(a.result.records, exampleZone()->records());
}

void expectFailed(const Applied& a, uint16_t code) {
  EXPECT_EQ(a.result.rcode, code) << a.result.reason;
  EXPECT_TRUE(a.result.records.empty());
  EXPECT_FALSE(a.changed);
  EXPECT_FALSE(a.result.reason.empty());
}

TEST(UpdateZoneSection, MustBeOneSoaEntryOfClassInNamingTheZone) {
  const auto zone = exampleZone();
  auto run = [&](dns::Message m) { return applyUpdate(*zone, m).rcode; };
  dns::Message none;
  none.header.opcode = dns::opcode::kUpdate;
  EXPECT_EQ(run(none), rcode::kFormErr);
  EXPECT_EQ(run(updateMessage({}, {}, "example.", rrtype::kA)), rcode::kFormErr);
  EXPECT_EQ(run(updateMessage({}, {}, "example.", rrtype::kSOA, rrclass::kCH)), rcode::kFormErr);
  EXPECT_EQ(run(updateMessage({}, {}, "example.org.")), rcode::kNotAuth);
  EXPECT_EQ(run(updateMessage({}, {}, "sub.example.")), rcode::kNotAuth);
  EXPECT_EQ(run(updateMessage({}, {}, "EXAMPLE.")), rcode::kNoError);
}

TEST(UpdatePrerequisites, NameInUse) {
  EXPECT_EQ(rcodeOf({nameInUse("www.example.")}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({nameInUse("WWW.Example.")}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({nameInUse("nope.example.")}), rcode::kNXDomain);
  // An empty non-terminal owns no RR: not "in use" (RFC 2136 §2.4.4).
  EXPECT_EQ(rcodeOf({nameInUse("sub.example.")}), rcode::kNXDomain);
}

TEST(UpdatePrerequisites, RRsetExists) {
  EXPECT_EQ(rcodeOf({rrsetExists("www.example.", rrtype::kA)}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({rrsetExists("www.example.", rrtype::kAAAA)}), rcode::kNXRRSet);
  EXPECT_EQ(rcodeOf({rrsetExists("nope.example.", rrtype::kA)}), rcode::kNXRRSet);
}

TEST(UpdatePrerequisites, NameNotInUse) {
  EXPECT_EQ(rcodeOf({nameNotInUse("nope.example.")}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({nameNotInUse("sub.example.")}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({nameNotInUse("www.example.")}), rcode::kYXDomain);
}

TEST(UpdatePrerequisites, RRsetDoesNotExist) {
  EXPECT_EQ(rcodeOf({rrsetAbsent("www.example.", rrtype::kAAAA)}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({rrsetAbsent("www.example.", rrtype::kA)}), rcode::kYXRRSet);
}

TEST(UpdatePrerequisites, RRsetExistsValueDependent) {
  const auto a10 = rrsetIs("www.example.", rrtype::kA, "192.0.2.10");
  const auto a11 = rrsetIs("www.example.", rrtype::kA, "192.0.2.11");
  const auto a12 = rrsetIs("www.example.", rrtype::kA, "192.0.2.12");
  EXPECT_EQ(rcodeOf({a11, a10}), rcode::kNoError);
  EXPECT_EQ(rcodeOf({a10, a11, a10}), rcode::kNoError);  // duplicates count once
  EXPECT_EQ(rcodeOf({a10}), rcode::kNXRRSet);            // a subset is not the RRset
  EXPECT_EQ(rcodeOf({a10, a11, a12}), rcode::kNXRRSet);
  EXPECT_EQ(rcodeOf({rrsetIs("nope.example.", rrtype::kA, "192.0.2.10")}), rcode::kNXRRSet);
  EXPECT_EQ(rcodeOf({rrsetIs("alias.example.", rrtype::kCNAME, "WWW.example.")}), rcode::kNoError);
  // Several names and types, each compared on its own.
  EXPECT_EQ(rcodeOf({a10, rrsetIs("ns1.example.", rrtype::kA, "192.0.2.1"), a11}), rcode::kNoError);
}

TEST(UpdatePrerequisites, MalformedOnesAreFormErr) {
  auto with_ttl = rrsetIs("www.example.", rrtype::kA, "192.0.2.10");
  with_ttl.ttl = 1;
  EXPECT_EQ(rcodeOf({with_ttl}), rcode::kFormErr);
  // Class ANY or NONE with RDATA.
  auto any_rdata = add("www.example.", rrtype::kA, "192.0.2.10", 0);
  any_rdata.cls = rrclass::kANY;
  EXPECT_EQ(rcodeOf({any_rdata}), rcode::kFormErr);
  any_rdata.cls = rrclass::kNONE;
  EXPECT_EQ(rcodeOf({any_rdata}), rcode::kFormErr);
  auto chaos = rrsetIs("www.example.", rrtype::kA, "192.0.2.10");
  chaos.cls = rrclass::kCH;
  EXPECT_EQ(rcodeOf({chaos}), rcode::kFormErr);
}

TEST(UpdatePrerequisites, OutsideTheZoneIsNotZone) {
  EXPECT_EQ(rcodeOf({nameInUse("www.example.org.")}), rcode::kNotZone);
  EXPECT_EQ(rcodeOf({rrsetExists("example.org.", rrtype::kA)}), rcode::kNotZone);
}

TEST(UpdatePrerequisites, FirstFailureWinsAndNothingChanges) {
  auto a = apply({nameInUse("www.example."), rrsetAbsent("www.example.", rrtype::kA),
                  nameInUse("nope.example.")},
                 {add("new.example.", rrtype::kA, "192.0.2.99")});
  expectFailed(a, rcode::kYXRRSet);
  auto b = apply({rrsetIs("www.example.", rrtype::kA, "192.0.2.10")}, {deleteName("www.example.")});
  expectFailed(b, rcode::kNXRRSet);
}

TEST(UpdatePrerequisites, PassingOnesLetTheUpdateThrough) {
  auto a = apply({nameNotInUse("new.example."), rrsetExists("www.example.", rrtype::kA)},
                 {add("new.example.", rrtype::kA, "192.0.2.99")});
  EXPECT_TRUE(has(changedRecords(a), "new.example. 300 IN A 192.0.2.99"));
}

TEST(UpdatePrescan, MalformedUpdatesAreFormErrAndNothingIsApplied) {
  const auto good = add("new.example.", rrtype::kA, "192.0.2.99");
  auto any_ttl = deleteRRset("www.example.", rrtype::kA);
  any_ttl.ttl = 5;
  auto none_ttl = deleteRR("www.example.", rrtype::kA, "192.0.2.10");
  none_ttl.ttl = 5;
  auto chaos = good;
  chaos.cls = rrclass::kCH;
  const std::vector<Record> bad = {
      any_ttl,
      none_ttl,
      chaos,
      deleteRRset("www.example.", rrtype::kAXFR),
      deleteRRset("www.example.", 254),  // MAILA
      rrsetAbsent("www.example.", rrtype::kANY),
      Record{N("www.example."), rrtype::kANY, rrclass::kIN, 300, dns::RdataOpaque{{1}}},
      Record{N("www.example."), 251, rrclass::kIN, 300, dns::RdataOpaque{{1}}},  // IXFR
  };
  for (const Record& r : bad) {
    expectFailed(apply({}, {good, r}), rcode::kFormErr);
  }
}

TEST(UpdatePrescan, OutsideTheZoneIsNotZone) {
  expectFailed(apply({}, {add("new.example.", rrtype::kA, "192.0.2.99"),
                          add("www.example.org.", rrtype::kA, "192.0.2.1")}),
               rcode::kNotZone);
  expectFailed(apply({}, {deleteName("example.org.")}), rcode::kNotZone);
}

TEST(UpdateAdd, NewNameAndNewType) {
  auto r = changedRecords(apply({}, {add("new.example.", rrtype::kA, "192.0.2.99"),
                                     add("www.example.", rrtype::kAAAA, "2001:db8::1", 60),
                                     add("sub.example.", rrtype::kTXT, "\"hi\"")}));
  EXPECT_TRUE(has(r, "new.example. 300 IN A 192.0.2.99"));
  EXPECT_TRUE(has(r, "www.example. 60 IN AAAA 2001:db8::1"));
  EXPECT_TRUE(has(r, "sub.example. 300 IN TXT \"hi\""));
  EXPECT_TRUE(has(r, "www.example. 3600 IN A 192.0.2.10"));  // other RRsets keep their TTL
}

TEST(UpdateAdd, ToAnRRsetTheRRsetTakesTheNewTtl) {
  auto r = changedRecords(apply({}, {add("www.example.", rrtype::kA, "192.0.2.12", 120)}));
  EXPECT_TRUE(has(r, "www.example. 120 IN A 192.0.2.10"));
  EXPECT_TRUE(has(r, "www.example. 120 IN A 192.0.2.11"));
  EXPECT_TRUE(has(r, "www.example. 120 IN A 192.0.2.12"));
}

TEST(UpdateAdd, DuplicateChangesNothingButANewTtlDoes) {
  expectUnchanged(apply({}, {add("www.example.", rrtype::kA, "192.0.2.10", 3600)}));
  expectUnchanged(apply({}, {add("WWW.EXAMPLE.", rrtype::kA, "192.0.2.11", 3600),
                             add("ns1.example.", rrtype::kA, "192.0.2.1", 3600)}));
  auto r = changedRecords(apply({}, {add("www.example.", rrtype::kA, "192.0.2.10", 60)}));
  EXPECT_TRUE(has(r, "www.example. 60 IN A 192.0.2.11"));
}

TEST(UpdateAdd, CnameExclusivity) {
  // Other data at a CNAME, a CNAME at a name with data, a CNAME at the apex: ignored.
  expectUnchanged(apply({}, {add("alias.example.", rrtype::kA, "192.0.2.50")}));
  expectUnchanged(apply({}, {add("www.example.", rrtype::kCNAME, "elsewhere.example.")}));
  expectUnchanged(apply({}, {add("example.", rrtype::kCNAME, "elsewhere.example.")}));
  // A CNAME replaces the CNAME.
  auto r = changedRecords(apply({}, {add("alias.example.", rrtype::kCNAME, "ns1.example.")}));
  EXPECT_TRUE(has(r, "alias.example. 300 IN CNAME ns1.example."));
  EXPECT_FALSE(has(r, "alias.example. 3600 IN CNAME www.example."));
  // A CNAME at a new name, then data at it in the same update: the data is ignored.
  auto r2 = changedRecords(apply({}, {add("c.example.", rrtype::kCNAME, "www.example."),
                                      add("c.example.", rrtype::kTXT, "\"x\"")}));
  EXPECT_TRUE(has(r2, "c.example. 300 IN CNAME www.example."));
  EXPECT_FALSE(hasName(r2, "c.example.", rrtype::kTXT));
  // A name emptied earlier in the update can take a CNAME.
  auto r3 = changedRecords(
      apply({}, {deleteName("www.example."), add("www.example.", rrtype::kCNAME, "ns1.example.")}));
  EXPECT_TRUE(has(r3, "www.example. 300 IN CNAME ns1.example."));
}

TEST(UpdateDelete, AllRRsetsAtAName) {
  auto r = changedRecords(apply({}, {deleteName("www.example.")}));
  EXPECT_FALSE(hasName(r, "www.example.", rrtype::kA));
  EXPECT_TRUE(hasName(r, "ns1.example.", rrtype::kA));
  expectUnchanged(apply({}, {deleteName("nope.example.")}));
  expectUnchanged(apply({}, {deleteName("sub.example.")}));
}

TEST(UpdateDelete, AllRRsetsAtTheApexKeepSoaAndNs) {
  auto r = changedRecords(apply({}, {deleteName("example.")}));
  EXPECT_FALSE(hasName(r, "example.", rrtype::kMX));
  EXPECT_TRUE(hasName(r, "example.", rrtype::kSOA));
  EXPECT_TRUE(has(r, "example. 3600 IN NS ns1.example."));
  EXPECT_TRUE(has(r, "example. 3600 IN NS ns2.example."));
}

TEST(UpdateDelete, AnRRset) {
  auto r = changedRecords(
      apply({}, {deleteRRset("www.example.", rrtype::kA), deleteRRset("example.", rrtype::kMX)}));
  EXPECT_FALSE(hasName(r, "www.example.", rrtype::kA));
  EXPECT_FALSE(hasName(r, "example.", rrtype::kMX));
  expectUnchanged(apply({}, {deleteRRset("www.example.", rrtype::kAAAA)}));
}

TEST(UpdateDelete, OneRR) {
  auto r = changedRecords(apply({}, {deleteRR("www.example.", rrtype::kA, "192.0.2.10")}));
  EXPECT_FALSE(has(r, "www.example. 3600 IN A 192.0.2.10"));
  EXPECT_TRUE(has(r, "www.example. 3600 IN A 192.0.2.11"));
  // The last RR of an RRset takes the RRset with it.
  auto r2 = changedRecords(apply({}, {deleteRR("alias.example.", rrtype::kCNAME, "www.example.")}));
  EXPECT_FALSE(hasName(r2, "alias.example.", rrtype::kCNAME));
  expectUnchanged(apply({}, {deleteRR("www.example.", rrtype::kA, "192.0.2.99")}));
}

TEST(UpdateApex, SoaAndNsAreProtected) {
  expectUnchanged(
      apply({}, {deleteRRset("example.", rrtype::kSOA), deleteRRset("example.", rrtype::kNS)}));
  expectUnchanged(apply({}, {deleteRR("example.", rrtype::kSOA,
                                      "ns1.example. hostmaster.example. 10 7200 3600 1209600 "
                                      "300")}));
  // One NS may go; the last one stays, even when asked for in the same update.
  auto r = changedRecords(apply({}, {deleteRR("example.", rrtype::kNS, "ns1.example."),
                                     deleteRR("example.", rrtype::kNS, "ns2.example.")}));
  EXPECT_FALSE(has(r, "example. 3600 IN NS ns1.example."));
  EXPECT_TRUE(has(r, "example. 3600 IN NS ns2.example."));
}

TEST(UpdateApex, LastNsBelowTheApexMayGo) {
  auto zone = zoneOf(std::string(kZone) + "child NS ns.child\nns.child A 192.0.2.30\n");
  auto a = apply({}, {deleteRR("child.example.", rrtype::kNS, "ns.child.example.")}, zone);
  EXPECT_EQ(a.result.rcode, rcode::kNoError);
  EXPECT_FALSE(hasName(a.result.records, "child.example.", rrtype::kNS));
}

TEST(UpdateApex, SoaAddReplacesOnlyWithANewerSerial) {
  const std::string_view soa_rest = "ns1.example. hostmaster.example. ";
  auto soa = [&](std::string serial) {
    return add("example.", rrtype::kSOA, std::string(soa_rest) + serial + " 1 2 3 4", 600);
  };
  expectUnchanged(apply({}, {soa("10")}));
  expectUnchanged(apply({}, {soa("9")}));
  expectUnchanged(apply({}, {soa("3000000000")}));  // 10 + 2^31 + ...: behind in RFC 1982
  auto r = changedRecords(apply({}, {soa("20")}));
  EXPECT_EQ(serialOf(r), 20u);  // the update set the serial: no further increment
  EXPECT_TRUE(has(r, "example. 600 IN SOA ns1.example. hostmaster.example. 20 1 2 3 4"));
  // An SOA anywhere but the apex is ignored.
  expectUnchanged(
      apply({}, {add("www.example.", rrtype::kSOA, std::string(soa_rest) + "99 1 2 3 4")}));
}

TEST(UpdateSerial, IncrementsOnceWhenSomethingChanged) {
  auto r = changedRecords(apply({}, {add("a.example.", rrtype::kA, "192.0.2.1"),
                                     add("b.example.", rrtype::kA, "192.0.2.2")}));
  EXPECT_EQ(serialOf(r), 11u);
  // An add undone by a later delete is no change.
  expectUnchanged(
      apply({}, {add("a.example.", rrtype::kA, "192.0.2.1"), deleteName("a.example.")}));
}

TEST(UpdateSerial, WrapsAroundSkippingZero) {
  auto serial = [](std::string_view s) {
    auto zone = zoneOf("@ 3600 SOA ns1 hostmaster " + std::string(s) + " 1 2 3 4\n");
    auto a = apply({}, {add("a.example.", rrtype::kA, "192.0.2.1")}, zone);
    EXPECT_EQ(a.result.rcode, rcode::kNoError);
    return serialOf(a.result.records);
  };
  EXPECT_EQ(serial("4294967295"), 1u);
  EXPECT_EQ(serial("4294967294"), 4294967295u);
  EXPECT_EQ(serial("2147483647"), 2147483648u);
  EXPECT_EQ(serial("0"), 1u);
}

TEST(UpdateResultCheck, AnUpdateThatBreaksTheZoneIsRefused) {
  expectFailed(apply({}, {add("*.example.", rrtype::kNS, "ns1.example.")}), rcode::kRefused);
}

TEST(UpdateResultCheck, ChangedPointerIsOptionalAndTheZoneIsUntouched) {
  const auto zone = exampleZone();
  const auto before = zone->records();
  auto result = applyUpdate(*zone, updateMessage({}, {deleteName("www.example.")}));
  EXPECT_EQ(result.rcode, rcode::kNoError);
  EXPECT_EQ(zone->records(), before);
}

TEST(UpdateResultCheck, AppliedToABuiltZoneStepByStep) {
  // Two updates in a row through Zone::build, as the server will do.
  auto a = apply({}, {add("new.example.", rrtype::kA, "192.0.2.99")});
  auto z1 = Zone::build(N("example."), changedRecords(a));
  ASSERT_TRUE(z1.ok());
  auto b =
      apply({rrsetIs("new.example.", rrtype::kA, "192.0.2.99")}, {deleteName("new.example.")}, *z1);
  auto z2 = Zone::build(N("example."), changedRecords(b));
  ASSERT_TRUE(z2.ok());
  EXPECT_EQ(std::get<dns::RdataSoa>((*z2)->soa().rdata).serial, 12u);
  EXPECT_FALSE((*z2)->contains(N("new.example.")));
}

std::vector<Record> reparse(const Zone& zone) {
  ZoneFileOptions options;
  options.origin = zone.origin();
  auto records = parseZoneText(zoneToText(zone), "roundtrip.zone", options);
  EXPECT_TRUE(records.ok()) << records.error().toString() << "\n" << zoneToText(zone);
  if (!records) return {};
  auto rebuilt = Zone::build(zone.origin(), *records);
  EXPECT_TRUE(rebuilt.ok()) << rebuilt.error();
  return rebuilt.ok() ? (*rebuilt)->records() : std::vector<Record>{};
}

TEST(ZoneToText, HasOriginThenSoaFirstWithAbsoluteNames) {
  const std::string text = zoneToText(*exampleZone());
  EXPECT_EQ(text.rfind("$ORIGIN example.\nexample. 3600 IN SOA ns1.example. hostmaster.example. "
                       "10 7200 3600 1209600 300\n",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("\nwww.example. 3600 IN A 192.0.2.10\n"), std::string::npos) << text;
}

TEST(ZoneToText, RoundTripsThroughTheZoneFileParser) {
  EXPECT_EQ(reparse(*exampleZone()), exampleZone()->records());
  auto zone = zoneOf(R"($TTL 300
@             SOA   ns1 host\.master 4294967295 1 2 3 4
@             NS    ns1
@             TXT   "quote \" and \\ and ; semicolon" "tab\009 and \255"
@             CAA   0 issue "ca.example.net"
ns1           A     192.0.2.1
v6            AAAA  2001:db8::42
_sip._udp     SRV   10 20 5060 sip
sip           MX    5 @
*.wild        A     192.0.2.5
odd\032name   A     192.0.2.6
opaque        TYPE65280 \# 3 abcdef
ptr           PTR   host.example.org.
dn            DNAME target.example.org.
)");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(reparse(*zone), zone->records());
  // And after an update.
  auto a = apply({},
                 {add("new.example.", rrtype::kTXT, "\"a b\""),
                  deleteRR("v6.example.", rrtype::kAAAA, "2001:db8::42")},
                 zone);
  auto updated = Zone::build(N("example."), a.result.records);
  ASSERT_TRUE(updated.ok()) << updated.error();
  EXPECT_EQ(reparse(**updated), (*updated)->records());
}

}  // namespace
}  // namespace vpcdns::private_zones
