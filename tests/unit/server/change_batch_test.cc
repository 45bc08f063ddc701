// Route 53 change batches: the JSON (server/change_json.h) and the rules
// (private_zones/change_batch.h): every InvalidInput and InvalidChangeBatch case, atomicity,
// UPSERT, DELETE's exact match, names with and without the trailing dot, the SOA serial.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/types.h"
#include "private_zones/change_batch.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"
#include "server/change_json.h"

namespace vpcdns::server {
namespace {

using private_zones::BatchResult;
using private_zones::Zone;
namespace rrtype = dns::rrtype;

dns::Name N(std::string_view text) {
  return dns::Name::fromText(text).value();
}

constexpr std::string_view kZone = R"($TTL 300
@        SOA    ns1 hostmaster 41 7200 3600 1209600 60
@        NS     ns1
ns1      A      10.0.0.1
www      A      10.0.1.10
www      A      10.0.1.11
alias    CNAME  www
)";

std::shared_ptr<const Zone> corpZone() {
  private_zones::ZoneFileOptions options;
  options.origin = N("corp.internal.");
  auto records = private_zones::parseZoneText(kZone, "corp.zone", options);
  EXPECT_TRUE(records.ok());
  auto z = Zone::build(N("corp.internal."), *records);
  EXPECT_TRUE(z.ok()) << z.error();
  return *z;
}

std::string change(std::string_view action, std::string_view name, std::string_view type, int ttl,
                   std::vector<std::string> values) {
  std::string v;
  for (const auto& x : values) {
    if (!v.empty()) v += ",";
    v += "{\"Value\":\"" + x + "\"}";
  }
  return "{\"Action\":\"" + std::string(action) + "\",\"ResourceRecordSet\":{\"Name\":\"" +
         std::string(name) + "\",\"Type\":\"" + std::string(type) +
         "\",\"TTL\":" + std::to_string(ttl) + ",\"ResourceRecords\":[" + v + "]}}";
}

std::string body(std::vector<std::string> changes, std::string_view comment = "") {
  std::string out = "{\"ChangeBatch\":{";
  if (!comment.empty()) out += "\"Comment\":\"" + std::string(comment) + "\",";
  out += "\"Changes\":[";
  for (size_t i = 0; i < changes.size(); ++i) out += (i ? "," : "") + changes[i];
  return out + "]}}";
}

// Parses and applies; the parse must succeed.
BatchResult applyJson(const Zone& zone, const std::string& json) {
  auto parsed = parseChangeBatch(json);
  EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().messages.front());
  if (!parsed) return {};
  return private_zones::applyChangeBatch(zone, parsed->batch);
}

std::shared_ptr<const Zone> rebuilt(const BatchResult& r) {
  auto z = Zone::build(N("corp.internal."), r.records);
  EXPECT_TRUE(z.ok());
  return *z;
}

uint32_t serialOf(const Zone& z) {
  return std::get<dns::RdataSoa>(z.soa().rdata).serial;
}

ApiError parseError(const std::string& json) {
  auto parsed = parseChangeBatch(json);
  EXPECT_FALSE(parsed.ok()) << json;
  return parsed ? ApiError{} : parsed.error();
}

