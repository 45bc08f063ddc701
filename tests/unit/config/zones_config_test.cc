// The `vpcs` and `zones` sections: what they load into, and their errors as users see them
// (whole strings, positions included).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "config/config.h"
#include "dns/types.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using test_support::errorsOf;
using test_support::load;

std::vector<std::string> strings(const std::vector<IpPrefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.toString());
  return out;
}

std::vector<std::string> texts(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  return out;
}

// ---- valid -------------------------------------------------------------------------------------

TEST(ZonesConfig, Vpcs) {
  Config c = load(R"(
vpcs:
  - id: vpc-app
    cidrs: [10.0.0.0/16, "fd00:1::/64"]
    hostnames: ec2.internal
  - id: vpc-data
    cidrs:
      - 10.1.2.3/16
    local_zones: false
  - id: bare
)");
  ASSERT_EQ(c.vpcs.size(), 3u);
  EXPECT_EQ(c.vpcs[0].id, "vpc-app");
  EXPECT_THAT(strings(c.vpcs[0].cidrs), ElementsAre("10.0.0.0/16", "fd00:1::/64"));
  ASSERT_TRUE(c.vpcs[0].hostnames.has_value());
  EXPECT_EQ(c.vpcs[0].hostnames->toText(), "ec2.internal.");
  EXPECT_TRUE(c.vpcs[0].local_zones);
  EXPECT_EQ(c.vpcs[1].id, "vpc-data");
  EXPECT_THAT(strings(c.vpcs[1].cidrs), ElementsAre("10.1.0.0/16"));
  EXPECT_FALSE(c.vpcs[1].hostnames.has_value());
  EXPECT_FALSE(c.vpcs[1].local_zones);
  EXPECT_THAT(c.vpcs[2].cidrs, IsEmpty());
  EXPECT_TRUE(c.vpcs[2].local_zones);
  EXPECT_EQ(c.findVpc("vpc-data"), &c.vpcs[1]);
  EXPECT_EQ(c.findVpc("vpc-none"), nullptr);
  EXPECT_EQ(c.findVpc("VPC-APP"), nullptr) << "ids are case-sensitive";
}

TEST(ZonesConfig, InlineRecords) {
  Config c = load(R"(
vpcs:
  - id: vpc-a
zones:
  - name: corp.internal
    vpcs: [vpc-a]
    records:
      - { name: www, type: A, values: [10.0.0.5, 10.0.0.6] }
      - { name: "@", type: MX, ttl: 60, values: "10 mail" }
      - name: txt.corp.internal.
        type: txt
        values: ['"hello world"']
      - { name: alias, type: CNAME, values: [www] }
      - { name: out, type: CNAME, values: [www.example.com.] }
)");
  ASSERT_EQ(c.zones.size(), 1u);
  const ZoneSpec& z = c.zones[0];
  EXPECT_EQ(z.name.toText(), "corp.internal.");
  EXPECT_THAT(z.vpcs, ElementsAre("vpc-a"));
  EXPECT_EQ(z.file, "");
  EXPECT_FALSE(z.ptr);
  EXPECT_EQ(z.line, 5);
  EXPECT_EQ(z.column, 5);
  EXPECT_THAT(texts(z.records), ElementsAre("www.corp.internal. 300 IN A 10.0.0.5",
                                            "www.corp.internal. 300 IN A 10.0.0.6",
                                            "corp.internal. 60 IN MX 10 mail.corp.internal.",
                                            "txt.corp.internal. 300 IN TXT \"hello world\"",
                                            "alias.corp.internal. 300 IN CNAME www.corp.internal.",
                                            "out.corp.internal. 300 IN CNAME www.example.com."));
}

TEST(ZonesConfig, ZoneTtlIsTheDefaultForItsRecords) {
  Config c = load(R"(
zones:
  - name: corp.internal
    ttl: 30
    records:
      - { name: a, type: A, values: [10.0.0.1] }
      - { name: b, type: A, ttl: 0, values: [10.0.0.2] }
      - { name: c, type: A, ttl: 2147483647, values: [10.0.0.3] }
)");
  ASSERT_EQ(c.zones.size(), 1u);
  EXPECT_THAT(texts(c.zones[0].records),
              ElementsAre("a.corp.internal. 30 IN A 10.0.0.1", "b.corp.internal. 0 IN A 10.0.0.2",
                          "c.corp.internal. 2147483647 IN A 10.0.0.3"));
}

