// The loader's results and, above all, its error messages: they are what users see, so most
// tests compare whole strings, positions included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "config/config.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every error of loading `yaml` as "cfg.yaml", formatted as users see them.
using test_support::errorsOf;
using test_support::load;

std::vector<std::string> strings(const std::vector<IpPrefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.toString());
  return out;
}

void expectDefaults(const Config& c) {
  ASSERT_EQ(c.server.listen.size(), 1u);
  EXPECT_EQ(c.server.listen[0].address.toString(), "127.0.0.1:5353");
  EXPECT_EQ(c.server.listen[0].vpc, "");
  EXPECT_EQ(c.server.workers, 0u);
  EXPECT_THAT(strings(c.server.allow), ElementsAre("127.0.0.0/8", "::1/128"));
  EXPECT_EQ(c.server.edns_udp_size, 1232);
  EXPECT_EQ(c.server.tcp_idle_timeout_ms, 10000u);
  EXPECT_EQ(c.server.tcp_max_connections, 1024u);
  EXPECT_EQ(c.server.tcp_max_pipelined, 64u);
  EXPECT_EQ(c.server.udp_recv_buffer, 0u);
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.format, "text");
}

// ---- valid configurations --------------------------------------------------------------------

TEST(ConfigDefault, EmbeddedDefaultLoadsCleanly) {
  LoadResult r = loadString(kDefaultConfigYaml, "<embedded default>");
  ASSERT_TRUE(r.ok()) << r.error().front().toString();
  EXPECT_EQ(r->source, "<embedded default>");
  expectDefaults(*r);
}

TEST(ConfigDefault, EmptyOrCommentOnlyDocumentMeansDefaults) {
  for (std::string_view yaml : {"", "\n\n", "# nothing here\n  # indented comment\n", "---\n",
                                "~\n", "server:\nlogging:\n", "server:\n  # listen: []\n"}) {
    SCOPED_TRACE(yaml);
    Config c = load(yaml);
    EXPECT_EQ(c.source, "cfg.yaml");
    expectDefaults(c);
  }
}

TEST(ConfigValid, FullConfig) {
  Config c = load(R"(
server:
  listen:
    - address: 127.0.0.1:5353
    - address: 10.0.0.2
      vpc: vpc-app
    - address: "[::1]:5353"
    - address: 2001:db8::53
      vpc: VPC_2.b-c
  workers: 8
  allow: [10.0.0.0/8, 127.0.0.0/8, "::1/128", 192.168.1.7]
  edns_udp_size: 4096
  tcp_idle_timeout_ms: 100
  tcp_max_connections: 1000000
  tcp_max_pipelined: 65535
  udp_recv_buffer: 4MiB
logging:
  level: debug
  format: json
vpcs:
  - id: vpc-app
  - id: VPC_2.b-c
)");
  ASSERT_EQ(c.server.listen.size(), 4u);
  EXPECT_EQ(c.server.listen[0].address.toString(), "127.0.0.1:5353");
  EXPECT_EQ(c.server.listen[0].vpc, "");
  EXPECT_EQ(c.server.listen[1].address.toString(), "10.0.0.2:53");
  EXPECT_EQ(c.server.listen[1].vpc, "vpc-app");
  EXPECT_EQ(c.server.listen[2].address.toString(), "[::1]:5353");
  EXPECT_EQ(c.server.listen[3].address.toString(), "[2001:db8::53]:53");
  EXPECT_EQ(c.server.listen[3].vpc, "VPC_2.b-c");
  EXPECT_EQ(c.server.workers, 8u);
  EXPECT_THAT(strings(c.server.allow),
              ElementsAre("10.0.0.0/8", "127.0.0.0/8", "::1/128", "192.168.1.7/32"));
  EXPECT_EQ(c.server.edns_udp_size, 4096);
  EXPECT_EQ(c.server.tcp_idle_timeout_ms, 100u);
  EXPECT_EQ(c.server.tcp_max_connections, 1000000u);
  EXPECT_EQ(c.server.tcp_max_pipelined, 65535u);
  EXPECT_EQ(c.server.udp_recv_buffer, 4u << 20);
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.logging.format, "json");
}

