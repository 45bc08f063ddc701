// Route 53 change batches end to end: the real daemon, its admin HTTP API (cpp-httplib's
// client), dig from a client inside the VPC. The example batch (deploy/examples/
// change-rrset.json, the shape of the file Route 53's docs pass to `aws route53
// change-resource-record-sets --change-batch file://...`) is applied, seen by dig, reaches
// INSYNC without DNS traffic; an invalid batch changes nothing and says why; changes to a file
// zone and to an inline zone survive a restart.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {
namespace {

using nlohmann::json;

const std::string kAddr = "127.106.0.1", kClient = "127.106.0.7";
constexpr uint16_t kPort = 5353, kAdminPort = 18053;

const char* kZone = R"zone($ORIGIN corp.internal.
$TTL 300
@   IN SOA ns1 hostmaster 100 7200 900 1209600 60
    IN NS  ns1
ns1 IN A   10.0.0.2
db  IN A   10.0.3.7
)zone";

class ChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vpcdns-e2e-changes-XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/corp.zone") << kZone;
    start();
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_TRUE(daemon_->alive()) << "daemon died:\n" << daemon_->stderrText();
    }
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The zone file and the state directory live in dir_, outside the daemon's own folder, so a
  // second daemon (a restart) finds them.
  void start() {
    const std::string config = "server:\n  listen: [{address: \"" + kAddr + ":" +
                               std::to_string(kPort) +
                               "\"}]\n  workers: 2\n"
                               "admin:\n  listen: \"" +
                               kAddr + ":" + std::to_string(kAdminPort) +
                               "\"\n"
                               "state_dir: " +
                               dir_ +
                               "/state\n"
                               "vpcs:\n  - {id: vpc-app, cidrs: [127.106.0.0/16]}\n"
                               "zones:\n"
                               "  - {name: corp.internal, vpcs: [vpc-app], file: " +
                               dir_ +
                               "/corp.zone}\n"
                               "  - name: db.internal\n    vpcs: [vpc-app]\n    records:\n"
                               "      - {name: primary, type: A, ttl: 60, values: [10.1.0.5]}\n";
    daemon_ = std::make_unique<DaemonProcess>(config, kAddr, kPort);
  }

  httplib::Result post(const std::string& zone, const std::string& body) {
    httplib::Client http(kAddr, kAdminPort);
    http.set_connection_timeout(2);
    http.set_read_timeout(5);
    return http.Post("/v1/zones/" + zone + "/changes", body, "application/json");
  }

  json status(const std::string& id) {
    httplib::Client http(kAddr, kAdminPort);
    http.set_read_timeout(5);
    auto r = http.Get("/v1/changes/" + id);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // Polls GET /v1/changes/{id} until INSYNC: at most 200 times, 20 ms apart.
  bool waitInsync(const std::string& id) {
    for (int i = 0; i < 200; ++i) {
      if (status(id)["ChangeInfo"]["Status"] == "INSYNC") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string dig(const std::string& name, const std::string& type) {
    auto r = runCommand({"dig", "@" + kAddr, "-p", std::to_string(kPort), "-b", kClient, "+short",
                         "+time=2", "+tries=1", name, type});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  std::string dir_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ChangesTest, ExampleBatchIsServedAndReachesInsync) {
  const std::string example =
      readFile(std::string(VPCDNS_SOURCE_DIR) + "/deploy/examples/change-rrset.json");
  ASSERT_FALSE(example.empty());
  auto r = post("corp.internal", example);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body << daemon_->stderrText();
  const json info = json::parse(r->body)["ChangeInfo"];
  const std::string id = info["Id"];
  ASSERT_TRUE(id.starts_with("/change/C")) << r->body;
  EXPECT_TRUE(info["Status"] == "PENDING" || info["Status"] == "INSYNC");
  EXPECT_NE(info["SubmittedAt"].get<std::string>().find('T'), std::string::npos);
  // No DNS query has been sent since the change: the workers were woken by the publish.
  EXPECT_TRUE(waitInsync(id.substr(8))) << status(id.substr(8)).dump();
  EXPECT_EQ(status(id)["ChangeInfo"]["Status"], "INSYNC");  // "/change/C..." as Route 53 gives

  EXPECT_EQ(dig("web.corp.internal", "A"), "10.0.1.20\n10.0.1.21\n");
  EXPECT_EQ(dig("www.corp.internal", "A"), "web.corp.internal.\n10.0.1.20\n10.0.1.21\n");
  EXPECT_EQ(dig("corp.internal", "TXT"), "\"owner=platform-team\"\n");
  EXPECT_EQ(dig("corp.internal", "SOA"),  // one batch, one serial step: 100 -> 101
            "ns1.corp.internal. hostmaster.corp.internal. 101 7200 900 1209600 60\n");
  EXPECT_NE(readFile(dir_ + "/corp.zone").find("web.corp.internal."), std::string::npos);

  // Unknown ids and zones, as Route 53 names them.
  httplib::Client http(kAddr, kAdminPort);
  auto missing = http.Get("/v1/changes/C0000000000000");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("NoSuchChange"), std::string::npos);
  auto nozone = post("nowhere.internal", example);
  ASSERT_TRUE(nozone);
  EXPECT_EQ(nozone->status, 404);
  EXPECT_NE(nozone->body.find("NoSuchHostedZone"), std::string::npos);
}

// The acceptance path: the example file applied with the CLI, dig, INSYNC, a refused batch.
TEST_F(ChangesTest, ThroughTheCli) {
  const std::string server = kAddr + ":" + std::to_string(kAdminPort);
  const std::string example = std::string(VPCDNS_SOURCE_DIR) + "/deploy/examples/change-rrset.json";
  auto applied =
      runCommand({daemonBinary(), "ctl", "--server", server, "change", "corp.internal", example});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  ASSERT_TRUE(applied.out.starts_with("/change/C")) << applied.out;
  const std::string id = applied.out.substr(0, applied.out.find(' '));
  auto insync =
      runCommand({daemonBinary(), "ctl", "--server", server, "change-status", id, "--wait", "5"});
  EXPECT_EQ(insync.exit_code, 0) << insync.err;
  EXPECT_EQ(insync.out, "INSYNC\n");
  EXPECT_EQ(dig("web.corp.internal", "A"), "10.0.1.20\n10.0.1.21\n");

  // The same file again: every CREATE now fails, nothing changes, the CLI says why.
  const std::string before = readFile(dir_ + "/corp.zone");
  auto again =
      runCommand({daemonBinary(), "ctl", "--server", server, "change", "corp.internal", example});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("Tried to create resource record set [name='web.corp.internal.', "
                           "type='A'] but it already exists"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(readFile(dir_ + "/corp.zone"), before);
  EXPECT_EQ(dig("corp.internal", "TXT"), "\"owner=platform-team\"\n");
}

TEST_F(ChangesTest, InvalidBatchChangesNothingAndSaysWhy) {
  const std::string before = readFile(dir_ + "/corp.zone");
  const std::string batch = R"({"ChangeBatch":{"Changes":[
    {"Action":"CREATE","ResourceRecordSet":{"Name":"new.corp.internal","Type":"A","TTL":60,
      "ResourceRecords":[{"Value":"10.0.9.9"}]}},
    {"Action":"DELETE","ResourceRecordSet":{"Name":"db.corp.internal","Type":"A","TTL":60,
      "ResourceRecords":[{"Value":"10.0.3.7"}]}}]}})";
  auto r = post("corp.internal", batch);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  const json e = json::parse(r->body)["Error"];
  EXPECT_EQ(e["Code"], "InvalidChangeBatch");
  EXPECT_EQ(e["Message"],
            "[Tried to delete resource record set [name='db.corp.internal.', type='A'] but the "
            "values provided do not match the current values]");
  EXPECT_EQ(dig("new.corp.internal", "A"), "");
  EXPECT_EQ(dig("db.corp.internal", "A"), "10.0.3.7\n");
  EXPECT_EQ(readFile(dir_ + "/corp.zone"), before);

  auto bad_json = post("corp.internal", "{\"ChangeBatch\":");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_NE(bad_json->body.find("InvalidInput"), std::string::npos);
}