TEST(ZonesConfig, RecordsBeforeTheZoneNameAreRelativeToIt) {
  Config c = load(R"(
zones:
  - records: [{ name: www, type: A, values: [10.0.0.1] }]
    name: corp.internal
)");
  ASSERT_EQ(c.zones.size(), 1u);
  EXPECT_THAT(texts(c.zones[0].records), ElementsAre("www.corp.internal. 300 IN A 10.0.0.1"));
}

TEST(ZonesConfig, FileZonesPtrAndEmptyRecords) {
  Config c = load(R"(
vpcs:
  - id: vpc-a
  - id: vpc-b
zones:
  - name: corp.internal
    vpcs: [vpc-a, vpc-b]
    file: zones/corp.internal.zone
    ptr: true
  - name: empty.internal
    vpcs: [vpc-a]
    records: []
    ptr: false
)");
  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[0].name.toText(), "corp.internal.");
  EXPECT_THAT(c.zones[0].vpcs, ElementsAre("vpc-a", "vpc-b"));
  EXPECT_EQ(c.zones[0].file, "zones/corp.internal.zone");
  EXPECT_THAT(c.zones[0].records, IsEmpty());
  EXPECT_TRUE(c.zones[0].ptr);
  EXPECT_EQ(c.zones[1].file, "");
  EXPECT_THAT(c.zones[1].records, IsEmpty());
  EXPECT_FALSE(c.zones[1].ptr);
  EXPECT_EQ(c.zones[1].line, 10);
  EXPECT_EQ(c.zones[1].column, 5);
}

TEST(ZonesConfig, SameZoneNameForTwoDifferentVpcs) {
  Config c = load(R"(
vpcs:
  - id: vpc-a
  - id: vpc-b
zones:
  - name: corp.internal
    vpcs: [vpc-a]
    records: [{ name: www, type: A, values: [10.0.0.1] }]
  - name: Corp.Internal.
    vpcs: [vpc-b]
    records: [{ name: www, type: A, values: [10.1.0.1] }]
)");
  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_THAT(texts(c.zones[1].records), ElementsAre("www.Corp.Internal. 300 IN A 10.1.0.1"));
}

TEST(ZonesConfig, ListenerBoundToAVpc) {
  Config c = load(R"(
server:
  listen:
    - address: 10.0.0.2
      vpc: vpc-a
vpcs:
  - id: vpc-a
    cidrs: [10.0.0.0/16]
)");
  ASSERT_EQ(c.server.listen.size(), 1u);
  EXPECT_EQ(c.server.listen[0].vpc, "vpc-a");
}

TEST(ZonesConfig, LoadFileSetsBaseDirToTheFilesDirectory) {
  char dir[] = "/tmp/vpcdns-zones-config-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string sub = std::string(dir) + "/etc";
  ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
  const std::string path = sub + "/vpcdns.yaml";
  std::ofstream(path) << "zones:\n  - name: corp.internal\n    file: zones/corp.zone\n";
  LoadResult r = loadFile(path);
  ASSERT_TRUE(r.ok()) << r.error().at(0).toString();
  EXPECT_EQ(r->source, path);
  EXPECT_EQ(r->base_dir, sub);
  ASSERT_EQ(r->zones.size(), 1u);
  EXPECT_EQ(r->zones[0].file, "zones/corp.zone") << "kept as written";

  // A path with a `..` still names the file's directory, as written.
  LoadResult dotted = loadFile(sub + "/../etc/vpcdns.yaml");
  ASSERT_TRUE(dotted.ok());
  EXPECT_EQ(dotted->base_dir, sub + "/../etc");

  unlink(path.c_str());
  rmdir(sub.c_str());
  rmdir(dir);

  // loadString (and the embedded default) start at ".".
  EXPECT_EQ(load("").base_dir, ".");
}

TEST(ZonesConfig, LoadFileWithoutADirectoryUsesDot) {
  char dir[] = "/tmp/vpcdns-zones-config-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir), 0);
  std::ofstream("vpcdns.yaml") << "vpcs: []\n";
  LoadResult r = loadFile("vpcdns.yaml");
  unlink("vpcdns.yaml");
  ASSERT_EQ(chdir(cwd), 0);
  rmdir(dir);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_dir, ".");
}