TEST(ConfigValid, PartialSectionKeepsOtherDefaults) {
  Config c = load("server:\n  workers: auto\n  allow: []\nlogging:\n  level: off\n");
  EXPECT_EQ(c.server.workers, 0u);
  EXPECT_THAT(c.server.allow, IsEmpty());  // explicit: refuse everyone
  ASSERT_EQ(c.server.listen.size(), 1u);
  EXPECT_EQ(c.server.listen[0].address.toString(), "127.0.0.1:5353");
  EXPECT_EQ(c.logging.level, "off");
  EXPECT_EQ(c.logging.format, "text");
}

TEST(ConfigValid, SizesAndLimits) {
  EXPECT_EQ(load("server: {udp_recv_buffer: 1GiB}").server.udp_recv_buffer, 1u << 30);
  EXPECT_EQ(load("server: {udp_recv_buffer: 512KiB}").server.udp_recv_buffer, 512u << 10);
  EXPECT_EQ(load("server: {udp_recv_buffer: 1073741824}").server.udp_recv_buffer, 1u << 30);
  EXPECT_EQ(load("server: {workers: 256}").server.workers, 256u);
  EXPECT_EQ(load("server: {workers: 1}").server.workers, 1u);
  EXPECT_EQ(load("server: {edns_udp_size: 512}").server.edns_udp_size, 512);
  EXPECT_EQ(load("server: {tcp_idle_timeout_ms: 600000}").server.tcp_idle_timeout_ms, 600000u);
}

TEST(ConfigValid, LoadFileReadsAndNamesTheFile) {
  char path[] = "/tmp/vpcdns-config-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "server:\n  workers: 3\n";
  LoadResult r = loadFile(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, path);
  EXPECT_EQ(r->server.workers, 3u);

  std::ofstream(path) << "server:\n  workers: three\n";
  LoadResult bad = loadFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().at(0).toString(),
            std::string(path) +
                R"(:2:12: server.workers: expected "auto" or integer 1..256, got "three")");
  unlink(path);
}

// ---- error messages: keys --------------------------------------------------------------------

TEST(ConfigErrors, UnknownTopLevelKey) {
  EXPECT_THAT(errorsOf("server:\n  workers: 2\nsrever:\n  workers: 3\n"),
              ElementsAre("cfg.yaml:3:1: unknown key 'srever' (expected one of: server, logging, "
                          "resolver, cache, forwarding, rules, vpcs, zones, tsig_keys, "
                          "state_dir, admin, query_log)"));
}

TEST(ConfigErrors, UnknownNestedKeys) {
  EXPECT_THAT(errorsOf("server:\n"
                       "  listen:\n"
                       "    - address: 127.0.0.1:53\n"
                       "      port: 53\n"
                       "  worker: 2\n"),
              ElementsAre("cfg.yaml:4:7: server.listen[0]: unknown key 'port' (expected one of: "
                          "address, vpc)",
                          "cfg.yaml:5:3: server: unknown key 'worker' (expected one of: listen, "
                          "workers, allow, edns_udp_size, tcp_idle_timeout_ms, "
                          "tcp_max_connections, tcp_max_pipelined, udp_recv_buffer, user, "
                          "group)"));
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_THAT(errorsOf("server:\n  workers: 2\n  allow: [10.0.0.0/8]\n  workers: 4\n"),
              ElementsAre("cfg.yaml:4:3: server: duplicate key 'workers' (first at line 2)"));
  EXPECT_THAT(errorsOf("logging: {level: info}\nlogging: {level: debug}\n"),
              ElementsAre("cfg.yaml:2:1: duplicate key 'logging' (first at line 1)"));
}

TEST(ConfigErrors, FirstOfDuplicateKeysIsTheOneRead) {
  // Only the duplicate is reported; its (bad) value is not read, so no second error.
  EXPECT_THAT(errorsOf("server:\n  workers: 2\n  workers: many\n"),
              ElementsAre("cfg.yaml:3:3: server: duplicate key 'workers' (first at line 2)"));
}

