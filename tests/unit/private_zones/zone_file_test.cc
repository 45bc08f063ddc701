// Master-file parser: a file using every directive and syntax loads to exactly the expected
// records; broken files fail with the exact "file:line:column: message".
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dns/types.h"
#include "private_zones/zone_file.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

std::string dataDir() {
  return (std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "data" / "zones").string();
}

ZoneFileOptions corpOptions() {
  ZoneFileOptions o;
  o.origin = N("corp.example.");
  return o;
}

std::vector<std::string> texts(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(dns::recordToText(r));
  return out;
}

// The error of parsing `text` as "corp.zone" with origin corp.example.
std::string errorOf(std::string_view text, ZoneFileOptions options = corpOptions()) {
  auto r = parseZoneText(text, "corp.zone", options);
  if (r.ok()) return "(parsed " + std::to_string(r->size()) + " records)";
  return r.error().toString();
}

TEST(ZoneFile, EveryFeatureLoadsExactly) {
  auto records = parseZoneFile(dataDir() + "/corp.zone", corpOptions());
  ASSERT_TRUE(records.ok()) << records.error().toString();
  const std::vector<std::string> expected = {
      "corp.example. 5400 IN SOA ns1.corp.example. hostmaster.corp.example. 2024010101 7200 1800 "
      "1209600 300",
      "corp.example. 5400 IN NS ns1.corp.example.",
      "corp.example. 5400 IN NS ns2.corp.example.",
      "ns1.corp.example. 5400 IN A 10.0.0.1",
      "ns2.corp.example. 600 IN A 10.0.0.2",
      "www.corp.example. 60 IN A 10.0.0.10",
      "www.corp.example. 60 IN A 10.0.0.11",
      "WWW.corp.example. 5400 IN AAAA 2001:db8::10",
      "mail.corp.example. 5400 IN MX 10 mail.corp.example.",
      "mail.corp.example. 5400 IN MX 20 corp.example.",
      "txt.corp.example. 5400 IN TXT \"a \\\"quoted\\\" string; not a comment\" "
      "\"tab\\009and\\\\backslash\" \"unquoted\"",
      "txt.corp.example. 5400 IN TXT \"multi\" \"line\"",
      "alias.corp.example. 5400 IN CNAME www.corp.example.",
      "_sip._tcp.corp.example. 5400 IN SRV 0 5 5060 sip.corp.example.",
      "sip.corp.example. 5400 IN A 10.0.0.20",
      "caa.corp.example. 5400 IN CAA 0 issue \"ca.example.net\"",
      "ptr.corp.example. 5400 IN PTR www.corp.example.",
      "dname.corp.example. 5400 IN DNAME other.example.",
      "opaque.corp.example. 5400 IN TYPE65280 \\# 3 010203",
      "typed.corp.example. 5400 IN A 10.0.0.30",
      "generic.corp.example. 5400 IN A 10.0.0.31",
      "esc\\.dot.corp.example. 5400 IN A 10.0.0.40",
      "abs.corp.example. 5400 IN A 10.0.0.50",
      "*.wild.corp.example. 5400 IN TXT \"wildcard\"",
      "host.sub.corp.example. 5400 IN A 10.1.0.1",
      "lab.corp.example. 10 IN A 10.2.0.1",
      "db.lab.corp.example. 10 IN A 10.2.0.2",
      "db.lab.corp.example. 10 IN TXT \"inherits the origin; $TTL 10 is local\"",
      "host.sub.corp.example. 5400 IN TXT \"back\"",
      "after.corp.example. 5400 IN A 10.0.0.99",
      "late.corp.example. 120 IN A 10.0.0.100",
  };
  EXPECT_EQ(texts(*records), expected);
  // Case is kept exactly, and TXT octets decode.
  EXPECT_TRUE((*records)[7].name.identical(N("WWW.corp.example.")));
  EXPECT_EQ(std::get<dns::RdataTxt>((*records)[10].rdata).strings,
            (std::vector<std::string>{"a \"quoted\" string; not a comment", "tab\tand\\backslash",
                                      "unquoted"}));
  EXPECT_EQ((*records)[18].type, 65280);
}