TEST(ChangeBatch, CreateAddsTheSetAndBumpsTheSerialOnce) {
  auto zone = corpZone();
  auto r = applyJson(*zone, body({change("CREATE", "db.corp.internal.", "A", 60, {"10.0.3.7"}),
                                  change("CREATE", "db.corp.internal", "AAAA", 60, {"fd00::7"})}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_TRUE(r.changed);
  auto z = rebuilt(r);
  const auto* a = z->findRRset(N("db.corp.internal."), rrtype::kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ttl, 60u);
  EXPECT_NE(z->findRRset(N("db.corp.internal."), rrtype::kAAAA), nullptr);  // no trailing dot
  EXPECT_EQ(serialOf(*z), 42u);
}

TEST(ChangeBatch, CreateOfAnExistingSetFailsWithRoute53sMessage) {
  auto r = applyJson(*corpZone(),
                     body({change("CREATE", "www.corp.internal.", "A", 300, {"10.0.1.12"})}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "Tried to create resource record set [name='www.corp.internal.', type='A'] but it "
            "already exists");
  EXPECT_TRUE(r.records.empty());
}

TEST(ChangeBatch, OneBadChangeChangesNothingAndEveryErrorIsReported) {
  auto zone = corpZone();
  auto r = applyJson(*zone, body({change("CREATE", "new.corp.internal.", "A", 60, {"10.0.9.9"}),
                                  change("DELETE", "gone.corp.internal.", "A", 60, {"10.0.9.8"}),
                                  change("CREATE", "www.corp.internal.", "A", 60, {"10.0.9.7"})}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0],
            "Tried to delete resource record set [name='gone.corp.internal.', type='A'] but it "
            "was not found");
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(r.records.empty());
  // The zone given is untouched (it is immutable; nothing to publish).
  EXPECT_EQ(zone->findRRset(N("new.corp.internal."), rrtype::kA), nullptr);
}

TEST(ChangeBatch, DeleteMustMatchTtlAndValuesExactly) {
  auto zone = corpZone();
  const std::string msg =
      "Tried to delete resource record set [name='www.corp.internal.', type='A'] but the values "
      "provided do not match the current values";
  auto wrong_ttl = applyJson(
      *zone, body({change("DELETE", "www.corp.internal.", "A", 60, {"10.0.1.10", "10.0.1.11"})}));
  ASSERT_EQ(wrong_ttl.errors.size(), 1u);
  EXPECT_EQ(wrong_ttl.errors[0], msg);
  auto subset =
      applyJson(*zone, body({change("DELETE", "www.corp.internal.", "A", 300, {"10.0.1.10"})}));
  ASSERT_EQ(subset.errors.size(), 1u);
  EXPECT_EQ(subset.errors[0], msg);
  auto exact = applyJson(*zone, body({change("DELETE", "www.corp.internal.", "A", 300,
                                             {"10.0.1.11", "10.0.1.10"})}));  // any order
  ASSERT_TRUE(exact.errors.empty());
  EXPECT_EQ(rebuilt(exact)->findRRset(N("www.corp.internal."), rrtype::kA), nullptr);
}

TEST(ChangeBatch, DeletingTheSameSetTwiceInOneBatchFails) {
  auto r = applyJson(
      *corpZone(),
      body({change("DELETE", "alias.corp.internal.", "CNAME", 300, {"www.corp.internal."}),
            change("DELETE", "alias.corp.internal.", "CNAME", 300, {"www.corp.internal."})}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("but it was not found"), std::string::npos);
}

TEST(ChangeBatch, UpsertCreatesOrReplaces) {
  auto zone = corpZone();
  auto r = applyJson(*zone, body({change("UPSERT", "www.corp.internal.", "A", 30, {"10.0.1.99"}),
                                  change("UPSERT", "api.corp.internal.", "A", 30, {"10.0.1.98"})}));
  ASSERT_TRUE(r.errors.empty());
  auto z = rebuilt(r);
  const auto* www = z->findRRset(N("www.corp.internal."), rrtype::kA);
  ASSERT_NE(www, nullptr);
  ASSERT_EQ(www->records.size(), 1u);
  EXPECT_EQ(www->ttl, 30u);
  EXPECT_EQ(dns::rdataToText(rrtype::kA, www->records[0].rdata), "10.0.1.99");
  EXPECT_NE(z->findRRset(N("api.corp.internal."), rrtype::kA), nullptr);
}

TEST(ChangeBatch, UpsertOfTheSameDataIsNoChangeAndKeepsTheSerial) {
  auto r = applyJson(
      *corpZone(),
      body({change("UPSERT", "www.corp.internal.", "A", 300, {"10.0.1.11", "10.0.1.10"})}));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(serialOf(*rebuilt(r)), 41u);
}

TEST(ChangeBatch, DeleteThenCreateInOneBatchReplaces) {
  auto r = applyJson(
      *corpZone(),
      body({change("DELETE", "alias.corp.internal.", "CNAME", 300, {"www.corp.internal."}),
            change("CREATE", "alias.corp.internal.", "A", 300, {"10.0.1.50"})}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_NE(rebuilt(r)->findRRset(N("alias.corp.internal."), rrtype::kA), nullptr);
}

TEST(ChangeBatch, NamesOutsideTheZoneAreRefused) {
  // Route 53 names are fully qualified: a "relative" name is a name at the root.
  auto r =
      applyJson(*corpZone(), body({change("CREATE", "db", "A", 60, {"10.0.3.7"}),
                                   change("CREATE", "db.corp.example.", "A", 60, {"10.0.3.7"})}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], "RRSet with DNS name db. is not permitted in zone corp.internal.");
  EXPECT_EQ(r.errors[1],
            "RRSet with DNS name db.corp.example. is not permitted in zone corp.internal.");
}

TEST(ChangeBatch, CnameConflictsBothWaysAndAtTheApex) {
  auto zone = corpZone();
  auto cname_on_data =
      applyJson(*zone, body({change("CREATE", "www.corp.internal.", "CNAME", 60, {"x.example."})}));
  ASSERT_EQ(cname_on_data.errors.size(), 1u);
  EXPECT_EQ(cname_on_data.errors[0],
            "RRSet of type CNAME with DNS name www.corp.internal. is not permitted as it "
            "conflicts with other records with the same DNS name in zone corp.internal.");
  auto data_on_cname =
      applyJson(*zone, body({change("CREATE", "alias.corp.internal.", "TXT", 60, {"\\\"x\\\""})}));
  ASSERT_EQ(data_on_cname.errors.size(), 1u);
  EXPECT_EQ(data_on_cname.errors[0],
            "RRSet of type TXT with DNS name alias.corp.internal. is not permitted because a "
            "conflicting RRSet of type CNAME with the same DNS name already exists in zone "
            "corp.internal.");
  auto apex =
      applyJson(*zone, body({change("UPSERT", "corp.internal.", "CNAME", 60, {"x.example."})}));
  ASSERT_EQ(apex.errors.size(), 1u);
  EXPECT_NE(apex.errors[0].find("is not permitted at apex"), std::string::npos);
  auto two = applyJson(
      *zone,
      body({change("CREATE", "c.corp.internal.", "CNAME", 60, {"a.example.", "b.example."})}));
  ASSERT_EQ(two.errors.size(), 1u);
  EXPECT_NE(two.errors[0].find("contains more than one value"), std::string::npos);
}

TEST(ChangeBatch, ApexSoaAndNsCannotBeDeletedButCanBeUpserted) {
  auto zone = corpZone();
  auto soa = applyJson(*zone, body({change("DELETE", "corp.internal.", "SOA", 300,
                                           {"ns1.corp.internal. hostmaster.corp.internal. 41 7200 "
                                            "3600 1209600 60"})}));
  ASSERT_EQ(soa.errors.size(), 1u);
  EXPECT_EQ(soa.errors[0], "A HostedZone must contain exactly one SOA record.");
  auto ns = applyJson(
      *zone, body({change("DELETE", "corp.internal.", "NS", 300, {"ns1.corp.internal."})}));
  ASSERT_EQ(ns.errors.size(), 1u);
  EXPECT_EQ(ns.errors[0], "A HostedZone must contain at least one NS record for the zone itself.");
  auto upsert = applyJson(*zone, body({change("UPSERT", "corp.internal.", "NS", 300,
                                              {"ns1.corp.internal.", "ns2.corp.internal."})}));
  ASSERT_TRUE(upsert.errors.empty());
  EXPECT_EQ(rebuilt(upsert)->findRRset(N("corp.internal."), rrtype::kNS)->records.size(), 2u);
}

TEST(ChangeBatch, ASerialRaisedByTheBatchIsKept) {
  auto r = applyJson(*corpZone(),
                     body({change("UPSERT", "corp.internal.", "SOA", 300,
                                  {"ns1.corp.internal. hostmaster.corp.internal. 2026120401 "
                                   "7200 3600 1209600 60"})}));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(serialOf(*rebuilt(r)), 2026120401u);
}

TEST(ChangeBatch, AnInvalidResultingZoneIsRefused) {
  auto r = applyJson(
      *corpZone(), body({change("CREATE", "*.corp.internal.", "NS", 300, {"ns1.corp.internal."})}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("invalid"), std::string::npos) << r.errors[0];
}

TEST(ChangeJson, AcceptsTheBareChangeBatchOfTheAwsCliFile) {
  auto parsed = parseChangeBatch(
      R"({"Comment":"c","Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"a.corp.internal","Type":"MX","TTL":60,"ResourceRecords":[{"Value":"10 mail.corp.internal"}]}}]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->batch.comment, "c");
  ASSERT_EQ(parsed->batch.changes.size(), 1u);
  EXPECT_EQ(parsed->batch.changes[0].type, rrtype::kMX);
  EXPECT_EQ(parsed->batch.changes[0].name, N("a.corp.internal."));
  // The journal's form parses back to the same batch.
  auto again = parseChangeBatch(parsed->json);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->batch.changes[0].values, parsed->batch.changes[0].values);
}

TEST(ChangeJson, MalformedInputIsInvalidInput) {
  EXPECT_EQ(parseError("{not json").code, "InvalidInput");
  EXPECT_EQ(parseError("[]").code, "InvalidInput");
  EXPECT_EQ(parseError(R"({"ChangeBatch":{"Changes":[]}})").code, "InvalidInput");
  EXPECT_EQ(parseError(R"({"ChangeBatch":{"Changes":[{"Action":"CREATE"}]}})").code,
            "InvalidInput");
  auto action = parseError(body({change("REPLACE", "a.corp.internal.", "A", 60, {"10.0.0.1"})}));
  EXPECT_EQ(action.code, "InvalidInput");
  EXPECT_NE(action.messages[0].find("CREATE, DELETE, UPSERT"), std::string::npos);
  EXPECT_EQ(parseError(body({change("CREATE", "a.corp.internal.", "BOGUS", 60, {"x"})})).code,
            "InvalidInput");
  EXPECT_EQ(parseError(body({change("CREATE", "a.corp.internal.", "A", -1, {"10.0.0.1"})})).code,
            "InvalidInput");
  auto no_ttl = parseError(
      R"({"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"a.corp.internal.","Type":"A"}}]})");
  EXPECT_NE(no_ttl.messages[0].find("Expected exactly one of [AliasTarget"), std::string::npos);
  auto alias = parseError(
      R"({"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"a.","Type":"A","AliasTarget":{}}}]})");
  EXPECT_NE(alias.messages[0].find("AliasTarget is not supported"), std::string::npos);
  EXPECT_EQ(parseError(R"({"ChangeBatch":{"Changes":[],"Extra":1}})").code, "InvalidInput");
  EXPECT_EQ(parseError(body({change("CREATE", "a.corp.internal.", "A", 60, {"10.0.0.1"})},
                            std::string(300, 'x')))
                .code,
            "InvalidInput");
}

