// End-to-end tests of private zones per VPC: the real daemon on loopback, with each client
// source address standing for a VPC (127.101/16 = vpc-a, 127.102/16 = vpc-b, 127.103/16 =
// vpc-c), queried by raw sockets and by dig -b.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "dns/message.h"
#include "dns/rdata.h"
#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {
namespace {

constexpr uint16_t kPort = 5353;
const std::string kVpcA = "127.101.0.5", kVpcB = "127.102.0.5", kVpcC = "127.103.0.5";
const std::string kNoVpcAllowed = "127.0.0.1", kNoVpcRefused = "127.250.0.1";

const char* kCorpZone = R"zone($ORIGIN corp.internal.
$TTL 300
@        IN SOA ns1 hostmaster ( 2026120301 ; serial
                 7200 900 1209600 60 )   ; refresh retry expire minimum
         IN NS  ns1
ns1      IN A   10.0.0.2
db    60 IN A   10.0.3.7
www      IN CNAME web
web      IN CNAME app
app      IN A   10.0.1.10
         IN A   10.0.1.11
*.apps   IN A   10.0.9.9
a.b.deep IN A   10.0.0.9
out      IN CNAME www.example.com.
quoted   IN TXT "say \"hi\"; not a comment" plain
opaque   IN TYPE65280 \# 3 abcdef
$INCLUDE big.inc
)zone";

std::string bigInclude() {
  std::string s = "$ORIGIN big.corp.internal.\n";
  for (int i = 0; i < 30; ++i) {
    s += "@ IN TXT \"record " + std::to_string(i) + " " + std::string(80, 'x') + "\"\n";
  }
  return s;
}

std::string config(const std::string& addr, const std::string& bound_addr) {
  return "server:\n"
         "  listen:\n"
         "    - address: " +
         addr +
         ":5353\n"
         "    - address: " +
         bound_addr +
         ":5353\n"
         "      vpc: vpc-b\n"
         "  workers: 2\n"
         "  allow: [127.0.0.1/32]\n"
         "vpcs:\n"
         "  - id: vpc-a\n"
         "    cidrs: [127.101.0.0/16, 10.0.0.0/16]\n"
         "    hostnames: a.internal\n"
         "  - id: vpc-b\n"
         "    cidrs: [127.102.0.0/16, 10.1.0.0/16]\n"
         "  - id: vpc-c\n"
         "    cidrs: [127.103.0.0/16]\n"
         "zones:\n"
         "  - name: corp.internal\n"
         "    vpcs: [vpc-a]\n"
         "    file: corp.zone\n"
         "    ptr: true\n"
         "  - name: corp.internal\n"
         "    vpcs: [vpc-b]\n"
         "    records:\n"
         "      - {name: db, type: A, ttl: 30, values: [10.1.3.7]}\n"
         "  - name: example.internal\n"
         "    vpcs: [vpc-a]\n"
         "    records:\n"
         "      - {name: x.a, type: A, values: [192.0.2.1]}\n"
         "      - {name: top, type: A, values: [192.0.2.2]}\n"
         "  - name: a.example.internal\n"
         "    vpcs: [vpc-a]\n"
         "    records:\n"
         "      - {name: \"@\", type: TXT, values: ['\"inner zone\"']}\n";
}

std::vector<uint8_t> query(const std::string& name, uint16_t type, bool edns = true) {
  dns::Message m;
  m.header.id = 0x5151;
  m.header.rd = true;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  if (edns) m.edns = dns::Edns{};
  return m.encode();
}

std::string rdataText(const dns::Record& r) {
  return dns::rdataToText(r.type, r.rdata);
}

class ZonesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ =
        std::make_unique<DaemonProcess>(config(addr_, bound_), addr_, kPort,
                                        std::vector<std::pair<std::string, std::string>>{
                                            {"corp.zone", kCorpZone}, {"big.inc", bigInclude()}});
  }
  void TearDown() override {
    EXPECT_TRUE(daemon_->alive()) << "daemon died:\n" << daemon_->stderrText();
  }
  dns::Message ask(const std::string& source, const std::string& name, uint16_t type,
                   bool edns = true) {
    auto raw = udpExchange(addr_, kPort, query(name, type, edns), source);
    EXPECT_TRUE(raw) << "no reply for " << name << " from " << source;
    if (!raw) return {};
    last_size_ = raw->size();
    auto m = dns::Message::parse(*raw);
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : dns::Message{};
  }

  std::string addr_ = freshLoopbackAddress();
  std::string bound_ = freshLoopbackAddress();
  std::unique_ptr<DaemonProcess> daemon_;
  size_t last_size_ = 0;
};

