#include "resolver/root_hints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::resolver {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

dns::Name name(std::string_view text) {
  return dns::Name::fromText(text).value();
}

size_t countType(const std::vector<dns::Record>& records, uint16_t type) {
  return static_cast<size_t>(std::count_if(records.begin(), records.end(),
                                           [&](const dns::Record& r) { return r.type == type; }));
}

const dns::Record* findAddress(const RootHints& h, std::string_view owner, uint16_t type) {
  for (const auto& r : h.addresses) {
    if (r.name == name(owner) && r.type == type) return &r;
  }
  return nullptr;
}

std::string parseError(std::string_view text) {
  auto r = parseRootHints(text, "hints");
  if (r.ok()) return "(parsed)";
  return r.error();
}

TEST(RootHintsTest, BuiltinHasThirteenServersWithTwoAddressesEach) {
  const RootHints& h = builtinRootHints();
  ASSERT_EQ(h.ns.size(), 13u);
  EXPECT_EQ(h.addresses.size(), 26u);
  EXPECT_EQ(countType(h.addresses, dns::rrtype::kA), 13u);
  EXPECT_EQ(countType(h.addresses, dns::rrtype::kAAAA), 13u);
  for (char letter = 'a'; letter <= 'm'; ++letter) {
    const std::string server = std::string(1, letter) + ".root-servers.net.";
    SCOPED_TRACE(server);
    const bool listed = std::any_of(h.ns.begin(), h.ns.end(), [&](const dns::Record& r) {
      return std::get<dns::RdataName>(r.rdata).name == name(server);
    });
    EXPECT_TRUE(listed);
    EXPECT_NE(findAddress(h, server, dns::rrtype::kA), nullptr);
    EXPECT_NE(findAddress(h, server, dns::rrtype::kAAAA), nullptr);
  }
  for (const auto& r : h.ns) {
    EXPECT_TRUE(r.name.isRoot());
    EXPECT_EQ(r.type, dns::rrtype::kNS);
    EXPECT_EQ(r.ttl, 3600000u);
  }
  for (const auto& r : h.addresses) EXPECT_EQ(r.ttl, 3600000u);
}

TEST(RootHintsTest, BuiltinHasTheCurrentAddresses) {
  const RootHints& h = builtinRootHints();
  // b.root-servers.net was renumbered in November 2023.
  const auto* b4 = findAddress(h, "b.root-servers.net.", dns::rrtype::kA);
  const auto* b6 = findAddress(h, "b.root-servers.net.", dns::rrtype::kAAAA);
  ASSERT_NE(b4, nullptr);
  ASSERT_NE(b6, nullptr);
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kA, b4->rdata), "170.247.170.2");
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kAAAA, b6->rdata), "2801:1b8:10::b");
  const auto* a4 = findAddress(h, "a.root-servers.net.", dns::rrtype::kA);
  ASSERT_NE(a4, nullptr);
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kA, a4->rdata), "198.41.0.4");
  const auto* m6 = findAddress(h, "m.root-servers.net.", dns::rrtype::kAAAA);
  ASSERT_NE(m6, nullptr);
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kAAAA, m6->rdata), "2001:dc3::35");
}

// Debian's dns-root-data ships named.root; when present it must parse and agree with ours.
TEST(RootHintsTest, BuiltinMatchesTheSystemCopyWhenPresent) {
  const std::string path = "/usr/share/dns/root.hints";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not installed";
  auto loaded = loadRootHints(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  const RootHints& builtin = builtinRootHints();
  ASSERT_EQ(loaded->ns.size(), builtin.ns.size());
  ASSERT_EQ(loaded->addresses.size(), builtin.addresses.size());
  for (const auto& r : builtin.ns) {
    EXPECT_NE(std::find(loaded->ns.begin(), loaded->ns.end(), r), loaded->ns.end())
        << dns::recordToText(r);
  }
  for (const auto& r : builtin.addresses) {
    EXPECT_NE(std::find(loaded->addresses.begin(), loaded->addresses.end(), r),
              loaded->addresses.end())
        << dns::recordToText(r);
  }
}

TEST(RootHintsTest, ParsesTheNamedRootFormat) {
  const std::string text =
      ";  This file holds the information on root name servers\n"
      "\n"
      ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
      "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
      "a.root-servers.net.      3600000 IN   AAAA  2001:503:ba3e::2:30 ; same name, other case\n"
      "\n"
      ".  IN NS x.example.\r\n"  // class, no TTL, CRLF
      "X.Example   300 A 192.0.2.1\n"
      "            AAAA 2001:db8::1\n"  // blank owner: the previous one
      "x.example. IN 60 A 192.0.2.2\n"  // class before TTL
      ".                        3600000      NS    a.root-servers.net.\n"  // duplicate
      "; End of file";
  auto r = parseRootHints(text, "hints");
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->ns.size(), 2u);
  EXPECT_EQ(std::get<dns::RdataName>(r->ns[0].rdata).name, name("a.root-servers.net."));
  EXPECT_EQ(std::get<dns::RdataName>(r->ns[1].rdata).name, name("x.example."));
  EXPECT_EQ(r->ns[1].ttl, 3600000u);  // the default when no TTL is given
  ASSERT_EQ(r->addresses.size(), 5u);
  const auto* x6 = findAddress(*r, "x.example.", dns::rrtype::kAAAA);
  ASSERT_NE(x6, nullptr);
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kAAAA, x6->rdata), "2001:db8::1");
  const auto* a4 = findAddress(*r, "a.root-servers.net.", dns::rrtype::kA);
  ASSERT_NE(a4, nullptr);
  EXPECT_EQ(a4->ttl, 3600000u);
  EXPECT_EQ(r->addresses[2].ttl, 300u);
  EXPECT_EQ(r->addresses[4].ttl, 60u);
}