// ---- errors: references and duplicates ---------------------------------------------------------

TEST(ZonesConfigErrors, UnknownVpcInAZone) {
  EXPECT_THAT(errorsOf("vpcs:\n"
                       "  - id: vpc-a\n"
                       "zones:\n"
                       "  - name: corp.internal\n"
                       "    vpcs: [vpc-a, vpc-typo]\n"
                       "    records: []\n"),
              ElementsAre("cfg.yaml:5:19: zones[0].vpcs[1]: unknown VPC 'vpc-typo' "
                          "(declare it under vpcs)"));
}

TEST(ZonesConfigErrors, UnknownVpcOnAListener) {
  EXPECT_THAT(errorsOf("server:\n"
                       "  listen:\n"
                       "    - address: 10.0.0.2\n"
                       "      vpc: vpc-app\n"),
              ElementsAre("cfg.yaml:4:12: server.listen[0].vpc: unknown VPC 'vpc-app' "
                          "(declare it under vpcs)"));
}

TEST(ZonesConfigErrors, VpcsDeclaredAfterTheirUseAreKnown) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - {name: corp.internal, vpcs: [vpc-a], records: []}\n"
                       "server:\n"
                       "  listen: [{address: 10.0.0.2, vpc: vpc-a}]\n"
                       "vpcs:\n"
                       "  - id: vpc-a\n"),
              IsEmpty());
}

TEST(ZonesConfigErrors, DuplicateVpcId) {
  EXPECT_THAT(errorsOf("vpcs:\n"
                       "  - id: vpc-a\n"
                       "    cidrs: [10.0.0.0/16]\n"
                       "  - id: vpc-b\n"
                       "  - id: vpc-a\n"
                       "    cidrs: [10.1.0.0/16]\n"),
              ElementsAre("cfg.yaml:5:5: vpcs[2]: duplicate VPC id 'vpc-a'"));
}

TEST(ZonesConfigErrors, VpcNeedsAnId) {
  EXPECT_THAT(errorsOf("vpcs:\n"
                       "  - cidrs: [10.0.0.0/16]\n"
                       "  - id: \"vpc a\"\n"),
              ElementsAre("cfg.yaml:2:5: vpcs[0]: missing required key 'id'",
                          "cfg.yaml:3:9: vpcs[1].id: expected an id of letters, digits, '.', '_' "
                          "or '-', got \"vpc a\""));
}

TEST(ZonesConfigErrors, BadVpcValues) {
  EXPECT_THAT(
      errorsOf("vpcs:\n"
               "  - id: vpc-a\n"
               "    cidrs: 10.0.0.0/16\n"
               "    hostnames: \"bad..name\"\n"
               "    local_zones: no\n"
               "    colour: red\n"
               "  - id: vpc-b\n"
               "    cidrs: [10.0.0.0/33]\n"),
      ElementsAre("cfg.yaml:3:12: vpcs[0].cidrs: expected a list of address prefixes "
                  "(e.g. [10.0.0.0/16]), got \"10.0.0.0/16\"",
                  "cfg.yaml:4:16: vpcs[0].hostnames: expected a domain name (e.g. corp.internal), "
                  "got \"bad..name\"",
                  "cfg.yaml:5:18: vpcs[0].local_zones: expected true or false, got \"no\"",
                  "cfg.yaml:6:5: vpcs[0]: unknown key 'colour' (expected one of: id, cidrs, "
                  "hostnames, local_zones)",
                  "cfg.yaml:8:13: vpcs[1].cidrs[0]: expected an address prefix (e.g. 10.0.0.0/8 "
                  "or ::1/128), got \"10.0.0.0/33\""));
}

TEST(ZonesConfigErrors, ZoneWithBothFileAndRecords) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    file: corp.zone\n"
                       "    records: []\n"),
              ElementsAre("cfg.yaml:2:5: zones[0]: a zone needs exactly one of 'file' or "
                          "'records'"));
}

