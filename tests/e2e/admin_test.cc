// The admin HTTP API and `vpcdns ctl`, end to end: the real daemon with an admin listener on
// its own loopback address, a scripted forwarding target that answers (FakeAuthServer) and one
// that stays silent, queried with dig. /metrics is scraped and parsed (a small Prometheus text
// parser below, which also checks the format), and counters are checked to move by exactly
// the queries sent. `vpcdns ctl` runs as a real process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/daemon_process.h"
#include "tests/e2e/fake_auth.h"

namespace vpcdns::test {
namespace {

using ::testing::HasSubstr;

constexpr uint16_t kDnsPort = 5353;
constexpr uint16_t kAdminPort = 8053;
const std::string kToken = "test-token-0123456789";

// ---- a Prometheus text format 0.0.4 parser ---------------------------------------------------

// Samples by `name{labels}` exactly as written (labels in the order the server writes them),
// plus what the parser found wrong with the text.
struct Scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram
  std::vector<std::string> problems;

  // Sum of every sample of `name` (any labels); nullopt when the metric is absent.
  std::optional<double> sum(const std::string& name) const {
    std::optional<double> total;
    for (const auto& [key, value] : samples) {
      if (key == name || key.rfind(name + "{", 0) == 0) total = total.value_or(0) + value;
    }
    return total;
  }
  double at(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? -1 : it->second;
  }
};

Scrape parsePrometheus(const std::string& text) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabels(
      R"(([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*)");
  Scrape s;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream f(line.substr(7));
      std::string family, type;
      f >> family >> type;
      if (type != "counter" && type != "gauge" && type != "histogram") {
        s.problems.push_back("bad type, " + where);
      }
      if (!s.types.emplace(family, type).second) s.problems.push_back("TYPE twice, " + where);
      continue;
    }
    if (line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) {
      s.problems.push_back("no value, " + where);
      continue;
    }
    const std::string name = line.substr(0, std::min(brace, space));
    if (!std::regex_match(name, kName)) s.problems.push_back("bad name, " + where);
    if (brace != std::string::npos && brace < space) {
      const size_t close = line.rfind('}', space);
      if (close == std::string::npos || close + 1 != space ||
          !std::regex_match(line.substr(brace + 1, close - brace - 1), kLabels)) {
        s.problems.push_back("bad labels, " + where);
      }
    }
    // A sample belongs to a declared family: its name, or name_bucket/_sum/_count of a histogram.
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (!s.types.count(family) && name.size() > sfx.size() &&
          name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0 &&
          s.types.count(name.substr(0, name.size() - sfx.size())) &&
          s.types[name.substr(0, name.size() - sfx.size())] == "histogram") {
        family = name.substr(0, name.size() - sfx.size());
      }
    }
    if (!s.types.count(family)) s.problems.push_back("sample before its TYPE, " + where);
    const std::string value = line.substr(space + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') {
      s.problems.push_back("bad value, " + where);
      continue;
    }
    if (!s.samples.emplace(line.substr(0, space), v).second) {
      s.problems.push_back("sample twice, " + where);
    }
  }
  return s;
}

TEST(PrometheusParser, AcceptsTheFormatAndFlagsMistakes) {
  Scrape ok = parsePrometheus(
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n"
      "a_total{x=\"2\"} 4\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n");
  EXPECT_TRUE(ok.problems.empty()) << ok.problems[0];
  EXPECT_EQ(ok.sum("a_total"), 7);
  EXPECT_EQ(ok.at("h_sum"), 0.5);
  EXPECT_FALSE(parsePrometheus("b 1\n").problems.empty());                       // no TYPE
  EXPECT_FALSE(parsePrometheus("# TYPE b gauge\nb{x=1} 1\n").problems.empty());  // unquoted
  EXPECT_FALSE(parsePrometheus("# TYPE b gauge\nb one\n").problems.empty());     // value
  EXPECT_FALSE(parsePrometheus("# TYPE b gauge\nb 1\nb 2\n").problems.empty());  // twice
}

// ---- helpers ---------------------------------------------------------------------------------

