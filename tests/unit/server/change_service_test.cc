// ChangeService (server/changes.h): zones by key, persistence (a file zone's file, an inline
// zone's journal replayed by the next snapshot build), PENDING/INSYNC, the history, errors.
#include "server/changes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config.h"
#include "dns/rdata.h"
#include "dns/types.h"
#include "server/pipeline.h"
#include "server/zone_journal.h"

namespace vpcdns::server {
namespace {

namespace rrtype = dns::rrtype;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vpcdns-changes-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A config file in `dir` with a file zone, an inline zone, and a split-horizon pair.
std::shared_ptr<const config::Config> loadConfig(const TempDir& dir, bool with_state = true) {
  std::ofstream(dir.path() + "/corp.zone")
      << "$TTL 300\n@ SOA ns1 hostmaster 7 7200 3600 1209600 60\n@ NS ns1\nns1 A 10.0.0.2\n";
  const std::string yaml = std::string(with_state ? "state_dir: state\n" : "") + R"(vpcs:
  - {id: vpc-a, cidrs: [10.0.0.0/16]}
  - {id: vpc-b, cidrs: [10.1.0.0/16]}
zones:
  - {name: corp.internal, vpcs: [vpc-a], file: corp.zone}
  - name: db.internal
    vpcs: [vpc-a]
    records:
      - {name: primary, type: A, ttl: 60, values: [10.1.0.5]}
  - {name: split.internal, vpcs: [vpc-a], records: [{name: x, type: A, values: [10.0.0.9]}]}
  - {name: split.internal, vpcs: [vpc-b], records: [{name: x, type: A, values: [10.1.0.9]}]}
)";
  std::ofstream(dir.path() + "/vpcdns.yaml") << yaml;
  auto loaded = config::loadFile(dir.path() + "/vpcdns.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded ? "" : loaded.error().front().toString());
  return std::make_shared<const config::Config>(std::move(loaded).value());
}

std::shared_ptr<const Snapshot> build(std::shared_ptr<const config::Config> c) {
  auto s = buildSnapshot(std::move(c));
  EXPECT_TRUE(s.ok()) << (s ? "" : s.error().front());
  return *s;
}

const char* kCreate = R"({"ChangeBatch":{"Comment":"web","Changes":[{"Action":"CREATE",
  "ResourceRecordSet":{"Name":"web.%s","Type":"A","TTL":60,"ResourceRecords":[{"Value":"10.0.5.5"}]}}]}})";

std::string createIn(const std::string& zone) {
  char buf[512];
  std::snprintf(buf, sizeof buf, kCreate, zone.c_str());
  return buf;
}

struct Fixture {
  explicit Fixture(std::shared_ptr<const Snapshot> s)
      : holder(std::move(s)), service(holder, updater, [this] { return served.load(); }) {}
  SnapshotHolder holder;
  Updater updater{holder};
  std::atomic<uint64_t> served{0};
  ChangeService service;

  const private_zones::Zone& zone(size_t i) { return *holder.current()->zones[i]; }
};