TEST(ConfigErrors, MissingRequiredKey) {
  EXPECT_THAT(errorsOf("server:\n  listen:\n    - vpc: vpc-app\nvpcs: [{id: vpc-app}]\n"),
              ElementsAre("cfg.yaml:3:7: server.listen[0]: missing required key 'address'"));
}

TEST(ConfigErrors, NonScalarKey) {
  EXPECT_THAT(errorsOf("server:\n  ? [a, b]\n  : 1\n"),
              ElementsAre("cfg.yaml:2:5: server: expected a key name, got a list"));
}

// ---- error messages: types and ranges --------------------------------------------------------

TEST(ConfigErrors, StringWhereIntegerExpected) {
  EXPECT_THAT(errorsOf("server:\n  edns_udp_size: big\n"),
              ElementsAre("cfg.yaml:2:18: server.edns_udp_size: expected integer 512..4096, "
                          "got \"big\""));
  EXPECT_THAT(errorsOf("server:\n  workers: -2\n"),
              ElementsAre("cfg.yaml:2:12: server.workers: expected \"auto\" or integer 1..256, "
                          "got \"-2\""));
}

TEST(ConfigErrors, MapWhereListExpected) {
  EXPECT_THAT(errorsOf("server:\n  listen:\n    address: 127.0.0.1:53\n"),
              ElementsAre("cfg.yaml:3:5: server.listen: expected a list of listen entries "
                          "(- address: IP[:port]), got a map"));
}

TEST(ConfigErrors, ScalarWhereListExpected) {
  EXPECT_THAT(errorsOf("server:\n  allow: 10.0.0.0/8\n"),
              ElementsAre("cfg.yaml:2:10: server.allow: expected a list of address prefixes "
                          "(e.g. [10.0.0.0/8, \"::1/128\"]), got \"10.0.0.0/8\""));
}

TEST(ConfigErrors, ListWhereMapExpected) {
  EXPECT_THAT(errorsOf("logging: [info]\n"),
              ElementsAre("cfg.yaml:1:10: logging: expected a map with keys level, format, "
                          "got a list"));
  EXPECT_THAT(errorsOf("server:\n  listen:\n    - 127.0.0.1:53\n"),
              ElementsAre("cfg.yaml:3:7: server.listen[0]: expected a map with keys address, "
                          "vpc, got \"127.0.0.1:53\""));
}

TEST(ConfigErrors, MapWhereScalarExpected) {
  EXPECT_THAT(errorsOf("logging:\n  level: {name: info}\n"),
              ElementsAre("cfg.yaml:2:10: logging.level: expected one of "
                          "trace|debug|info|warn|error|critical|off, got a map"));
}

TEST(ConfigErrors, EmptyValuePointsAtItsKey) {
  // yaml-cpp marks an implicit null at the next token (here line 3); we report the key.
  EXPECT_THAT(errorsOf("server:\n  workers:\n  allow: [10.0.0.0/8]\n"),
              ElementsAre("cfg.yaml:2:3: server.workers: expected \"auto\" or integer 1..256, "
                          "got an empty value"));
}

TEST(ConfigErrors, TopLevelMustBeAMap) {
  EXPECT_THAT(errorsOf("- server\n- logging\n"),
              ElementsAre("cfg.yaml:1:1: expected a map with keys server, logging, resolver, "
                          "cache, forwarding, rules, vpcs, zones, "
                          "tsig_keys, state_dir, admin, query_log, got a list"));
  EXPECT_THAT(errorsOf("hello\n"),
              ElementsAre("cfg.yaml:1:1: expected a map with keys server, logging, resolver, "
                          "cache, forwarding, rules, vpcs, zones, "
                          "tsig_keys, state_dir, admin, query_log, got \"hello\""));
}