TEST(RootHintsTest, AnNsWithoutAddressesIsAcceptedIfAnotherHasOne) {
  auto r = parseRootHints(". NS a.example.\n. NS b.example.\nb.example. A 192.0.2.1\n", "h");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ns.size(), 2u);
  EXPECT_EQ(r->addresses.size(), 1u);
}

TEST(RootHintsTest, RejectsOtherTypes) {
  EXPECT_EQ(parseError(". NS a.example.\na.example. 3600 MX 10 mail.example.\n"),
            "hints:2:17: type MX is not allowed in root hints (only NS, A and AAAA)");
  EXPECT_EQ(parseError(". NS a.example.\na.example. BOGUS 1.2.3.4\n"),
            "hints:2:12: expected a record type, got \"BOGUS\"");
}

TEST(RootHintsTest, RejectsAddressesOfNamesOutsideTheNsSet) {
  EXPECT_EQ(parseError(". NS a.example.\n"
                       "a.example. A 192.0.2.1\n"
                       "b.example.   A 192.0.2.2\n"),
            "hints:3:1: A record for \"b.example.\", which is not the name of a root NS record");
}

TEST(RootHintsTest, RejectsNsNotOwnedByTheRoot) {
  EXPECT_EQ(parseError("com. NS a.example.\na.example. A 192.0.2.1\n"),
            "hints:1:1: NS records must be owned by the root \".\", got \"com.\"");
}

TEST(RootHintsTest, RejectsBadAddresses) {
  EXPECT_EQ(parseError(". NS a.example.\na.example. A 192.0.2.256\n"),
            "hints:2:14: expected an IPv4 address, got \"192.0.2.256\"");
  EXPECT_EQ(parseError(". NS a.example.\na.example. AAAA 192.0.2.1\n"),
            "hints:2:17: expected an IPv6 address, got \"192.0.2.1\"");
  EXPECT_EQ(parseError(". NS a.example.\na.example. A\n"),
            "hints:2:13: expected A RDATA, got end of line");
  EXPECT_EQ(parseError(". NS a.example.\na.example. A 192.0.2.1 192.0.2.2\n"),
            "hints:2:24: unexpected \"192.0.2.2\" after the A RDATA");
}

TEST(RootHintsTest, RejectsOtherMistakes) {
  EXPECT_EQ(parseError(". CH NS a.example.\n"),
            "hints:1:3: only class IN is supported, got \"CH\"");
  EXPECT_EQ(parseError(". 99999999999 NS a.example.\n"),
            "hints:1:3: expected a TTL (0..2147483647 seconds), got \"99999999999\"");
  EXPECT_EQ(parseError("$TTL 3600\n"),
            "hints:1:1: directive \"$TTL\" is not supported in root hints");
  EXPECT_EQ(parseError(" NS a.example.\n"), "hints:1:1: no previous owner name for a blank owner");
  EXPECT_EQ(parseError("a..b. A 192.0.2.1\n"),
            "hints:1:1: expected an owner name, got \"a..b.\": empty label");
}

TEST(RootHintsTest, RejectsFilesWithoutUsableServers) {
  EXPECT_EQ(parseError(""), "hints:1:1: no NS records in root hints");
  EXPECT_EQ(parseError("; only a comment\n"), "hints:2:1: no NS records in root hints");
  EXPECT_EQ(parseError(". NS a.example.\n. NS b.example."),
            "hints:2:16: no A or AAAA record for any root NS name");
}

TEST(RootHintsTest, LoadsAFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/root_hints_test." + std::to_string(::getpid()) + ".hints";
  {
    std::ofstream out(path);
    out << ". 3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A 198.41.0.4\n";
  }
  auto ok = loadRootHints(path);
  std::remove(path.c_str());
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->ns.size(), 1u);
  EXPECT_EQ(ok->addresses.size(), 1u);

  auto missing = loadRootHints(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), StartsWith(path + ": cannot open"));
  auto directory = loadRootHints(dir);
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error(), HasSubstr("directory"));
}

}  // namespace
}  // namespace vpcdns::resolver