TEST(ChangeService, FileZoneChangeIsWrittenBackAndTracked) {
  TempDir dir;
  Fixture f(build(loadConfig(dir)));
  auto r = f.service.submit("corp.internal.", createIn("corp.internal"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json info = json::parse(r.body)["ChangeInfo"];
  const std::string id = info["Id"];
  EXPECT_TRUE(id.starts_with("/change/C"));
  EXPECT_EQ(id.size(), 8u + 14u);
  EXPECT_EQ(info["Comment"], "web");
  EXPECT_EQ(info["Status"], "PENDING");  // no worker serves it yet
  EXPECT_NE(f.zone(0).findRRset(dns::Name::fromText("web.corp.internal").value(), rrtype::kA),
            nullptr);
  EXPECT_EQ(std::get<dns::RdataSoa>(f.zone(0).soa().rdata).serial, 8u);
  EXPECT_NE(readFile(dir.path() + "/corp.zone").find("web.corp.internal."), std::string::npos);

  f.served = f.holder.generation();
  auto g = f.service.get(id);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(json::parse(g.body)["ChangeInfo"]["Status"], "INSYNC");
  EXPECT_EQ(json::parse(f.service.get(id.substr(8)).body)["ChangeInfo"]["Status"], "INSYNC");
  auto missing = f.service.get("CNOSUCHCHANGE1");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["Error"]["Code"], "NoSuchChange");
}

TEST(ChangeService, InlineZoneChangesAreJournaledAndReplayedByTheNextLoad) {
  TempDir dir;
  auto config = loadConfig(dir);
  Fixture f(build(config));
  ASSERT_EQ(f.service.submit("db.internal", createIn("db.internal")).status, 200);
  const std::string del = R"({"Changes":[{"Action":"DELETE","ResourceRecordSet":{
    "Name":"primary.db.internal.","Type":"A","TTL":60,"ResourceRecords":[{"Value":"10.1.0.5"}]}}]})";
  ASSERT_EQ(f.service.submit("db.internal", del).status, 200);
  const std::string journal = journalPath(*config, zoneKeys(*config)[1]);
  EXPECT_EQ(journal, dir.path() + "/state/db.internal.changes.jsonl");
  std::ifstream in(journal);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 2);

  // A restart (or a reload) builds the zone from the YAML and the journal: the same data.
  auto again = build(loadConfig(dir));
  const auto& z = *again->zones[1];
  EXPECT_NE(z.findRRset(dns::Name::fromText("web.db.internal").value(), rrtype::kA), nullptr);
  EXPECT_EQ(z.findRRset(dns::Name::fromText("primary.db.internal").value(), rrtype::kA), nullptr);
  EXPECT_EQ(std::get<dns::RdataSoa>(z.soa().rdata).serial,
            std::get<dns::RdataSoa>(f.zone(1).soa().rdata).serial);
}

TEST(ChangeService, ReplaySkipsTornLinesAndBatchesThatNoLongerApply) {
  TempDir dir;
  auto config = loadConfig(dir);
  std::filesystem::create_directories(dir.path() + "/state");
  const auto rr = [](const std::string& action, const std::string& name, const std::string& v) {
    return R"({"Id":"C1","ChangeBatch":{"Changes":[{"Action":")" + action +
           R"(","ResourceRecordSet":{"Name":")" + name +
           R"(","Type":"A","TTL":60,"ResourceRecords":[{"Value":")" + v + R"("}]}}]}})";
  };
  std::ofstream(journalPath(*config, "db.internal"))
      << rr("CREATE", "primary.db.internal", "10.1.0.99") << "\n"  // the YAML has it: skipped
      << rr("CREATE", "kept.db.internal", "10.1.0.7") << "\n"
      << R"({"Id":"C2","ChangeBatch":{"Chan)";  // torn by a crash mid-append
  auto s = build(config);
  const auto& z = *s->zones[1];
  EXPECT_NE(z.findRRset(dns::Name::fromText("kept.db.internal").value(), rrtype::kA), nullptr);
  const auto* primary = z.findRRset(dns::Name::fromText("primary.db.internal").value(), rrtype::kA);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(dns::rdataToText(rrtype::kA, primary->records[0].rdata), "10.1.0.5");
}