TEST(ZonesConfigErrors, ZoneWithNeitherFileNorRecords) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    ptr: true\n"
                       "  - name: other.internal\n"
                       "    file: \"\"\n"),
              ElementsAre("cfg.yaml:2:5: zones[0]: a zone needs exactly one of 'file' or "
                          "'records'",
                          "cfg.yaml:5:11: zones[1].file: expected a file name, got \"\""));
}

TEST(ZonesConfigErrors, SameZoneTwiceForOneVpc) {
  EXPECT_THAT(errorsOf("vpcs:\n"
                       "  - id: vpc-a\n"
                       "  - id: vpc-b\n"
                       "zones:\n"
                       "  - name: corp.internal\n"
                       "    vpcs: [vpc-a]\n"
                       "    records: []\n"
                       "  - name: other.internal\n"
                       "    vpcs: [vpc-a, vpc-b]\n"
                       "    records: []\n"
                       "  - name: CORP.internal.\n"
                       "    vpcs: [vpc-b, vpc-a]\n"
                       "    file: corp.zone\n"),
              ElementsAre("cfg.yaml:11:5: zones[2]: zone CORP.internal. is already associated "
                          "with VPC 'vpc-a' (at line 5)"));
}

// ---- errors: inline records --------------------------------------------------------------------

TEST(ZonesConfigErrors, RecordNameOutsideTheZone) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    records:\n"
                       "      - { name: www.example.com., type: A, values: [10.0.0.1] }\n"
                       "      - { name: internal., type: A, values: [10.0.0.1] }\n"
                       "      - { name: www.corp.internal., type: A, values: [10.0.0.1] }\n"),
              ElementsAre("cfg.yaml:4:17: zones[0].records[0].name: name www.example.com. is "
                          "outside the zone corp.internal.",
                          "cfg.yaml:5:17: zones[0].records[1].name: name internal. is outside "
                          "the zone corp.internal."));
}

TEST(ZonesConfigErrors, BadRecordName) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    records:\n"
                       "      - { name: \"a..b\", type: A, values: [10.0.0.1] }\n"
                       "      - { name: \"\", type: A, values: [10.0.0.1] }\n"),
              ElementsAre("cfg.yaml:4:17: zones[0].records[0].name: expected a name relative to "
                          "the zone, \"@\" or an absolute name, got \"a..b\"",
                          "cfg.yaml:5:17: zones[0].records[1].name: expected a name relative to "
                          "the zone, \"@\" or an absolute name, got \"\""));
}

TEST(ZonesConfigErrors, BadRecordType) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    records:\n"
                       "      - { name: www, type: BOGUS, values: [x] }\n"
                       "      - { name: www, type: ANY, values: [x] }\n"
                       "      - { name: www, type: OPT, values: [x] }\n"
                       "      - { name: www, type: [A], values: [x] }\n"),
              ElementsAre("cfg.yaml:4:28: zones[0].records[0].type: expected a record type (A, "
                          "AAAA, CNAME, MX, TXT, ...), got \"BOGUS\"",
                          "cfg.yaml:5:28: zones[0].records[1].type: expected a record type (A, "
                          "AAAA, CNAME, MX, TXT, ...), got \"ANY\"",
                          "cfg.yaml:6:28: zones[0].records[2].type: expected a record type (A, "
                          "AAAA, CNAME, MX, TXT, ...), got \"OPT\"",
                          "cfg.yaml:7:28: zones[0].records[3].type: expected a record type (A, "
                          "AAAA, CNAME, MX, TXT, ...), got a list"));
}

TEST(ZonesConfigErrors, BadRdata) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    records:\n"
                       "      - name: www\n"
                       "        type: A\n"
                       "        values: [10.0.0.1, 10.0.0.300]\n"
                       "      - { name: v6, type: AAAA, values: 10.0.0.1 }\n"
                       "      - { name: mx, type: MX, values: [mail] }\n"
                       "      - { name: m, type: A, values: [{a: 1}] }\n"),
              ElementsAre("cfg.yaml:6:28: zones[0].records[0].values[1]: invalid A data "
                          "\"10.0.0.300\": malformed presentation form",
                          "cfg.yaml:7:41: zones[0].records[1].values: invalid AAAA data "
                          "\"10.0.0.1\": malformed presentation form",
                          "cfg.yaml:8:40: zones[0].records[2].values[0]: invalid MX data "
                          "\"mail\": malformed presentation form",
                          "cfg.yaml:9:38: zones[0].records[3].values[0]: expected record data in "
                          "zone-file form, got a map"));
}

