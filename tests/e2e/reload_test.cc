// Live reload end to end (issue 6): the real daemon under a dnsperf load, reloaded with SIGHUP and
// with the admin API's POST /v1/reload.
//
// The daemon answers three kinds of names: a private zone (corp.internal), names forwarded by a
// FORWARD rule to a fake on-premises server (hN.onprem.example), and names resolved from a fake
// root (wN.pub.test). The forwarded and recursive names are put in the cache first; from then on
// every query for them must be a cache hit, before, during and right after reloads: the fakes'
// query counts must not move, and the daemon's counters (SIGUSR1 "stats:" line) must count one
// cache hit per query. dnsperf must lose no query and see only NOERROR.
//
// Then: a broken config (a YAML syntax error, an unknown VPC id) is refused with its
// file:line:column, over SIGHUP and over the API, and the running config keeps answering; a good
// reload that adds a zone and a rule is served by the very next query.
//
// No wall-clock assertion: every wait is a bounded poll for a log line or an answer.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dns/message.h"
#include "dns/types.h"
#include "tests/e2e/daemon_process.h"
#include "tests/e2e/fake_auth.h"

namespace vpcdns::test {
namespace {

using json = nlohmann::json;

constexpr uint16_t kPort = 5353;
constexpr uint16_t kAdminPort = 5380;
constexpr int kCachedNames = 20;  // of each kind: forwarded and recursive

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The value of "key=N" in the last "stats:" line of the log.
using Stats = std::map<std::string, uint64_t>;
Stats parseStats(const std::string& log) {
  Stats out;
  const size_t at = log.rfind("stats: ");
  if (at == std::string::npos) return out;
  std::istringstream line(log.substr(at + 7, log.find('\n', at) - at - 7));
  std::string field;
  while (line >> field) {
    const size_t eq = field.find('=');
    if (eq != std::string::npos) out[field.substr(0, eq)] = std::stoull(field.substr(eq + 1));
  }
  return out;
}

// dnsperf's summary: completed and lost counts and the response-codes line.
struct PerfSummary {
  int exit_code = -1;
  uint64_t completed = 0;
  std::string lost_line;
  std::string rcodes_line;
  std::string output;
};

std::string lineWith(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

PerfSummary runPerf(const std::string& addr, const std::string& queries, int seconds) {
  // Bounded: -l seconds of load at -Q queries/s at most, -t 2 s per query; the whole command
  // is killed after 60 s.
  const RunResult r =
      runCommand({"dnsperf", "-s", addr, "-p", std::to_string(kPort), "-d", queries, "-l",
                  std::to_string(seconds), "-Q", "1500", "-q", "50", "-t", "2"},
                 std::chrono::seconds(60));
  PerfSummary s;
  s.exit_code = r.exit_code;
  s.output = r.out + r.err;
  const std::string completed = lineWith(r.out, "Queries completed:");
  if (!completed.empty()) s.completed = std::stoull(completed.substr(18));
  s.lost_line = lineWith(r.out, "Queries lost:");
  s.rcodes_line = lineWith(r.out, "Response codes:");
  return s;
}

// Every query answered, and every answer NOERROR.
void expectClean(const PerfSummary& p) {
  EXPECT_EQ(p.exit_code, 0) << p.output;
  EXPECT_GT(p.completed, 0u) << p.output;
  EXPECT_EQ(p.lost_line, "Queries lost:         0 (0.00%)") << p.output;
  EXPECT_EQ(p.rcodes_line,
            "Response codes:       NOERROR " + std::to_string(p.completed) + " (100.00%)")
      << p.output;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    addr_ = freshLoopbackAddress();
    onprem_ = std::make_unique<FakeAuthServer>();
    root_ = std::make_unique<FakeAuthServer>();
    ASSERT_TRUE(onprem_->ok()) << onprem_->error();
    ASSERT_TRUE(root_->ok()) << root_->error();
    onprem_->setLogQueries(true);
    FakeZoneSet onprem;
    onprem.zone("onprem.example.").add("onprem.example. 3600 NS ns.onprem.example.");
    onprem.zone("other.example.").add("other.example. 3600 NS ns.onprem.example.");
    for (int i = 0; i < kCachedNames; ++i) {
      onprem.add("h" + std::to_string(i) + ".onprem.example. 3600 A 10.66.0." +
                 std::to_string(i + 1));
    }
    onprem.add("new.other.example. 3600 A 10.66.1.1");
    onprem_->setHandler(onprem.handler());
    FakeZoneSet root;
    root.zone(".").add(". 3600000 NS ns.root.").add("ns.root. 3600000 A " + root_->address());
    for (int i = 0; i < kCachedNames; ++i) {
      root.add("w" + std::to_string(i) + ".pub.test. 3600 A 192.0.2." + std::to_string(i + 1));
    }
    root_->setHandler(root.handler());
    daemon_ = std::make_unique<DaemonProcess>(
        config(""), addr_, kPort,
        std::vector<std::pair<std::string, std::string>>{
            {"hints.root",
             ". 3600000 NS ns.root.\nns.root. 3600000 A " + root_->address() + "\n"}});
    ASSERT_TRUE(daemon_->alive()) << daemon_->stderrText();
  }

  void TearDown() override {
    if (HasFailure() && daemon_) {
      const std::string log = daemon_->stderrText();
      std::printf("---- daemon stderr (last 6 KiB) ----\n%s\n",
                  log.substr(log.size() > 6144 ? log.size() - 6144 : 0).c_str());
    }
  }

  // The config: one VPC of every loopback client, the private zone corp.internal, the FORWARD
  // rule for onprem.example, the admin API, and `extra` appended (more zones or rules).
  std::string config(const std::string& extra_zones, const std::string& extra_rules = "") const {
    return "server:\n"
           "  listen: [{address: \"" +
           addr_ + ":" + std::to_string(kPort) +
           "\"}]\n"
           "  workers: 2\n"
           "  allow: [127.0.0.0/8]\n"
           "admin:\n"
           "  listen: \"" +
           addr_ + ":" + std::to_string(kAdminPort) +
           "\"\n"
           "resolver:\n"
           "  root_hints: hints.root\n"
           "  dont_query: []\n"
           "  ipv6: false\n"
           "vpcs:\n"
           "  - {id: app, cidrs: [127.0.0.0/8]}\n"
           "zones:\n"
           "  - name: corp.internal\n"
           "    vpcs: [app]\n"
           "    records:\n"
           "      - {name: www, type: A, values: [10.1.0.1]}\n"
           "      - {name: db, type: A, values: [10.1.0.2]}\n" +
           extra_zones +
           "rules:\n"
           "  - {domain: onprem.example, targets: [\"" +
           onprem_->address() + "\"], vpcs: [app]}\n" + extra_rules;
  }

  std::optional<dns::Message> ask(const std::string& name, uint16_t type = dns::rrtype::kA) {
    dns::Message q;
    q.header.id = 0x5157;
    q.header.rd = true;
    q.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
    auto reply = udpExchange(addr_, kPort, q.encode(), "", std::chrono::milliseconds(3000));
    if (!reply) return std::nullopt;
    auto m = dns::Message::parse(*reply);
    if (!m) return std::nullopt;
    return *m;
  }

  // Waits until the log holds `n` finished reloads (accepted or refused): 600 polls, 25 ms.
  bool waitReloads(size_t n) const {
    for (int i = 0; i < 600; ++i) {
      const std::string log = daemon_->stderrText();
      if (countOf(log, "reload done in") + countOf(log, "reload rejected in") >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  size_t reloadsSoFar() const {
    const std::string log = daemon_->stderrText();
    return countOf(log, "reload done in") + countOf(log, "reload rejected in");
  }

  // SIGUSR1, then the counters of the new "stats:" line.
  Stats stats() const {
    const size_t before = countOf(daemon_->stderrText(), "stats: ");
    daemon_->signal(SIGUSR1);
    for (int i = 0; i < 400; ++i) {
      const std::string log = daemon_->stderrText();
      if (countOf(log, "stats: ") > before) return parseStats(log);
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "no stats line after SIGUSR1";
    return {};
  }

  httplib::Result postReload() const {
    httplib::Client http(addr_, kAdminPort);
    http.set_connection_timeout(2);
    http.set_read_timeout(60);
    return http.Post("/v1/reload", "{}", "application/json");
  }

  // A query file for dnsperf in the daemon's folder.
  std::string queryFile(const std::string& name, bool cached_only) const {
    const std::string path = daemon_->dir() + "/" + name;
    std::ofstream q(path);
    for (int i = 0; i < kCachedNames; ++i) {
      q << "h" << i << ".onprem.example A\n";
      q << "w" << i << ".pub.test A\n";
      if (!cached_only) q << (i % 2 ? "www" : "db") << ".corp.internal A\n";
    }
    return path;
  }

  std::string addr_;
  std::unique_ptr<FakeAuthServer> onprem_, root_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// The cache hit rate: cache hits over the questions that reached the cache (forwarded and
// recursive), between two stats lines.
struct CacheDelta {
  uint64_t questions = 0;
  uint64_t hits = 0;
};
CacheDelta cacheDelta(const Stats& a, const Stats& b) {
  auto d = [&](const char* k) { return b.at(k) - a.at(k); };
  return {d("queries") + d("forward_queries"), d("cache_hits") + d("forward_cache_hits")};
}

TEST_F(ReloadTest, UnderLoadNoQueryLostAndTheCacheStaysWarm) {
  // Warm the cache: every forwarded and recursive name once.
  for (int i = 0; i < kCachedNames; ++i) {
    for (const std::string& name :
         {"h" + std::to_string(i) + ".onprem.example.", "w" + std::to_string(i) + ".pub.test."}) {
      const auto m = ask(name);
      ASSERT_TRUE(m) << name;
      ASSERT_EQ(m->rcode(), dns::rcode::kNoError) << name;
      ASSERT_EQ(m->answer.size(), 1u) << name;
    }
  }
  const uint64_t onprem_warm = onprem_->queryCount();
  const uint64_t root_warm = root_->queryCount();
  EXPECT_EQ(onprem_warm, static_cast<uint64_t>(kCachedNames));

  // Before any reload: the hit rate of the cached names is 100%.
  const std::string cached = queryFile("cached.txt", true);
  const Stats s0 = stats();
  const PerfSummary before = runPerf(addr_, cached, 2);
  expectClean(before);
  const Stats s1 = stats();
  const CacheDelta d_before = cacheDelta(s0, s1);
  EXPECT_EQ(d_before.questions, before.completed);
  EXPECT_EQ(d_before.hits, d_before.questions);

  // Under load (private, forwarded and recursive names): four SIGHUPs and two API reloads, each
  // with one more zone, each waited for before the next.
  const std::string mixed = queryFile("mixed.txt", false);
  PerfSummary during;
  std::thread load([&] { during = runPerf(addr_, mixed, 5); });
  std::string zones;
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    zones += "  - {name: extra" + std::to_string(i) +
             ".internal, vpcs: [app], records: [{name: www, type: A, values: [10.2.0." +
             std::to_string(i + 1) + "]}]}\n";
    daemon_->writeFile("vpcdns.yaml", config(zones));
    const size_t done = reloadsSoFar();
    if (i % 3 == 2) {
      const auto r = postReload();
      ASSERT_TRUE(r) << "POST /v1/reload: no reply";
      EXPECT_EQ(r->status, 200) << r->body;
      const json body = json::parse(r->body, nullptr, false);
      EXPECT_EQ(body.value("ok", false), true) << r->body;
    } else {
      daemon_->signal(SIGHUP);
    }
    ASSERT_TRUE(waitReloads(done + 1)) << "reload " << i << " did not finish";
  }
  load.join();
  expectClean(during);
  const std::string log = daemon_->stderrText();
  EXPECT_EQ(countOf(log, "reload done in"), 6u);
  EXPECT_EQ(countOf(log, "reload rejected"), 0u);
  // Each reload's data is served: the last zone added answers.
  const auto extra = ask("www.extra5.internal.");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->rcode(), dns::rcode::kNoError);
  EXPECT_EQ(extra->answer.size(), 1u);

  // Right after a reload: the same 100% hit rate, and nothing went upstream since the warm-up.
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(waitReloads(7));
  const Stats s2 = stats();
  const PerfSummary after = runPerf(addr_, cached, 2);
  expectClean(after);
  const Stats s3 = stats();
  const CacheDelta d_after = cacheDelta(s2, s3);
  EXPECT_EQ(d_after.questions, after.completed);
  EXPECT_EQ(d_after.hits, d_after.questions);
  EXPECT_EQ(onprem_->queryCount(), onprem_warm);
  EXPECT_EQ(root_->queryCount(), root_warm);
}

TEST_F(ReloadTest, BrokenConfigIsRefusedAndTheOldOneKeepsServing) {
  // A good reload first: a zone and a rule added, served by the next query.
  const std::string zone =
      "  - {name: added.internal, vpcs: [app], records: [{name: www, type: A, values: "
      "[10.3.0.1]}]}\n";
  const std::string rule =
      "  - {domain: other.example, targets: [\"" + onprem_->address() + "\"]}\n";
  daemon_->writeFile("vpcdns.yaml", config(zone, rule));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(waitReloads(1));
  auto m = ask("www.added.internal.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rcode(), dns::rcode::kNoError);
  ASSERT_EQ(m->answer.size(), 1u);
  m = ask("new.other.example.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rcode(), dns::rcode::kNoError);
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_EQ(onprem_->countFor("new.other.example."), 1u);

  // A YAML syntax error (a rule's flow map left open at the end of the file), over SIGHUP.
  const std::string broken =
      config(zone, rule) + "  - {domain: broken.example, targets: [\"10.9.9.9\"\n";
  daemon_->writeFile("vpcdns.yaml", broken);
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(waitReloads(2));
  std::string log = daemon_->stderrText();
  EXPECT_EQ(countOf(log, "reload rejected"), 1u) << log;
  // The parser notices at the end of the file: the line after the last one, column 1.
  const std::string path = daemon_->dir() + "/vpcdns.yaml:";
  const auto lines = std::count(broken.begin(), broken.end(), '\n');
  EXPECT_NE(log.find("reload: " + path + std::to_string(lines + 1) + ":1: YAML syntax error: "),
            std::string::npos)
      << log;

  // A semantic error: a zone for an unknown VPC, over the API: refused with file:line:column.
  const std::string unknown_vpc =
      "  - {name: bad.internal, vpcs: [nope], records: [{name: www, type: A, values: "
      "[10.3.0.9]}]}\n";
  daemon_->writeFile("vpcdns.yaml", config(zone + unknown_vpc, rule));
  // The unknown id is on the line of the bad.internal entry: 1-based line of that entry.
  const std::string text = config(zone + unknown_vpc, rule);
  const size_t entry = text.find("bad.internal");
  const size_t line =
      1 + static_cast<size_t>(
              std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(entry), '\n'));
  const size_t column = 1 + text.find("nope") - text.rfind('\n', entry) - 1;
  const auto r = postReload();
  ASSERT_TRUE(r) << "POST /v1/reload: no reply";
  // A client error (the admin API's own choice of 4xx code), never a success or a crash.
  EXPECT_EQ(r->status, 400) << r->body;
  const json body = json::parse(r->body, nullptr, false);
  EXPECT_EQ(body.value("ok", true), false) << r->body;
  ASSERT_TRUE(body.contains("errors") && body["errors"].is_array() && !body["errors"].empty())
      << r->body;
  const std::string expected = path + std::to_string(line) + ":" + std::to_string(column) +
                               ": zones[2].vpcs[0]: unknown VPC 'nope'";
  EXPECT_EQ(body["errors"][0].get<std::string>().rfind(expected, 0), 0u) << r->body;
  ASSERT_TRUE(waitReloads(3));
  log = daemon_->stderrText();
  EXPECT_EQ(countOf(log, "reload rejected"), 2u) << log;
  EXPECT_NE(log.find(expected), std::string::npos) << log;

  // The running config (the good reload's) still answers, and the refused data does not.
  m = ask("www.added.internal.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rcode(), dns::rcode::kNoError);
  EXPECT_EQ(m->answer.size(), 1u);
  m = ask("www.corp.internal.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answer.size(), 1u);
  m = ask("www.bad.internal.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answer.size(), 0u);
  EXPECT_EQ(onprem_->countFor("broken.example."), 0u);
}

}  // namespace
}  // namespace vpcdns::test