TEST(ChangeService, AnInvalidBatchChangesNothingAndSaysWhy) {
  TempDir dir;
  Fixture f(build(loadConfig(dir)));
  const std::string before = readFile(dir.path() + "/corp.zone");
  const uint64_t generation = f.holder.generation();
  const std::string bad = R"({"Changes":[
    {"Action":"CREATE","ResourceRecordSet":{"Name":"ok.corp.internal","Type":"A","TTL":60,"ResourceRecords":[{"Value":"10.0.0.1"}]}},
    {"Action":"CREATE","ResourceRecordSet":{"Name":"ns1.corp.internal","Type":"A","TTL":60,"ResourceRecords":[{"Value":"10.0.0.1"}]}}]})";
  auto r = f.service.submit("corp.internal", bad);
  EXPECT_EQ(r.status, 400);
  const json e = json::parse(r.body)["Error"];
  EXPECT_EQ(e["Code"], "InvalidChangeBatch");
  EXPECT_EQ(e["Message"],
            "[Tried to create resource record set [name='ns1.corp.internal.', type='A'] but it "
            "already exists]");
  EXPECT_EQ(f.holder.generation(), generation);
  EXPECT_EQ(readFile(dir.path() + "/corp.zone"), before);
  EXPECT_EQ(f.zone(0).findRRset(dns::Name::fromText("ok.corp.internal").value(), rrtype::kA),
            nullptr);
}

TEST(ChangeService, ZonesByKey) {
  TempDir dir;
  Fixture f(build(loadConfig(dir)));
  auto none = f.service.submit("nowhere.internal", createIn("nowhere.internal"));
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(json::parse(none.body)["Error"]["Code"], "NoSuchHostedZone");
  auto ambiguous = f.service.submit("split.internal", createIn("split.internal"));
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_NE(ambiguous.body.find("split.internal@vpc-a, split.internal@vpc-b"), std::string::npos);
  ASSERT_EQ(f.service.submit("split.internal@vpc-b", createIn("split.internal")).status, 200);
  EXPECT_NE(f.zone(3).findRRset(dns::Name::fromText("web.split.internal").value(), rrtype::kA),
            nullptr);
  EXPECT_EQ(f.zone(2).findRRset(dns::Name::fromText("web.split.internal").value(), rrtype::kA),
            nullptr);
}

TEST(ChangeService, InlineZoneWithoutStateDirIsRefused) {
  TempDir dir;
  Fixture f(build(loadConfig(dir, /*with_state=*/false)));
  auto r = f.service.submit("db.internal", createIn("db.internal"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["Error"]["Code"], "InvalidInput");
  EXPECT_NE(r.body.find("state_dir"), std::string::npos);
}

TEST(ChangeService, HistoryIsBounded) {
  TempDir dir;
  Fixture f(build(loadConfig(dir)));
  const std::string upsert = R"({"Changes":[{"Action":"UPSERT","ResourceRecordSet":{
    "Name":"same.corp.internal","Type":"A","TTL":60,"ResourceRecords":[{"Value":"10.0.0.1"}]}}]})";
  auto first = f.service.submit("corp.internal", upsert);  // changes the zone once
  ASSERT_EQ(first.status, 200);
  const std::string first_id = json::parse(first.body)["ChangeInfo"]["Id"];
  for (size_t i = 0; i < ChangeService::kHistory; ++i) {
    ASSERT_EQ(f.service.submit("corp.internal", upsert).status, 200);  // no-ops: fast
  }
  EXPECT_EQ(f.service.get(first_id).status, 404);
}

// What INSYNC rests on: a pipeline reports the generation it serves, which moves only when the
// pipeline takes the new snapshot (at its next query, or when woken: refresh()).
TEST(ServedGeneration, MovesWhenThePipelineTakesTheSnapshot) {
  TempDir dir;
  auto config = loadConfig(dir);
  SnapshotHolder holder(build(config));
  Pipeline pipeline(holder);
  const uint64_t first = holder.generation();
  EXPECT_EQ(pipeline.servedGeneration(), first);
  int woken = 0;
  holder.setOnPublish([&] { ++woken; });
  const uint64_t next = holder.publish(build(config));
  EXPECT_EQ(next, first + 1);
  EXPECT_EQ(holder.generation(), next);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(pipeline.servedGeneration(), first);  // not taken yet
  pipeline.refresh();
  EXPECT_EQ(pipeline.servedGeneration(), next);
  EXPECT_EQ(pipeline.snapshot(), holder.current());
  holder.setOnPublish(nullptr);
  holder.publish(build(config));
  EXPECT_EQ(woken, 1);
}

}  // namespace
}  // namespace vpcdns::server