TEST_F(ZonesTest, AssociatedVpcGetsAuthoritativeAnswer) {
  const auto m = ask(kVpcA, "DB.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(m.rcode(), dns::rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(rdataText(m.answer[0]), "10.0.3.7");
  EXPECT_EQ(m.answer[0].ttl, 60u);
  EXPECT_TRUE(m.questions[0].name.identical(*dns::Name::fromText("DB.corp.internal.")));
}

TEST_F(ZonesTest, SameZoneNameGivesEachVpcItsOwnRecords) {
  const auto b = ask(kVpcB, "db.corp.internal.", dns::rrtype::kA);
  ASSERT_EQ(b.answer.size(), 1u);
  EXPECT_EQ(rdataText(b.answer[0]), "10.1.3.7");
  EXPECT_TRUE(b.header.aa);
  // vpc-b's zone has no app record: NXDOMAIN from its own zone, never vpc-a's data.
  const auto nx = ask(kVpcB, "app.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(nx.rcode(), dns::rcode::kNXDomain);
  EXPECT_TRUE(nx.answer.empty());
}

TEST_F(ZonesTest, OtherVpcsAndOutsidersDoNotSeeTheZone) {
  for (const auto& source : {kVpcC, kNoVpcAllowed}) {
    const auto m = ask(source, "db.corp.internal.", dns::rrtype::kA);
    EXPECT_FALSE(m.header.aa) << source;
    EXPECT_TRUE(m.answer.empty()) << source;
    // The rest of the pipeline answers; without the resolver that is SERVFAIL.
    EXPECT_EQ(m.rcode(), dns::rcode::kServFail) << source;
  }
  EXPECT_EQ(ask(kNoVpcRefused, "db.corp.internal.", dns::rrtype::kA).rcode(), dns::rcode::kRefused);
}

TEST_F(ZonesTest, ListenerBoundToAVpcServesThatVpc) {
  auto raw = udpExchange(bound_, kPort, query("db.corp.internal.", dns::rrtype::kA), kVpcA);
  ASSERT_TRUE(raw);
  auto m = dns::Message::parse(*raw);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_EQ(rdataText(m->answer[0]), "10.1.3.7") << "the listener's VPC wins over the source's";
}

TEST_F(ZonesTest, MostSpecificZoneWinsWithNoFallbackToTheParent) {
  const auto inner = ask(kVpcA, "x.a.example.internal.", dns::rrtype::kA);
  EXPECT_EQ(inner.rcode(), dns::rcode::kNXDomain);
  ASSERT_EQ(inner.authority.size(), 1u);
  EXPECT_EQ(inner.authority[0].type, dns::rrtype::kSOA);
  EXPECT_EQ(inner.authority[0].name.toText(), "a.example.internal.");
  const auto apex = ask(kVpcA, "a.example.internal.", dns::rrtype::kTXT);
  ASSERT_EQ(apex.answer.size(), 1u);
  const auto parent = ask(kVpcA, "top.example.internal.", dns::rrtype::kA);
  ASSERT_EQ(parent.answer.size(), 1u);
  EXPECT_EQ(rdataText(parent.answer[0]), "192.0.2.2");
}

TEST_F(ZonesTest, NegativeAnswersCarryTheSoa) {
  const auto nx = ask(kVpcA, "nope.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(nx.rcode(), dns::rcode::kNXDomain);
  EXPECT_TRUE(nx.header.aa);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].type, dns::rrtype::kSOA);
  EXPECT_EQ(nx.authority[0].ttl, 60u) << "RFC 2308: min(SOA TTL, MINIMUM)";
  const auto nodata = ask(kVpcA, "db.corp.internal.", dns::rrtype::kAAAA);
  EXPECT_EQ(nodata.rcode(), dns::rcode::kNoError);
  EXPECT_TRUE(nodata.answer.empty());
  ASSERT_EQ(nodata.authority.size(), 1u);
  EXPECT_EQ(nodata.authority[0].type, dns::rrtype::kSOA);
  const auto ent = ask(kVpcA, "deep.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(ent.rcode(), dns::rcode::kNoError) << "an empty non-terminal exists: NODATA";
  EXPECT_TRUE(ent.answer.empty());
}

TEST_F(ZonesTest, WildcardAnswersWithTheQueryName) {
  const auto m = ask(kVpcA, "build7.apps.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(m.rcode(), dns::rcode::kNoError);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].name.toText(), "build7.apps.corp.internal.");
  EXPECT_EQ(rdataText(m.answer[0]), "10.0.9.9");
}

TEST_F(ZonesTest, CnameChainInsideTheZoneIsComplete) {
  const auto m = ask(kVpcA, "www.corp.internal.", dns::rrtype::kA);
  EXPECT_EQ(m.rcode(), dns::rcode::kNoError);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 4u);
  EXPECT_EQ(m.answer[0].type, dns::rrtype::kCNAME);
  EXPECT_EQ(m.answer[0].name.toText(), "www.corp.internal.");
  EXPECT_EQ(m.answer[1].type, dns::rrtype::kCNAME);
  EXPECT_EQ(m.answer[1].name.toText(), "web.corp.internal.");
  EXPECT_EQ(m.answer[2].name.toText(), "app.corp.internal.");
  EXPECT_EQ(m.answer[3].name.toText(), "app.corp.internal.");
}

TEST_F(ZonesTest, CnameLeavingThePrivateZonesIsHandedOn) {
  const auto m = ask(kVpcA, "out.corp.internal.", dns::rrtype::kA);
  ASSERT_GE(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].type, dns::rrtype::kCNAME);
  EXPECT_EQ(rdataText(m.answer[0]), "www.example.com.");
}

TEST_F(ZonesTest, LargeAnswerIsTruncatedOverUdpAndWholeOverTcp) {
  const auto udp = ask(kVpcA, "big.corp.internal.", dns::rrtype::kTXT, /*edns=*/false);
  EXPECT_TRUE(udp.header.tc);
  EXPECT_LE(last_size_, 512u);
  EXPECT_TRUE(udp.answer.empty());
  const auto edns = ask(kVpcA, "big.corp.internal.", dns::rrtype::kTXT);
  EXPECT_TRUE(edns.header.tc);
  EXPECT_LE(last_size_, 1232u);
  // From vpc-a over TCP: dig's source is the listener-facing default, so bind it.
  auto r = runCommand({"dig", "-b", kVpcA, "@" + addr_, "-p", std::to_string(kPort),
                       "big.corp.internal", "TXT", "+tcp", "+tries=1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ANSWER: 30,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flags: qr aa rd ra;"), std::string::npos) << r.out;
}

TEST_F(ZonesTest, ReverseLookupsAreAnsweredLocally) {
  const auto ptr = ask(kVpcA, "7.3.0.10.in-addr.arpa.", dns::rrtype::kPTR);
  ASSERT_EQ(ptr.answer.size(), 1u);
  EXPECT_EQ(rdataText(ptr.answer[0]), "db.corp.internal.");
  // RFC 1918 but in no zone: NXDOMAIN from the built-in zone, never sent upstream.
  auto r = runCommand({"dig", "-b", kVpcA, "@" + addr_, "-p", std::to_string(kPort), "-x",
                       "192.168.7.7", "+tries=1"});
  EXPECT_NE(r.out.find("status: NXDOMAIN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flags: qr aa rd ra;"), std::string::npos) << r.out;
  // Also for a client in no VPC.
  const auto outsider = ask(kNoVpcAllowed, "1.1.16.172.in-addr.arpa.", dns::rrtype::kPTR);
  EXPECT_EQ(outsider.rcode(), dns::rcode::kNXDomain);
  EXPECT_TRUE(outsider.header.aa);
}

TEST_F(ZonesTest, InstanceHostnamesAreSynthesized) {
  const auto a = ask(kVpcA, "ip-10-0-1-23.a.internal.", dns::rrtype::kA);
  ASSERT_EQ(a.answer.size(), 1u);
  EXPECT_EQ(rdataText(a.answer[0]), "10.0.1.23");
  EXPECT_EQ(ask(kVpcA, "ip-10-9-1-23.a.internal.", dns::rrtype::kA).rcode(), dns::rcode::kNXDomain)
      << "outside the VPC's CIDRs";
  EXPECT_EQ(ask(kVpcA, "ip-010-0-1-23.a.internal.", dns::rrtype::kA).rcode(),
            dns::rcode::kNXDomain);
  const auto ptr = ask(kVpcA, "23.1.0.10.in-addr.arpa.", dns::rrtype::kPTR);
  ASSERT_EQ(ptr.answer.size(), 1u);
  EXPECT_EQ(rdataText(ptr.answer[0]), "ip-10-0-1-23.a.internal.");
  EXPECT_TRUE(ask(kVpcB, "ip-10-0-1-23.a.internal.", dns::rrtype::kA).answer.empty());
}

TEST_F(ZonesTest, QuotedStringsAndGenericRdataAreServed) {
  const auto txt = ask(kVpcA, "quoted.corp.internal.", dns::rrtype::kTXT);
  ASSERT_EQ(txt.answer.size(), 1u);
  EXPECT_EQ(rdataText(txt.answer[0]), "\"say \\\"hi\\\"; not a comment\" \"plain\"");
  const auto opaque = ask(kVpcA, "opaque.corp.internal.", 65280);
  ASSERT_EQ(opaque.answer.size(), 1u);
  EXPECT_EQ(rdataText(opaque.answer[0]), "\\# 3 abcdef");
}

TEST_F(ZonesTest, LocalhostIsLoopback) {
  const auto m = ask(kVpcC, "localhost.", dns::rrtype::kA);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(rdataText(m.answer[0]), "127.0.0.1");
}

TEST_F(ZonesTest, SighupReloadsZonesAndKeepsOldDataOnErrors) {
  ASSERT_TRUE(ask(kVpcA, "new.corp.internal.", dns::rrtype::kA).answer.empty());
  daemon_->writeFile("corp.zone", std::string(kCorpZone) + "new IN A 10.0.5.5\n");
  daemon_->signal(SIGHUP);
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = ask(kVpcA, "new.corp.internal.", dns::rrtype::kA).answer.size() == 1;
  }
  EXPECT_TRUE(seen) << daemon_->stderrText();

  daemon_->writeFile("corp.zone", std::string(kCorpZone) + "broken IN A 10.0.5.300\n");
  daemon_->signal(SIGHUP);
  bool logged = false;
  for (int i = 0; i < 50 && !logged; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    logged = daemon_->stderrText().find("reload rejected") != std::string::npos;
  }
  EXPECT_TRUE(logged) << daemon_->stderrText();
  EXPECT_NE(daemon_->stderrText().find("corp.zone:18:"), std::string::npos)
      << daemon_->stderrText();
  EXPECT_EQ(ask(kVpcA, "new.corp.internal.", dns::rrtype::kA).answer.size(), 1u)
      << "the old data keeps serving";
}