TEST(ConfigErrors, OutOfRangeIntegers) {
  EXPECT_THAT(errorsOf("server:\n"
                       "  workers: 0\n"
                       "  tcp_max_pipelined: 70000\n"
                       "  edns_udp_size: 511\n"
                       "  tcp_idle_timeout_ms: 99\n"
                       "  tcp_max_connections: 18446744073709551616\n"
                       "  udp_recv_buffer: 2GiB\n"),
              ElementsAre("cfg.yaml:2:12: server.workers: expected \"auto\" or integer 1..256, "
                          "got \"0\"",
                          "cfg.yaml:3:22: server.tcp_max_pipelined: expected integer 1..65535, "
                          "got \"70000\"",
                          "cfg.yaml:4:18: server.edns_udp_size: expected integer 512..4096, "
                          "got \"511\"",
                          "cfg.yaml:5:24: server.tcp_idle_timeout_ms: expected integer "
                          "100..600000, got \"99\"",
                          "cfg.yaml:6:24: server.tcp_max_connections: expected integer "
                          "1..1000000, got \"18446744073709551616\"",
                          "cfg.yaml:7:20: server.udp_recv_buffer: expected a size 0..1GiB "
                          "(bytes, or with a KiB/MiB/GiB suffix), got \"2GiB\""));
  EXPECT_THAT(errorsOf("server: {workers: 257, edns_udp_size: 4097}"),
              ElementsAre("cfg.yaml:1:19: server.workers: expected \"auto\" or integer 1..256, "
                          "got \"257\"",
                          "cfg.yaml:1:39: server.edns_udp_size: expected integer 512..4096, "
                          "got \"4097\""));
}