TEST(ChangeJson, BadValuesAreInvalidChangeBatchAndAllReported) {
  auto e =
      parseError(body({change("CREATE", "a.corp.internal.", "A", 60, {"10.0.0.x"}),
                       change("CREATE", "b.corp.internal.", "A", 60, {"10.0.0.1", "10.0.0.1"})}));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "InvalidChangeBatch");
  ASSERT_EQ(e.messages.size(), 2u);
  EXPECT_NE(e.messages[0].find("Invalid Resource Record: FATAL problem"), std::string::npos);
  EXPECT_NE(e.messages[0].find("'10.0.0.x'"), std::string::npos);
  EXPECT_EQ(e.messages[1], "Duplicate Resource Record: '10.0.0.1'");
  // The body's Message is the list in brackets, as the AWS CLI prints it.
  EXPECT_NE(errorBody(e).find("\"Message\":\"[Invalid Resource Record"), std::string::npos);
}

TEST(ChangeJson, LimitsOfOneRequest) {
  EXPECT_EQ(parseError(std::string(kMaxChangeBody + 1, ' ')).status, 413);
  std::vector<std::string> values;
  for (int i = 0; i < 1001; ++i) {
    values.push_back("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  }
  auto e = parseError(body({change("CREATE", "many.corp.internal.", "A", 60, values)}));
  EXPECT_EQ(e.code, "InvalidChangeBatch");
  EXPECT_EQ(e.messages.back(), "Number of records limit of 1000 exceeded.");
}

}  // namespace
}  // namespace vpcdns::server