// Answers every A question with 10.9.8.7 (TTL 300, AA); anything else (the `. NS` health probe)
// with REFUSED, which still counts as a reply.
FakeHandler answerA() {
  return [](const dns::Message& q, bool tcp, const SocketAddress&) {
    if (q.questions[0].type != dns::rrtype::kA) {
      return FakeActions::reply(encodeFor(rcodeReply(q, dns::rcode::kRefused), q, tcp));
    }
    dns::Record r = rr("answer.invalid. 300 A 10.9.8.7");
    r.name = q.questions[0].name;
    return FakeActions::reply(encodeFor(answerReply(q, {r}), q, tcp));
  };
}

std::string configYaml(const std::string& addr, const std::string& answering,
                       const std::string& silent, bool token) {
  return "server:\n"
         "  listen: [{address: \"" +
         addr + ":" + std::to_string(kDnsPort) +
         "\"}]\n"
         "  workers: 2\n"
         "  allow: [127.0.0.0/8]\n"
         "forwarding:\n"
         "  timeout_ms: 200\n"
         "  failure_threshold: 1\n"
         "  probe_interval_ms: 60000\n"
         "rules:\n"
         "  - domain: fwd.example\n"
         "    targets: [\"" +
         answering +
         "\"]\n"
         "  - domain: dead.example\n"
         "    targets: [\"" +
         silent +
         "\"]\n"
         "admin:\n"
         "  listen: " +
         addr + ":" + std::to_string(kAdminPort) + "\n" +
         (token ? "  token: " + kToken + "\n" : "");
}

class AdminTest : public ::testing::Test {
 protected:
  // `token_file`: the token comes from a file next to the config instead of the config itself.
  void start(bool token, bool token_file = false) {
    answering_ = std::make_unique<FakeAuthServer>(answerA());
    silent_ = std::make_unique<FakeAuthServer>();
    ASSERT_TRUE(answering_->ok()) << answering_->error();
    ASSERT_TRUE(silent_->ok()) << silent_->error();
    addr_ = freshLoopbackAddress();
    config_ = configYaml(addr_, answering_->address(), silent_->address(), token && !token_file);
    std::vector<std::pair<std::string, std::string>> files;
    if (token && token_file) {
      config_ += "  token_file: admin.token\n";
      files.emplace_back("admin.token", kToken + "\n");
    }
    daemon_ = std::make_unique<DaemonProcess>(config_, addr_, kDnsPort, files);
    client_ = std::make_unique<httplib::Client>(addr_, kAdminPort);
    client_->set_connection_timeout(5, 0);
    client_->set_read_timeout(10, 0);
    if (token) client_->set_bearer_token_auth(kToken.c_str());
  }

  void TearDown() override {
    if (HasFailure() && daemon_) {
      std::printf("---- daemon stderr ----\n%s\n---- config ----\n%s\n",
                  daemon_->stderrText().c_str(), config_.c_str());
    }
  }

  Scrape scrape() {
    auto res = client_->Get("/metrics");
    EXPECT_TRUE(res) << "no reply from /metrics";
    if (!res) return {};
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
    Scrape s = parsePrometheus(res->body);
    EXPECT_TRUE(s.problems.empty()) << s.problems.front();
    return s;
  }

  // Scrapes until `done` holds (at most 50 times, 20 ms apart) and returns the last scrape. A
  // reply that went upstream is counted just after it is sent, so a client can see the reply
  // a moment before the counters do.
  template <class Pred>
  Scrape scrapeUntil(Pred done) {
    Scrape s = scrape();
    for (int i = 0; i < 50 && !done(s); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      s = scrape();
    }
    return s;
  }

  // dig's status line (NOERROR, SERVFAIL...) and its answer section.
  std::pair<std::string, std::string> dig(const std::string& name) {
    RunResult r = runCommand({"dig", "@" + addr_, "-p", std::to_string(kDnsPort), name, "A",
                              "+tries=1", "+time=3", "+noall", "+comments", "+answer"});
    std::smatch m;
    std::string status;
    if (std::regex_search(r.out, m, std::regex("status: ([A-Z]+)"))) status = m[1];
    return {status, r.out};
  }

  RunResult ctl(std::vector<std::string> args, bool with_token = true) {
    std::vector<std::string> argv = {daemonBinary(), "ctl", "--server",
                                     addr_ + ":" + std::to_string(kAdminPort)};
    if (with_token) {
      argv.push_back("--token");
      argv.push_back(kToken);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv);
  }