TEST(ZonesConfigErrors, MissingRecordKeysAndValues) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    records:\n"
                       "      - { name: www, type: A }\n"
                       "      - { type: A, values: [10.0.0.1] }\n"
                       "      - { name: www, values: [10.0.0.1] }\n"
                       "      - { name: www, type: A, values: [] }\n"
                       "      - { name: www, type: A, values: }\n"),
              ElementsAre("cfg.yaml:4:9: zones[0].records[0]: missing required key 'values'",
                          "cfg.yaml:5:9: zones[0].records[1]: missing required key 'name'",
                          "cfg.yaml:6:9: zones[0].records[2]: missing required key 'type'",
                          "cfg.yaml:7:9: zones[0].records[3]: a record needs at least one value",
                          "cfg.yaml:8:31: zones[0].records[4].values: expected a list of record "
                          "data in zone-file form, got an empty value"));
}

TEST(ZonesConfigErrors, MissingZoneValues) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - vpcs: []\n"
                       "    records: []\n"
                       "  - name:\n"
                       "    records: []\n"
                       "  - name: corp.internal\n"
                       "    vpcs:\n"
                       "    records:\n"),
              ElementsAre("cfg.yaml:2:5: zones[0]: missing required key 'name'",
                          "cfg.yaml:4:5: zones[1].name: expected a domain name (e.g. "
                          "corp.internal), got an empty value",
                          "cfg.yaml:7:5: zones[2].vpcs: expected a list of VPC ids, got an empty "
                          "value",
                          "cfg.yaml:8:5: zones[2].records: expected a list of records ({name, "
                          "type, ttl, values}), got an empty value"));
}

TEST(ZonesConfigErrors, TtlOutOfRange) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    ttl: 2147483648\n"
                       "    records:\n"
                       "      - { name: www, type: A, ttl: -1, values: [10.0.0.1] }\n"
                       "      - { name: www, type: A, ttl: 1h, values: [10.0.0.1] }\n"),
              ElementsAre("cfg.yaml:3:10: zones[0].ttl: expected integer 0..2147483647, got "
                          "\"2147483648\"",
                          "cfg.yaml:5:36: zones[0].records[0].ttl: expected integer "
                          "0..2147483647, got \"-1\"",
                          "cfg.yaml:6:36: zones[0].records[1].ttl: expected integer "
                          "0..2147483647, got \"1h\""));
}

TEST(ZonesConfigErrors, NonBooleanPtr) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    ptr: yes\n"
                       "    records: []\n"
                       "  - name: other.internal\n"
                       "    ptr: [true]\n"
                       "    records: []\n"),
              ElementsAre("cfg.yaml:3:10: zones[0].ptr: expected true or false, got \"yes\"",
                          "cfg.yaml:6:10: zones[1].ptr: expected true or false, got a list"));
}

// A bad `file` is one error, not also "needs exactly one of 'file' or 'records'".
TEST(ZonesConfigErrors, BadZoneShapes) {
  EXPECT_THAT(errorsOf("zones:\n"
                       "  - name: corp.internal\n"
                       "    file: [a, b]\n"
                       "  - name: other.internal\n"
                       "    file: [a, b]\n"
                       "    records: []\n"
                       "vpcs: {id: a}\n"),
              ElementsAre("cfg.yaml:3:11: zones[0].file: expected a file name, got a list",
                          "cfg.yaml:4:5: zones[1]: a zone needs exactly one of 'file' or "
                          "'records'",
                          "cfg.yaml:5:11: zones[1].file: expected a file name, got a list",
                          "cfg.yaml:7:7: vpcs: expected a list of VPCs (- id: ..., cidrs: "
                          "[...]), got a map"));
  EXPECT_THAT(errorsOf("zones: corp.internal\n"),
              ElementsAre("cfg.yaml:1:8: zones: expected a list of zones (- name: ..., vpcs: "
                          "[...], file: ... | records: [...]), got \"corp.internal\""));
}

}  // namespace
}  // namespace vpcdns::config