TEST(ZonesConfig, CheckConfigReportsZoneFileErrorsWithPosition) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream(dir + "/bad.zone") << "$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\nwww IN AAAA 10.0.0.1\n";
    std::ofstream(dir + "/bad-zone.yaml")
        << "vpcs: [{id: v, cidrs: [10.0.0.0/8]}]\nzones:\n  - {name: z.internal, vpcs: [v], "
           "file: bad.zone}\n";
  }
  const auto r = runCommand({daemonBinary(), "--check-config", dir + "/bad-zone.yaml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.zone:3:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vpcdns::test

namespace vpcdns::test {
namespace {

// SIGHUP while dnsperf sends a steady load from vpc-a: every query is answered, and the reloaded
// data serves afterwards.
TEST_F(ZonesTest, ReloadUnderLoadLosesNoQuery) {
  const std::string queries = daemon_->dir() + "/queries.txt";
  {
    std::ofstream q(queries);
    for (int i = 0; i < 200; ++i) {
      q << (i % 2 ? "db.corp.internal A\n" : "app.corp.internal A\n");
    }
  }
  RunResult perf;
  std::thread load([&] {
    perf = runCommand({"dnsperf", "-s", addr_, "-p", std::to_string(kPort), "-a", kVpcA, "-d",
                       queries, "-l", "4", "-Q", "3000", "-q", "50", "-t", "2"},
                      std::chrono::seconds(30));
  });
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    daemon_->writeFile("corp.zone",
                       std::string(kCorpZone) + "gen IN TXT \"" + std::to_string(i) + "\"\n");
    daemon_->signal(SIGHUP);
  }
  load.join();
  EXPECT_EQ(perf.exit_code, 0) << perf.err;
  EXPECT_NE(perf.out.find("Queries lost:         0 (0.00%)"), std::string::npos) << perf.out;
  EXPECT_NE(perf.out.find("NOERROR"), std::string::npos) << perf.out;
  EXPECT_EQ(perf.out.find("SERVFAIL"), std::string::npos) << perf.out;
  const auto m = ask(kVpcA, "gen.corp.internal.", dns::rrtype::kTXT);
  ASSERT_EQ(m.answer.size(), 1u) << daemon_->stderrText();
  EXPECT_EQ(rdataText(m.answer[0]), "\"7\"");
}

}  // namespace
}  // namespace vpcdns::test