TEST(ZoneFile, TtlUnits) {
  const std::pair<const char*, uint32_t> good[] = {
      {"0", 0},       {"3600", 3600},         {"1h30m", 5400}, {"2d", 172800},
      {"1w", 604800}, {"1W2D3H4M5S", 788645}, {"90s", 90},     {"2147483647", 2147483647},
      {"1h1h", 7200},
  };
  for (auto [text, value] : good) {
    uint32_t v = 1;
    EXPECT_TRUE(parseTtl(text, v)) << text;
    EXPECT_EQ(v, value) << text;
  }
  for (const char* bad : {"", "h", "1x", "1h30", "-1", "2147483648", "3551w", "1.5h", " 1"}) {
    uint32_t v = 0;
    EXPECT_FALSE(parseTtl(bad, v)) << bad;
  }
}

TEST(ZoneFile, DefaultTtls) {
  // No $TTL: the SOA takes its own MINIMUM, later records the SOA MINIMUM (RFC 2308 §4).
  auto r = parseZoneText("@ SOA ns hm 1 2 3 4 77\nwww A 10.0.0.1\n", "z", corpOptions());
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ((*r)[0].ttl, 77u);
  EXPECT_EQ((*r)[1].ttl, 77u);
  // Neither $TTL nor an SOA before: the option's default.
  auto options = corpOptions();
  options.default_ttl = 42;
  r = parseZoneText("www A 10.0.0.1\n$TTL 5\nwww A 10.0.0.2\nwww 6 A 10.0.0.3", "z", options);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ((*r)[0].ttl, 42u);
  EXPECT_EQ((*r)[1].ttl, 5u);
  EXPECT_EQ((*r)[2].ttl, 6u);
}

TEST(ZoneFile, SyntaxCorners) {
  // CRLF line ends, tabs, a last line without newline, an entry that is only parentheses on
  // later lines, lowercase class and type, an escaped space in a name, a quoted semicolon.
  auto r = parseZoneText(
      "www\tin\ta\t10.0.0.1\r\n"
      "\r\n"
      "   ; only a comment\n"
      "x (\n A\n 10.0.0.2\n)\n"
      "a\\032b TXT \";\" ()\n"
      "$origin Corp.Example.\n"
      "Upper A 10.0.0.3",
      "z", corpOptions());
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(texts(*r), (std::vector<std::string>{
                           "www.corp.example. 3600 IN A 10.0.0.1",
                           "x.corp.example. 3600 IN A 10.0.0.2",
                           "a\\032b.corp.example. 3600 IN TXT \";\"",
                           "Upper.Corp.Example. 3600 IN A 10.0.0.3",
                       }));
  // Empty text, and text of comments and blank lines only, give no records.
  EXPECT_TRUE(parseZoneText("", "z", corpOptions())->empty());
  EXPECT_TRUE(parseZoneText("\n ; x\n\t\n", "z", corpOptions())->empty());
}

TEST(ZoneFile, OwnerAtApexAndBelowWithRootOrigin) {
  ZoneFileOptions options;  // origin "."
  auto r = parseZoneText("@ A 10.0.0.1\nwww.example A 10.0.0.2\n", "z", options);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(texts(*r),
            (std::vector<std::string>{". 3600 IN A 10.0.0.1", "www.example. 3600 IN A 10.0.0.2"}));
}