  std::string addr_;
  std::string config_;
  std::unique_ptr<FakeAuthServer> answering_;
  std::unique_ptr<FakeAuthServer> silent_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<httplib::Client> client_;
};

// ---- tests -----------------------------------------------------------------------------------

TEST_F(AdminTest, HealthzAndTokenRequired) {
  start(/*token=*/true);
  httplib::Client anonymous(addr_, kAdminPort);
  auto res = anonymous.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = anonymous.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  httplib::Client wrong(addr_, kAdminPort);
  wrong.set_bearer_token_auth((kToken + "x").c_str());
  res = wrong.Post("/v1/cache/flush", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);

  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");

  // ctl: without the token the server says no (1); with it, done (0); no server: 2.
  RunResult r = ctl({"status"}, /*with_token=*/false);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("401"));
  r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("healthy: 2 worker(s)"));
  r = runCommand({daemonBinary(), "ctl", "--server", addr_ + ":1", "status"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  r = ctl({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(AdminTest, TokenFromAFile) {
  start(/*token=*/true, /*token_file=*/true);
  httplib::Client anonymous(addr_, kAdminPort);
  auto res = anonymous.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  daemon_->writeFile("ctl.token", kToken + "\n");
  RunResult r =
      runCommand({daemonBinary(), "ctl", "--server", addr_ + ":" + std::to_string(kAdminPort),
                  "--token-file", daemon_->dir() + "/ctl.token", "reload"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(AdminTest, AdminAddressInUseIsAStartupErrorNamingIt) {
  start(/*token=*/false);
  // A second daemon: its own DNS port, the first one's admin address.
  std::string second = configYaml(addr_, answering_->address(), silent_->address(), false);
  second.replace(second.find(":" + std::to_string(kDnsPort)), 5, ":5354");
  daemon_->writeFile("second.yaml", second + "resolver:\n  dont_query: [\"0.0.0.0/0\"]\n");
  RunResult r = runCommand({daemonBinary(), "--config", daemon_->dir() + "/second.yaml"},
                           std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("admin API: cannot listen on " + addr_ + ":8053"));
  EXPECT_TRUE(daemon_->alive());
}

TEST_F(AdminTest, BadRequestsGetErrorsNotCrashes) {
  start(/*token=*/false);
  auto res = client_->Post("/v1/cache/flush", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("not valid JSON"));
  res = client_->Post("/v1/cache/flush", R"({"name": 5})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = client_->Post("/v1/cache/flush", R"({"name": "a..b"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = client_->Post("/v1/cache/flush", R"({"subtree": true})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = client_->Post("/v1/cache/flush", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  res = client_->Get("/v1/nothing-here");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  // Still serving after all that.
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(dig("a.fwd.example").first, "NOERROR");
}

TEST_F(AdminTest, MetricsMoveWithQueriesAndFlushMakesAMiss) {
  start(/*token=*/true);
  Scrape s0 = scrape();
  ASSERT_TRUE(s0.sum("vpcdns_queries_total"));
  ASSERT_TRUE(s0.sum("vpcdns_forwarded_total"));
  EXPECT_EQ(s0.at("vpcdns_up"), 1);
  EXPECT_EQ(s0.at("vpcdns_workers"), 2);
  EXPECT_EQ(s0.types["vpcdns_cache_hits_total"], "counter");
  EXPECT_EQ(s0.types["vpcdns_cache_entries"], "gauge");
  EXPECT_EQ(s0.types["vpcdns_query_duration_seconds"], "histogram");
  for (const char* name : {"vpcdns_cache_misses_total", "vpcdns_cache_evictions_total",
                           "vpcdns_cache_bytes", "vpcdns_upstream_queries_total",
                           "vpcdns_upstream_timeouts_total", "vpcdns_resolutions_in_flight",
                           "vpcdns_upstream_rtt_seconds_count", "vpcdns_reloads_total"}) {
    EXPECT_TRUE(s0.sum(name)) << name << " missing";
  }

  // One miss (forwarded), then three hits from the cache.
  auto [status, answer] = dig("a.fwd.example");
  ASSERT_EQ(status, "NOERROR") << answer;
  EXPECT_THAT(answer, HasSubstr("10.9.8.7"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(dig("a.fwd.example").first, "NOERROR");
  Scrape s1 = scrapeUntil([&](const Scrape& s) {
    return *s.sum("vpcdns_queries_total") - *s0.sum("vpcdns_queries_total") >= 4;
  });
  EXPECT_EQ(*s1.sum("vpcdns_queries_total") - *s0.sum("vpcdns_queries_total"), 4);
  EXPECT_EQ(s1.at("vpcdns_queries_total{rcode=\"NOERROR\"}") -
                s0.at("vpcdns_queries_total{rcode=\"NOERROR\"}"),
            4);
  EXPECT_EQ(*s1.sum("vpcdns_forwarded_total") - *s0.sum("vpcdns_forwarded_total"), 1);
  // The forwarded one got a reply from its target: one RTT sample, in a bucket up to 1 s (the
  // target is on loopback), no timeout.
  EXPECT_EQ(s1.at("vpcdns_forward_upstream_replies_total") -
                s0.at("vpcdns_forward_upstream_replies_total"),
            1);
  EXPECT_EQ(s1.at("vpcdns_forward_rtt_seconds_count") - s0.at("vpcdns_forward_rtt_seconds_count"),
            1);
  EXPECT_EQ(s1.at("vpcdns_forward_rtt_seconds_bucket{le=\"1\"}") -
                s0.at("vpcdns_forward_rtt_seconds_bucket{le=\"1\"}"),
            1);
  EXPECT_EQ(s1.at("vpcdns_forward_upstream_timeouts_total"), 0);
  EXPECT_EQ(s1.types["vpcdns_forward_rtt_seconds"], "histogram");
  EXPECT_EQ(
      *s1.sum("vpcdns_forward_cache_answers_total") - *s0.sum("vpcdns_forward_cache_answers_total"),
      3);
  EXPECT_EQ(s1.at("vpcdns_queries_by_path_total{path=\"cache\"}") -
                s0.at("vpcdns_queries_by_path_total{path=\"cache\"}"),
            3);
  EXPECT_GE(*s1.sum("vpcdns_cache_hits_total") - *s0.sum("vpcdns_cache_hits_total"), 3);
  EXPECT_GE(*s1.sum("vpcdns_cache_entries"), 1);
  EXPECT_GT(*s1.sum("vpcdns_cache_bytes"), 0);
  EXPECT_EQ(answering_->countFor("a.fwd.example", dns::rrtype::kA), 1u);
  EXPECT_EQ(*s1.sum("vpcdns_pipeline_received_total") - *s0.sum("vpcdns_pipeline_received_total"),
            4);
  EXPECT_EQ(*s1.sum("vpcdns_pipeline_deferred_total") - *s0.sum("vpcdns_pipeline_deferred_total"),
            1);

  // A response sent to us is dropped unanswered, and counted (polled: nothing tells us when
  // the worker has read it; at most 50 scrapes).
  udpSend(addr_, kDnsPort, {0x12, 0x34, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  auto dropped = [&](const Scrape& s) {
    return *s.sum("vpcdns_pipeline_dropped_total") - *s1.sum("vpcdns_pipeline_dropped_total");
  };
  EXPECT_EQ(dropped(scrapeUntil([&](const Scrape& s) { return dropped(s) >= 1; })), 1);

  // Flush the name with the CLI: the next query is a miss again (forwarded once more).
  RunResult r = ctl({"flush", "a.fwd.example"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("removed 1 cache entries"));
  EXPECT_EQ(dig("a.fwd.example").first, "NOERROR");
  Scrape s2 = scrape();
  EXPECT_EQ(*s2.sum("vpcdns_forwarded_total") - *s1.sum("vpcdns_forwarded_total"), 1);
  EXPECT_EQ(*s2.sum("vpcdns_forward_cache_answers_total"),
            *s1.sum("vpcdns_forward_cache_answers_total"));
  EXPECT_EQ(answering_->countFor("a.fwd.example", dns::rrtype::kA), 2u);

  // A subtree flush through the API takes the name and everything below it; a flush of all
  // leaves the cache empty.
  EXPECT_EQ(dig("b.a.fwd.example").first, "NOERROR");
  EXPECT_EQ(dig("other.example.fwd.example").first, "NOERROR");
  auto res = client_->Post("/v1/cache/flush", R"({"name":"a.fwd.example","subtree":true})",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body).value("removed", -1), 2) << res->body;
  res = client_->Post("/v1/cache/flush", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body).value("removed", -1), 1) << res->body;
  EXPECT_EQ(*scrape().sum("vpcdns_cache_entries"), 0);

  // `ctl stats` prints the same text.
  r = ctl({"stats"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(parsePrometheus(r.out).problems.empty());
  EXPECT_THAT(r.out, HasSubstr("vpcdns_forwarded_total"));
}

TEST_F(AdminTest, DeadForwardingTargetShowsDown) {
  start(/*token=*/true);
  const std::string dead = silent_->address() + ":53";
  const std::string up_key = "vpcdns_forward_target_up{target=\"" + dead + "\"}";
  EXPECT_EQ(scrape().at(up_key), 1);

  // failure_threshold 1: one timed-out query marks it down.
  EXPECT_EQ(dig("x.dead.example").first, "SERVFAIL");
  Scrape s = scrape();
  EXPECT_EQ(s.at(up_key), 0);
  EXPECT_GE(s.at("vpcdns_forward_target_failures{target=\"" + dead + "\"}"), 1);
  // The attempt that timed out is counted, and gave no RTT sample.
  EXPECT_EQ(s.at("vpcdns_forward_upstream_timeouts_total"), 1);
  EXPECT_EQ(s.at("vpcdns_forward_upstream_replies_total"), 0);
  EXPECT_EQ(s.at("vpcdns_forward_rtt_seconds_count"), 0);
  EXPECT_EQ(s.at("vpcdns_forward_target_up{target=\"" + answering_->address() + ":53\"}"), 1);

  auto res = client_->Get("/v1/forwarders");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  auto j = nlohmann::json::parse(res->body);
  bool seen_dead = false, seen_up = false;
  for (const auto& rule : j["rules"]) {
    for (const auto& t : rule["targets"]) {
      if (rule["domain"] == "dead.example." && t["address"] == dead) {
        seen_dead = true;
        EXPECT_FALSE(t["up"].get<bool>());
        EXPECT_GE(t["consecutive_failures"].get<int>(), 1);
      }
      if (rule["domain"] == "fwd.example.") seen_up = t["up"].get<bool>();
    }
  }
  EXPECT_TRUE(seen_dead) << res->body;
  EXPECT_TRUE(seen_up) << res->body;

  RunResult r = ctl({"forwarders"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("dead\\.example\\. +" +
                                              std::regex_replace(dead, std::regex("\\."), "\\.") +
                                              " +down"));
}

TEST_F(AdminTest, ReloadThroughTheApi) {
  start(/*token=*/true);
  ASSERT_EQ(dig("a.fwd.example").first, "NOERROR");

  // A good reload: 200, and the reload counter moves.
  auto res = client_->Post("/v1/reload", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(nlohmann::json::parse(res->body).value("ok", false));
  EXPECT_EQ(scrape().at("vpcdns_reloads_total{result=\"ok\"}"), 1);

  // A broken one: refused with file:line:column; the old config keeps serving.
  daemon_->writeFile("vpcdns.yaml", config_ + "cache:\n  max_ttl: lots\n");
  res = client_->Post("/v1/reload", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  auto j = nlohmann::json::parse(res->body);
  EXPECT_FALSE(j.value("ok", true));
  ASSERT_TRUE(j["errors"].is_array() && !j["errors"].empty()) << res->body;
  const std::string line = std::to_string(std::count(config_.begin(), config_.end(), '\n') + 2);
  EXPECT_THAT(j["errors"][0].get<std::string>(),
              ::testing::MatchesRegex(".*vpcdns\\.yaml:" + line + ":12: cache\\.max_ttl: .*"));

  RunResult r = ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("vpcdns.yaml:" + line + ":12"));

  Scrape s = scrape();
  EXPECT_EQ(s.at("vpcdns_reloads_total{result=\"error\"}"), 2);
  EXPECT_EQ(s.at("vpcdns_reload_last_success"), 0);
  EXPECT_EQ(dig("fresh.fwd.example").first, "NOERROR");  // the old rules still answer
  EXPECT_TRUE(daemon_->alive());

  // Fixed again: the CLI reloads it.
  daemon_->writeFile("vpcdns.yaml", config_);
  r = ctl({"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("reloaded in"));
}

}  // namespace
}  // namespace vpcdns::test