TEST_F(ChangesTest, ChangesSurviveARestart) {
  const std::string file_change = R"({"Changes":[{"Action":"UPSERT","ResourceRecordSet":{
    "Name":"db.corp.internal","Type":"A","TTL":30,"ResourceRecords":[{"Value":"10.0.3.8"}]}}]})";
  const std::string inline_change = R"({"Changes":[
    {"Action":"CREATE","ResourceRecordSet":{"Name":"replica.db.internal","Type":"A","TTL":60,
      "ResourceRecords":[{"Value":"10.1.0.6"}]}},
    {"Action":"DELETE","ResourceRecordSet":{"Name":"primary.db.internal","Type":"A","TTL":60,
      "ResourceRecords":[{"Value":"10.1.0.5"}]}}]})";
  auto a = post("corp.internal", file_change);
  auto b = post("db.internal.", inline_change);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->status, 200) << a->body;
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(dig("replica.db.internal", "A"), "10.1.0.6\n");
  EXPECT_EQ(dig("primary.db.internal", "A"), "");

  ASSERT_EQ(daemon_->terminate(), 0) << daemon_->stderrText();
  daemon_.reset();
  start();
  EXPECT_EQ(dig("db.corp.internal", "A"), "10.0.3.8\n");
  EXPECT_EQ(dig("replica.db.internal", "A"), "10.1.0.6\n");
  EXPECT_EQ(dig("primary.db.internal", "A"), "");
  // A reload replays the journal too (the reload builds every zone anew from the YAML, the
  // zone file and the journal; the log line says it was applied).
  daemon_->signal(SIGHUP);
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    reloaded = daemon_->stderrText().find("reloaded ") != std::string::npos;
    if (!reloaded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(reloaded) << daemon_->stderrText();
  EXPECT_EQ(dig("replica.db.internal", "A"), "10.1.0.6\n");
  EXPECT_EQ(dig("primary.db.internal", "A"), "");
  EXPECT_EQ(dig("db.corp.internal", "A"), "10.0.3.8\n");
}

}  // namespace
}  // namespace vpcdns::test
