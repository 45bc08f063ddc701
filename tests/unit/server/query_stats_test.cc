// Per-query counters and their Prometheus rendering (text format 0.0.4).
#include "server/query_stats.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace vpcdns::server {
namespace {

std::shared_ptr<const config::Config> configWith(std::initializer_list<const char*> vpcs) {
  auto c = std::make_shared<config::Config>();
  for (const char* id : vpcs) {
    config::Vpc v;
    v.id = id;
    c->vpcs.push_back(v);
  }
  return c;
}

QueryEvent event(const config::Config* c, int vpc, uint16_t qtype, uint16_t rcode, AnswerPath p,
                 uint64_t latency_ns) {
  QueryEvent e;
  e.config = c;
  e.vpc = vpc;
  e.qtype = qtype;
  e.rcode = rcode;
  e.path = p;
  e.start_ns = 1000;
  e.end_ns = 1000 + latency_ns;
  return e;
}

// Every sample line "name{labels} value" of the exposition, and checks the format as it goes:
// each metric family announced by # HELP and # TYPE before its samples.
std::map<std::string, double> parse(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string typed;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      typed = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    const std::string key = line.substr(0, space);
    EXPECT_EQ(key.rfind(typed, 0), 0u) << "sample outside its family: " << line;
    EXPECT_EQ(samples.count(key), 0u) << "duplicate sample: " << line;
    samples[key] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(QueryStats, RendersEveryFamilySummedOverWorkers) {
  auto c = configWith({"app", "data"});
  QueryStats w0(c), w1(c);
  w0.record(event(c.get(), 0, 1, 0, AnswerPath::kCache, 50'000));             // 50 us
  w0.record(event(c.get(), 1, 28, 3, AnswerPath::kPrivateZone, 300'000));     // 300 us
  w1.record(event(c.get(), 0, 65, 0, AnswerPath::kRecursion, 20'000'000));    // 20 ms
  w1.record(event(c.get(), -1, 99, 2, AnswerPath::kForward, 9'000'000'000));  // 9 s
  w1.countLogDrop();
  const QueryStats* workers[] = {&w0, &w1};
  std::string out;
  appendQueryMetrics(workers, *c, out);
  const auto s = parse(out);

  EXPECT_EQ(s.at("vpcdns_queries_total{rcode=\"NOERROR\"}"), 2);
  EXPECT_EQ(s.at("vpcdns_queries_total{rcode=\"NXDOMAIN\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_total{rcode=\"SERVFAIL\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_total{rcode=\"REFUSED\"}"), 0);
  EXPECT_EQ(s.at("vpcdns_queries_by_type_total{qtype=\"A\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_type_total{qtype=\"AAAA\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_type_total{qtype=\"HTTPS\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_type_total{qtype=\"other\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_vpc_total{vpc=\"app\"}"), 2);
  EXPECT_EQ(s.at("vpcdns_queries_by_vpc_total{vpc=\"data\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_vpc_total{vpc=\"none\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_path_total{path=\"cache\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_path_total{path=\"private_zone\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_path_total{path=\"recursion\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_path_total{path=\"forward\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_queries_by_path_total{path=\"local_zone\"}"), 0);
  // Cumulative buckets.
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_bucket{le=\"0.0001\"}"), 1);
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_bucket{le=\"0.0005\"}"), 2);
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_bucket{le=\"0.025\"}"), 3);
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_bucket{le=\"5\"}"), 3);
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_bucket{le=\"+Inf\"}"), 4);
  EXPECT_EQ(s.at("vpcdns_query_duration_seconds_count"), 4);
  EXPECT_NEAR(s.at("vpcdns_query_duration_seconds_sum"), 9.02035, 1e-6);
  EXPECT_EQ(s.at("vpcdns_query_log_dropped_total"), 1);
  EXPECT_NE(out.find("# TYPE vpcdns_query_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE vpcdns_queries_total counter\n"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

TEST(QueryStats, ReloadKeepsCountsOfVpcsThatRemain) {
  auto before = configWith({"app", "gone"});
  auto after = configWith({"new", "app"});
  QueryStats w(before);
  w.record(event(before.get(), 0, 1, 0, AnswerPath::kCache, 1));  // app
  w.record(event(before.get(), 1, 1, 0, AnswerPath::kCache, 1));  // gone
  w.setConfig(after);
  w.record(event(after.get(), 1, 1, 0, AnswerPath::kCache, 1));   // app, new numbering
  w.record(event(before.get(), 0, 1, 0, AnswerPath::kCache, 1));  // app, a reply that was late
  w.record(event(before.get(), 1, 1, 0, AnswerPath::kCache, 1));  // gone: not counted by VPC
  w.record(event(after.get(), 0, 1, 0, AnswerPath::kCache, 1));   // new
  const QueryStats* workers[] = {&w};
  std::string out;
  appendQueryMetrics(workers, *after, out);
  const auto s = parse(out);
  EXPECT_EQ(s.at("vpcdns_queries_by_vpc_total{vpc=\"app\"}"), 3);
  EXPECT_EQ(s.at("vpcdns_queries_by_vpc_total{vpc=\"new\"}"), 1);
  EXPECT_EQ(s.count("vpcdns_queries_by_vpc_total{vpc=\"gone\"}"), 0u);
  EXPECT_EQ(s.at("vpcdns_queries_total{rcode=\"NOERROR\"}"), 6);

  // A scrape rendering a config the worker has not reached yet matches by id too.
  QueryStats lagging(before);
  lagging.record(event(before.get(), 0, 1, 0, AnswerPath::kCache, 1));
  const QueryStats* both[] = {&w, &lagging};
  out.clear();
  appendQueryMetrics(both, *after, out);
  EXPECT_EQ(parse(out).at("vpcdns_queries_by_vpc_total{vpc=\"app\"}"), 4);
}

}  // namespace
}  // namespace vpcdns::server