TEST(ZoneFile, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"$TTL 300\n@ SOA ns hm 1 2 3 4 5\nwww     IN  A   10.0.0.300\n",
       "corp.zone:3:17: expected an IPv4 address, got \"10.0.0.300\""},
      {"www AAAA 2001:db8::g", "corp.zone:1:10: expected an IPv6 address, got \"2001:db8::g\""},
      {"www IN FOO 1", "corp.zone:1:8: expected a TTL or record type, got \"FOO\""},
      {"www FOO 1", "corp.zone:1:5: expected a TTL, class or record type, got \"FOO\""},
      {"www 300 IN", "corp.zone:1:11: expected a record type, got end of line"},
      {"@ SOA ns hm (1 2 3\n  4 5\n", "corp.zone:3:1: unbalanced parentheses (opened at 1:13)"},
      {"www A 10.0.0.1 )", "corp.zone:1:16: unbalanced parentheses: ')' without '('"},
      {"txt TXT \"abc\nwww A 10.0.0.1\n", "corp.zone:1:9: unterminated quoted string"},
      {"txt TXT \"abc\\\"", "corp.zone:1:9: unterminated quoted string"},
      {"$TTL 1x\n",
       "corp.zone:1:6: $TTL: expected a TTL (0..2147483647 seconds, or units like 1h30m), got "
       "\"1x\""},
      {"$TTL\n", "corp.zone:1:5: $TTL: expected a TTL, got end of line"},
      {"www 1h30 A 10.0.0.1",
       "corp.zone:1:5: expected a TTL (0..2147483647 seconds, or units like 1h30m), got "
       "\"1h30\""},
      {"www 2147483648 A 10.0.0.1",
       "corp.zone:1:5: expected a TTL (0..2147483647 seconds, or units like 1h30m), got "
       "\"2147483648\""},
      {"www.other. A 10.0.0.1",
       "corp.zone:1:1: owner name \"www.other.\" is out of zone \"corp.example.\""},
      {"$ORIGIN other.\nwww A 10.0.0.1",
       "corp.zone:2:1: owner name \"www.other.\" is out of zone \"corp.example.\""},
      {std::string(64, 'a') + " A 10.0.0.1", "corp.zone:1:1: expected an owner name, got \"" +
                                                 std::string(64, 'a') +
                                                 "\": a label is longer than 63 octets"},
      {"a..b A 10.0.0.1", "corp.zone:1:1: expected an owner name, got \"a..b\": empty label"},
      {"\"www\" A 10.0.0.1", "corp.zone:1:1: expected an owner name, got quoted \"www\""},
      {"www CH A 10.0.0.1", "corp.zone:1:5: only class IN is supported, got \"CH\""},
      {"www 60 CLASS3 A 10.0.0.1", "corp.zone:1:8: only class IN is supported, got \"CLASS3\""},
      {"x TYPE65280 \\# 4 010203",
       "corp.zone:1:16: \\# RDATA length mismatch: declared 4 octets, got 3"},
      {"x TYPE65280 \\# 2 01020", "corp.zone:1:18: odd number of hex digits in \\# RDATA"},
      {"x TYPE65280 \\# 1 0g",
       "corp.zone:1:18: expected hexadecimal RDATA after \\# 1, got \"0g\""},
      {"x TYPE65280 \\# 65536",
       "corp.zone:1:16: expected the RDATA length (0..65535) after \\#, got \"65536\""},
      {"x TYPE65280 \\#", "corp.zone:1:15: expected the RDATA length after \\#, got end of line"},
      {"x A \\# 3 0a0000", "corp.zone:1:5: \\# RDATA is not a valid A RDATA"},
      {"x TYPE65280 0102",
       "corp.zone:1:13: type TYPE65280 has no text form here: use \\# (RFC 3597)"},
      {"x DS 1 2 3 abcd", "corp.zone:1:6: type DS has no text form here: use \\# (RFC 3597)"},
      {"x OPT \\# 0", "corp.zone:1:3: type OPT cannot appear in zone data"},
      {"x AXFR \\# 0", "corp.zone:1:3: type AXFR cannot appear in zone data"},
      {"x TYPE0 \\# 0", "corp.zone:1:3: type TYPE0 cannot appear in zone data"},
      {"x ANY \\# 0", "corp.zone:1:3: only class IN is supported, got \"ANY\""},
      {"x A", "corp.zone:1:4: expected A RDATA, got end of line"},
      {"x A 10.0.0.1 10.0.0.2", "corp.zone:1:14: unexpected \"10.0.0.2\" after the A RDATA"},
      {"x A \"10.0.0.1\"", "corp.zone:1:5: expected an IPv4 address, got quoted \"10.0.0.1\""},
      {"@ SOA ns hm 1 2 3 4",
       "corp.zone:1:20: expected a time value (0..4294967295 seconds, or units like 1h30m) (SOA "
       "field 7 of 7), got end of line"},
      {"@ SOA ns hm 1 2 3 4 5x",
       "corp.zone:1:21: expected a time value (0..4294967295 seconds, or units like 1h30m), got "
       "\"5x\""},
      {"x MX 65536 mail", "corp.zone:1:6: expected an integer 0..65535, got \"65536\""},
      {"x CNAME a..b", "corp.zone:1:9: expected a domain name, got \"a..b\": empty label"},
      {"x TXT \"\\999\"",
       "corp.zone:1:7: expected a character string of at most 255 octets, got "
       "quoted \"\\999\": bad escape"},
      {"x TXT " + std::string(256, 'a'),
       "corp.zone:1:7: expected a character string of at most 255 octets, got \"" +
           std::string(256, 'a') + "\""},
      {"x CAA 0 is-sue \"ca\"",
       "corp.zone:1:9: expected a CAA tag (letters and digits), got \"is-sue\""},
      {"  A 10.0.0.1", "corp.zone:1:3: no previous owner name for a line starting with a blank"},
      {"www A 10.0.0.1\\", "corp.zone:1:15: backslash at the end of a line"},
      {"$GENERATE 1-10 host$ A 10.0.0.$",
       "corp.zone:1:1: unknown directive \"$GENERATE\" (expected $ORIGIN, $TTL or $INCLUDE)"},
      {"$ORIGIN a b", "corp.zone:1:11: unexpected \"b\" after $ORIGIN"},
      {"$ORIGIN a..b", "corp.zone:1:9: expected a domain name, got \"a..b\": empty label"},
      {"$INCLUDE", "corp.zone:1:9: $INCLUDE: expected a file name, got end of line"},
      {"$INCLUDE a b c", "corp.zone:1:14: unexpected \"c\" after $INCLUDE"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(errorOf(text), expected) << text;
}

