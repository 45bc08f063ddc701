// Dynamic updates end to end: BIND's nsupdate, signed with TSIG, against the real daemon.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dns/message.h"
#include "dns/rdata.h"
#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {
namespace {

constexpr uint16_t kPort = 5353;
const std::string kUpdater = "127.101.0.5", kOtherInVpc = "127.101.0.6", kReader = "127.101.0.7";
const std::string kSecret = "c2VjcmV0LWtleS1mb3ItdnBjZG5zLXRlc3RzLTAxMjM0NQ==";
const std::string kWrongSecret = "d3Jvbmcta2V5LWZvci12cGNkbnMtdGVzdHMtMDEyMzQ1Ng==";

const char* kZone = R"zone($ORIGIN corp.internal.
$TTL 300
@   IN SOA ns1 hostmaster 100 7200 900 1209600 60
    IN NS  ns1
ns1 IN A   10.0.0.2
db  IN A   10.0.3.7
)zone";

std::string config(const std::string& addr) {
  return "server:\n  listen: [{address: \"" + addr +
         ":5353\"}]\n  allow: [127.0.0.1/32]\n"
         "tsig_keys:\n  - {name: k1, algorithm: hmac-sha256, secret: \"" +
         kSecret +
         "\"}\n"
         "vpcs:\n  - {id: vpc-a, cidrs: [127.101.0.0/16]}\n"
         "zones:\n"
         "  - name: corp.internal\n"
         "    vpcs: [vpc-a]\n"
         "    file: corp.zone\n"
         "    update: {keys: [k1], allow: [" +
         kUpdater + "/32]}\n";
}

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(
        config(addr_), addr_, kPort,
        std::vector<std::pair<std::string, std::string>>{{"corp.zone", kZone}});
  }
  void TearDown() override {
    EXPECT_TRUE(daemon_->alive()) << "daemon died:\n" << daemon_->stderrText();
  }

  // Runs nsupdate with `commands` from `source`, signed with `secret`.
  RunResult nsupdate(const std::string& commands, const std::string& source,
                     const std::string& secret = kSecret) {
    const std::string script = daemon_->dir() + "/nsupdate.txt";
    std::ofstream(script) << "server " << addr_ << " " << kPort << "\nlocal " << source
                          << "\nzone corp.internal\n"
                          << commands << "send\n";
    return runCommand({"nsupdate", "-t", "3", "-y", "hmac-sha256:k1:" + secret, script});
  }

  dns::Message ask(const std::string& name, uint16_t type) {
    dns::Message q;
    q.header.id = 77;
    q.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
    auto raw = udpExchange(addr_, kPort, q.encode(), kReader);
    EXPECT_TRUE(raw);
    if (!raw) return {};
    auto m = dns::Message::parse(*raw);
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : dns::Message{};
  }

  uint32_t serial() {
    auto m = ask("corp.internal.", dns::rrtype::kSOA);
    if (m.answer.empty()) return 0;
    return std::get<dns::RdataSoa>(m.answer[0].rdata).serial;
  }

  std::string zoneFile() {
    std::ifstream in(daemon_->dir() + "/corp.zone");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string addr_ = freshLoopbackAddress();
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(UpdateTest, SignedAddAndDeleteAreServedAndWrittenBack) {
  ASSERT_EQ(serial(), 100u);
  auto r = nsupdate("update add new.corp.internal 60 A 10.0.7.7\n", kUpdater);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << daemon_->stderrText();
  auto m = ask("new.corp.internal.", dns::rrtype::kA);
  ASSERT_EQ(m.answer.size(), 1u) << daemon_->stderrText();
  EXPECT_EQ(dns::rdataToText(m.answer[0].type, m.answer[0].rdata), "10.0.7.7");
  EXPECT_EQ(serial(), 101u);
  EXPECT_NE(zoneFile().find("new.corp.internal."), std::string::npos) << zoneFile();

  r = nsupdate("update delete db.corp.internal A\n", kUpdater);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ask("db.corp.internal.", dns::rrtype::kA).rcode(), dns::rcode::kNXDomain);
  EXPECT_EQ(serial(), 102u);
  EXPECT_EQ(zoneFile().find("db.corp.internal."), std::string::npos) << zoneFile();

  // What was written back is a valid zone that a restart would load.
  const auto check =
      runCommand({daemonBinary(), "--check-config", daemon_->dir() + "/vpcdns.yaml"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(UpdateTest, WrongKeyIsRefusedAndChangesNothing) {
  const std::string before = zoneFile();
  auto r = nsupdate("update add evil.corp.internal 60 A 10.6.6.6\n", kUpdater, kWrongSecret);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(ask("evil.corp.internal.", dns::rrtype::kA).answer.empty());
  EXPECT_EQ(serial(), 100u);
  EXPECT_EQ(zoneFile(), before);
}

TEST_F(UpdateTest, ClientOutsideTheAllowedListIsRefused) {
  auto r = nsupdate("update add evil.corp.internal 60 A 10.6.6.6\n", kOtherInVpc);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE((r.out + r.err).find("REFUSED"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(ask("evil.corp.internal.", dns::rrtype::kA).answer.empty());
  EXPECT_EQ(serial(), 100u);
}

TEST_F(UpdateTest, FailedPrerequisiteChangesNothing) {
  auto r = nsupdate("prereq nxdomain db.corp.internal\nupdate add x.corp.internal 60 A 10.0.8.8\n",
                    kUpdater);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE((r.out + r.err).find("YXDOMAIN"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(ask("x.corp.internal.", dns::rrtype::kA).answer.empty());
  EXPECT_EQ(serial(), 100u);
  // A prerequisite that holds lets the update through.
  r = nsupdate("prereq yxdomain db.corp.internal\nupdate add x.corp.internal 60 A 10.0.8.8\n",
               kUpdater);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ask("x.corp.internal.", dns::rrtype::kA).answer.size(), 1u);
}

}  // namespace
}  // namespace vpcdns::test