TEST(ConfigErrors, IntegersAreDecimalOnly) {
  for (std::string_view value : {"0x400", "1e3", "1024.0", "+1024", " 1024x", "1_024"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(errorsOf("server: {edns_udp_size: \"" + std::string(value) + "\"}").size(), 1u);
  }
}

TEST(ConfigErrors, BadChoice) {
  EXPECT_THAT(errorsOf("logging:\n  level: verbose\n  format: xml\n"),
              ElementsAre("cfg.yaml:2:10: logging.level: expected one of "
                          "trace|debug|info|warn|error|critical|off, got \"verbose\"",
                          "cfg.yaml:3:11: logging.format: expected one of text|json, "
                          "got \"xml\""));
  EXPECT_EQ(errorsOf("logging: {level: INFO}").size(), 1u);  // case-sensitive
}

// ---- error messages: addresses ---------------------------------------------------------------

TEST(ConfigErrors, BadListenAddress) {
  EXPECT_THAT(errorsOf("# vpcdns\n"
                       "server:\n"
                       "  listen:\n"
                       "    - address: 127.0.0.1:99999\n"
                       "    - address: \"[::1\"\n"
                       "    - address: 10.0.0.1:0\n"
                       "    - address: localhost:53\n"),
              ElementsAre("cfg.yaml:4:16: server.listen[0].address: expected IP[:port] "
                          "(e.g. 127.0.0.1:53 or [::1]:53), got \"127.0.0.1:99999\"",
                          "cfg.yaml:5:16: server.listen[1].address: expected IP[:port] "
                          "(e.g. 127.0.0.1:53 or [::1]:53), got \"[::1\"",
                          "cfg.yaml:6:16: server.listen[2].address: expected a port 1..65535, "
                          "got \"10.0.0.1:0\"",
                          "cfg.yaml:7:16: server.listen[3].address: expected IP[:port] "
                          "(e.g. 127.0.0.1:53 or [::1]:53), got \"localhost:53\""));
}

TEST(ConfigErrors, EmptyListenList) {
  EXPECT_THAT(errorsOf("server:\n  listen: []\n"),
              ElementsAre("cfg.yaml:2:11: server.listen: expected at least one listen entry, "
                          "got an empty list"));
}

TEST(ConfigErrors, DuplicateListenAddress) {
  EXPECT_THAT(errorsOf("server:\n"
                       "  listen:\n"
                       "    - address: 127.0.0.1:5353\n"
                       "    - address: 10.0.0.1\n"
                       "    - address: 127.0.0.1:5353\n"
                       "    - address: 10.0.0.1:53\n"
                       "    - address: 10.0.0.1:54\n"),
              ElementsAre("cfg.yaml:5:16: server.listen[2].address: duplicate listen address "
                          "127.0.0.1:5353 (first at line 3)",
                          "cfg.yaml:6:16: server.listen[3].address: duplicate listen address "
                          "10.0.0.1:53 (first at line 4)"));
}

TEST(ConfigErrors, BadVpcId) {
  EXPECT_THAT(errorsOf("server:\n  listen:\n    - {address: 10.0.0.2, vpc: \"vpc app\"}\n"
                       "    - {address: 10.0.0.3, vpc: \"\"}\n"),
              ElementsAre("cfg.yaml:3:32: server.listen[0].vpc: expected an id of letters, "
                          "digits, '.', '_' or '-', got \"vpc app\"",
                          "cfg.yaml:4:32: server.listen[1].vpc: expected an id of letters, "
                          "digits, '.', '_' or '-', got \"\""));
}

TEST(ConfigErrors, BadPrefixes) {
  EXPECT_THAT(errorsOf("server:\n  allow: [10.0.0.0/33, \"::/129\", 10.0.0.0/8, [1]]\n"),
              ElementsAre("cfg.yaml:2:11: server.allow[0]: expected an address prefix "
                          "(e.g. 10.0.0.0/8 or ::1/128), got \"10.0.0.0/33\"",
                          "cfg.yaml:2:24: server.allow[1]: expected an address prefix "
                          "(e.g. 10.0.0.0/8 or ::1/128), got \"::/129\"",
                          "cfg.yaml:2:46: server.allow[3]: expected an address prefix "
                          "(e.g. 10.0.0.0/8 or ::1/128), got a list"));
}

// ---- error messages: the document ------------------------------------------------------------

TEST(ConfigErrors, SyntaxErrorUnclosedBracket) {
  EXPECT_THAT(errorsOf("server:\n  allow: [10.0.0.0/8\nlogging:\n  level: info\n"),
              ElementsAre("cfg.yaml:3:8: YAML syntax error: end of sequence flow not found"));
}

TEST(ConfigErrors, SyntaxErrorTabIndentation) {
  EXPECT_THAT(errorsOf("server:\n\tworkers: 2\n"),
              ElementsAre(::testing::StartsWith("cfg.yaml:2:")));
}

TEST(ConfigErrors, SeveralDocuments) {
  EXPECT_THAT(errorsOf("server: {workers: 2}\n---\nserver: {workers: 3}\n"),
              ElementsAre("cfg.yaml:2:1: expected a single YAML document, found a second one"));
}

TEST(ConfigErrors, MissingFile) {
  LoadResult r = loadFile("/nonexistent-vpcdns-dir/vpcdns.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 1u);
  const ConfigError& e = r.error()[0];
  EXPECT_EQ(e.line, 0);
  EXPECT_EQ(e.column, 0);
  EXPECT_EQ(e.toString(),
            "/nonexistent-vpcdns-dir/vpcdns.yaml: cannot read file: No such file or directory");
}

TEST(ConfigErrors, DirectoryIsNotAFile) {
  LoadResult r = loadFile("/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().at(0).toString(), "/tmp: cannot read file: Is a directory");
}

TEST(ConfigErrors, AllErrorsReportedTogether) {
  EXPECT_THAT(errorsOf("server:\n"
                       "  listen:\n"
                       "    - address: 127.0.0.1:5353\n"
                       "      vpc: bad/id\n"
                       "    - address: nowhere\n"
                       "  workers: lots\n"
                       "  workers: 4\n"
                       "  allow: {a: 1}\n"
                       "logging:\n"
                       "  level: loud\n"
                       "  colour: true\n"
                       "extra: 1\n"),
              ElementsAre("cfg.yaml:4:12: server.listen[0].vpc: expected an id of letters, "
                          "digits, '.', '_' or '-', got \"bad/id\"",
                          "cfg.yaml:5:16: server.listen[1].address: expected IP[:port] "
                          "(e.g. 127.0.0.1:53 or [::1]:53), got \"nowhere\"",
                          "cfg.yaml:6:12: server.workers: expected \"auto\" or integer 1..256, "
                          "got \"lots\"",
                          "cfg.yaml:7:3: server: duplicate key 'workers' (first at line 6)",
                          "cfg.yaml:8:10: server.allow: expected a list of address prefixes "
                          "(e.g. [10.0.0.0/8, \"::1/128\"]), got a map",
                          "cfg.yaml:10:10: logging.level: expected one of "
                          "trace|debug|info|warn|error|critical|off, got \"loud\"",
                          "cfg.yaml:11:3: logging: unknown key 'colour' (expected one of: "
                          "level, format)",
                          "cfg.yaml:12:1: unknown key 'extra' (expected one of: server, "
                          "logging, resolver, cache, forwarding, rules, vpcs, zones, tsig_keys, "
                          "state_dir, admin, query_log)"));
}

TEST(ConfigErrors, ReportedInDocumentOrder) {
  // "missing required key" is found after the map's keys are read, but is listed at its place.
  EXPECT_THAT(
      errorsOf("server:\n  listen:\n    - vpc: a\n      vpc: b\nvpcs: [{id: a}, {id: b}]\n"),
      ElementsAre("cfg.yaml:3:7: server.listen[0]: missing required key 'address'",
                  "cfg.yaml:4:7: server.listen[0]: duplicate key 'vpc' (first at line 3)"));
}

TEST(ConfigErrors, LongAndControlCharactersAreQuotedSafely) {
  std::string long_value(100, 'x');
  EXPECT_THAT(errorsOf("logging: {level: \"a\\\"b\\tc\\u0001\"}"),
              ElementsAre("cfg.yaml:1:18: logging.level: expected one of "
                          "trace|debug|info|warn|error|critical|off, got \"a\\\"b\\tc?\""));
  EXPECT_THAT(errorsOf("logging: {format: " + long_value + "}"),
              ElementsAre("cfg.yaml:1:19: logging.format: expected one of text|json, got \"" +
                          std::string(60, 'x') + "...\""));
}

TEST(ConfigErrors, NeverThrows) {
  const std::vector<std::string_view> inputs = {"{",
                                                "[",
                                                "]",
                                                "}",
                                                ":",
                                                "- - -",
                                                "? ? ?",
                                                "&a [*a]",
                                                "*undefined",
                                                "!!binary x",
                                                "server: !!map [1]",
                                                "'",
                                                "\"",
                                                "server:\n  listen:\n    -\n",
                                                "\t",
                                                "%YAML 9.9\n---\n",
                                                "server: &s {workers: 2}\nlogging: *s\n",
                                                "<<: {server: {}}",
                                                std::string_view("\0\xff\xfe", 3),
                                                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["};
  for (std::string_view yaml : inputs) {
    SCOPED_TRACE(yaml);
    EXPECT_NO_THROW({ (void)loadString(yaml, "cfg.yaml"); });
  }
  std::string deep(100000, '[');
  EXPECT_NO_THROW({ EXPECT_FALSE(loadString(deep, "cfg.yaml").ok()); });
}

TEST(ConfigErrors, NullListItemReportsMissingAddress) {
  std::vector<std::string> errors = errorsOf("server:\n  listen:\n    -\n    - address: ::1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::HasSubstr("server.listen[0]: missing required key 'address'"));
}

// ---- ConfigError::toString -------------------------------------------------------------------

TEST(ConfigErrorFormat, WithAndWithoutPosition) {
  EXPECT_EQ((ConfigError{"a.yaml", 4, 11, "server.workers", "bad"}).toString(),
            "a.yaml:4:11: server.workers: bad");
  EXPECT_EQ((ConfigError{"a.yaml", 1, 1, "", "bad"}).toString(), "a.yaml:1:1: bad");
  EXPECT_EQ((ConfigError{"a.yaml", 0, 0, "", "cannot read file: x"}).toString(),
            "a.yaml: cannot read file: x");
}

}  // namespace
}  // namespace vpcdns::config