TEST(ZoneFile, ErrorsStopAtTheFirst) {
  EXPECT_EQ(errorOf("www A 10.0.0.1\nx A 1.2.3\ny A 1.2.3.4.5\n"),
            "corp.zone:2:5: expected an IPv4 address, got \"1.2.3\"");
}

TEST(ZoneFile, IncludeErrorsNameTheIncludingLine) {
  const std::string dir = dataDir();
  auto r = parseZoneFile(dir + "/missing-include.zone", corpOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().toString(), dir + "/missing-include.zone:3:10: cannot open $INCLUDE file \"" +
                                      dir + "/does-not-exist.zone\": No such file or directory");

  r = parseZoneFile(dir + "/loop-a.zone", corpOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().toString(), dir + "/loop-b.zone:2:10: $INCLUDE loop: \"" + dir +
                                      "/loop-a.zone\" is already being read");

  r = parseZoneFile(dir + "/self-include.zone", corpOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().toString(), dir + "/self-include.zone:1:10: $INCLUDE loop: \"" + dir +
                                      "/./self-include.zone\" is already being read");

  r = parseZoneFile(dir + "/no-such.zone", corpOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().toString(),
            dir + "/no-such.zone: cannot read file: No such file or directory");

  // A directory or a device is refused, not read forever.
  EXPECT_EQ(errorOf("$INCLUDE /dev/zero"),
            "corp.zone:1:10: cannot open $INCLUDE file \"/dev/zero\": not a regular file");
  auto disabled = corpOptions();
  disabled.allow_include = false;
  EXPECT_EQ(errorOf("$INCLUDE x", disabled), "corp.zone:1:1: $INCLUDE is not allowed here");
}

TEST(ZoneFile, IncludeDepthLimit) {
  // parseZoneText includes relative to the working directory: use absolute paths.
  const std::string dir = dataDir();
  auto options = corpOptions();
  options.max_include_depth = 0;
  EXPECT_EQ(errorOf("$INCLUDE " + dir + "/corp-include.zone", options),
            "corp.zone:1:1: $INCLUDE nested more than 0 deep");
  options.max_include_depth = 1;
  auto r = parseZoneText("$INCLUDE " + dir + "/corp-include.zone lab", "z", options);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r->size(), 3u);
  // corp.zone includes one file: it needs depth 1, and fails at 0 naming the $INCLUDE line.
  options.max_include_depth = 0;
  auto f = parseZoneFile(dir + "/corp.zone", options);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().toString(), dir + "/corp.zone:38:1: $INCLUDE nested more than 0 deep");
}

TEST(ZoneFile, ErrorToString) {
  EXPECT_EQ((ZoneFileError{"a.zone", 3, 7, "boom"}).toString(), "a.zone:3:7: boom");
  EXPECT_EQ((ZoneFileError{"a.zone", 0, 0, "cannot read file: x"}).toString(),
            "a.zone: cannot read file: x");
}

TEST(ZoneFile, NeverCrashesOnGarbage) {
  // Every prefix of a file with every construct: each either parses or fails with a position.
  const std::string text =
      "$TTL 1h\n@ SOA ns hm ( 1 2 3 4 5 ) ; c\n www IN 60 TXT \"a\\\"b\\065\" c\n"
      "x TYPE65280 \\# 2 ab cd\n$ORIGIN sub\n*.y CAA 0 issue \"ca\"\n";
  for (size_t n = 0; n <= text.size(); ++n) {
    auto r = parseZoneText(std::string_view(text).substr(0, n), "z", corpOptions());
    if (!r.ok()) {
      EXPECT_GE(r.error().line, 1) << n;
      EXPECT_GE(r.error().column, 1) << n;
    }
  }
}

}  // namespace
}  // namespace vpcdns::private_zones
