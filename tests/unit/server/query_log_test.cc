// The query log: JSON lines (Route 53 Resolver's fields), the per-worker ring, the writer's
// rotation, and the pipeline's hook (one event per reply, with the answering path).
#include "server/query_log.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "server/pipeline.h"
#include "server/query_stats.h"
#include "server/zone_stage.h"

namespace vpcdns::server {
namespace {

using nlohmann::json;

// A reply to `name`/`type` carrying `answers` (each a record of that name).
std::vector<uint8_t> reply(const std::string& name, uint16_t type, std::vector<dns::Record> answers,
                           uint16_t rcode = dns::rcode::kNoError) {
  dns::Message m;
  m.header.id = 7;
  m.header.qr = true;
  m.header.rd = true;
  m.header.ra = true;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  m.answer = std::move(answers);
  m.setRcode(rcode);
  return m.encode();
}

QueryLogRecord record(std::span<const uint8_t> bytes, std::string_view vpc = "vpc-app") {
  QueryLogRecord r;
  r.start_ns = 1'000'000'000;
  r.end_ns = 1'000'250'000;  // 250 us later
  r.client = SocketAddress(*IpAddress::parse("10.0.1.23"), 40000);
  r.transport = Transport::kUdp;
  r.path = AnswerPath::kPrivateZone;
  r.listener_index = 0;
  r.vpc_id = vpc;
  r.reply = bytes;
  return r;
}

QueryLogFormat format() {
  QueryLogFormat f;
  f.account_id = "111122223333";
  f.region = "eu-west-1";
  f.listeners = {"10.0.0.2:53"};
  return f;
}

// 2026-12-04T11:20:33.123Z in ns, minus the record's 1 s of steady clock.
constexpr int64_t kOffset = 1796383233'123'000'000 - 1'000'000'000;

TEST(QueryLogFormat, RouteFiftyThreeFields) {
  dns::RdataA a;
  a.addr = {192, 0, 2, 1};
  const auto bytes = reply(
      "WWW.Example.com.", dns::rrtype::kA,
      {{*dns::Name::fromText("WWW.Example.com."), dns::rrtype::kA, dns::rrclass::kIN, 60, a}});
  std::string out;
  ASSERT_TRUE(formatQueryLogLine(record(bytes), format(), kOffset, out));
  ASSERT_EQ(out.back(), '\n');
  ASSERT_EQ(out.find('\n'), out.size() - 1);  // one line
  const json j = json::parse(out);
  EXPECT_EQ(j["version"], "1.100000");
  EXPECT_EQ(j["account_id"], "111122223333");
  EXPECT_EQ(j["region"], "eu-west-1");
  EXPECT_EQ(j["vpc_id"], "vpc-app");
  EXPECT_EQ(j["query_timestamp"], "2026-12-04T11:20:33.123Z");
  EXPECT_EQ(j["query_name"], "WWW.Example.com.");  // as asked, trailing dot
  EXPECT_EQ(j["query_type"], "A");
  EXPECT_EQ(j["query_class"], "IN");
  EXPECT_EQ(j["rcode"], "NOERROR");
  ASSERT_EQ(j["answers"].size(), 1u);
  EXPECT_EQ(j["answers"][0]["Rdata"], "192.0.2.1");
  EXPECT_EQ(j["answers"][0]["Type"], "A");
  EXPECT_EQ(j["answers"][0]["Class"], "IN");
  EXPECT_EQ(j["srcaddr"], "10.0.1.23");
  EXPECT_EQ(j["srcport"], "40000");  // a string, as Route 53 writes it
  EXPECT_EQ(j["transport"], "UDP");
  EXPECT_EQ(j["srcids"]["listener"], "10.0.0.2:53");
  EXPECT_EQ(j["path"], "private_zone");
  EXPECT_EQ(j["latency_us"], 250);
  // Route 53's order, then ours.
  const std::vector<std::string> keys = {
      "version",    "account_id",  "region", "vpc_id",    "query_timestamp", "query_name",
      "query_type", "query_class", "rcode",  "answers",   "srcaddr",         "srcport",
      "transport",  "srcids",      "path",   "latency_us"};
  size_t at = 0;
  for (const auto& k : keys) {
    const size_t pos = out.find("\"" + k + "\":");
    ASSERT_NE(pos, std::string::npos) << k;
    EXPECT_GE(pos, at) << k;
    at = pos;
  }
}

TEST(QueryLogFormat, OddNamesAndTextStayValidJson) {
  // A label with a quote, a backslash, a space, a control byte and a high byte.
  auto name = dns::Name::fromText("a\\\"b\\\\c\\032d\\001\\255.example.");
  ASSERT_TRUE(name.ok());
  dns::RdataTxt txt;
  txt.strings = {"say \"hi\"\\", std::string("\x01\x7f\xff", 3)};
  const auto bytes = reply(name->toText(), dns::rrtype::kTXT,
                           {{*name, dns::rrtype::kTXT, dns::rrclass::kIN, 60, txt}});
  std::string out;
  ASSERT_TRUE(formatQueryLogLine(record(bytes, ""), format(), kOffset, out));
  const json j = json::parse(out);  // throws on invalid JSON or UTF-8
  EXPECT_EQ(j["query_name"], name->toText());
  EXPECT_EQ(j["vpc_id"], "");
  EXPECT_EQ(j["query_type"], "TXT");
  EXPECT_EQ(j["answers"][0]["Rdata"], dns::rdataToText(dns::rrtype::kTXT, txt));
}

TEST(QueryLogFormat, RcodeTypeNumbersAndTcp) {
  const auto bytes = reply("nope.example.", 65280, {}, dns::rcode::kNXDomain);
  auto r = record(bytes);
  r.transport = Transport::kTcp;
  r.path = AnswerPath::kRecursion;
  r.listener_index = 5;  // unknown: no srcids field
  r.client = SocketAddress(*IpAddress::parse("::ffff:10.0.0.7"), 53000);
  std::string out;
  ASSERT_TRUE(formatQueryLogLine(r, format(), kOffset, out));
  const json j = json::parse(out);
  EXPECT_EQ(j["query_type"], "TYPE65280");
  EXPECT_EQ(j["rcode"], "NXDOMAIN");
  EXPECT_EQ(j["transport"], "TCP");
  EXPECT_EQ(j["path"], "recursion");
  EXPECT_EQ(j["srcaddr"], "10.0.0.7");
  EXPECT_TRUE(j["srcids"].empty());
  EXPECT_TRUE(j["answers"].empty());
}

TEST(QueryLogFormat, ExtendedRcodeFromOptAndEveryAnswer) {
  dns::RdataA a1, a2;
  a1.addr = {10, 0, 0, 1};
  a2.addr = {10, 0, 0, 2};
  dns::Message m;
  m.header.qr = true;
  m.questions.push_back({*dns::Name::fromText("v.example."), dns::rrtype::kA, dns::rrclass::kIN});
  m.answer.push_back({*dns::Name::fromText("v.example."), dns::rrtype::kCNAME, dns::rrclass::kIN,
                      60, dns::RdataName{*dns::Name::fromText("w.example.")}});
  m.answer.push_back(
      {*dns::Name::fromText("w.example."), dns::rrtype::kA, dns::rrclass::kIN, 60, a1});
  m.answer.push_back(
      {*dns::Name::fromText("w.example."), dns::rrtype::kA, dns::rrclass::kIN, 60, a2});
  m.authority.push_back({*dns::Name::fromText("example."), dns::rrtype::kNS, dns::rrclass::kIN, 60,
                         dns::RdataName{*dns::Name::fromText("ns.example.")}});
  m.setRcode(dns::rcode::kBadVers);  // 16: the upper bits travel in the OPT
  const auto bytes = m.encode();
  std::string out;
  ASSERT_TRUE(formatQueryLogLine(record(bytes), format(), kOffset, out));
  const json j = json::parse(out);
  EXPECT_EQ(j["rcode"], "BADVERS");
  ASSERT_EQ(j["answers"].size(), 3u);  // the answer section only, in order
  EXPECT_EQ(j["answers"][0]["Type"], "CNAME");
  EXPECT_EQ(j["answers"][0]["Rdata"], "w.example.");
  EXPECT_EQ(j["answers"][1]["Rdata"], "10.0.0.1");
  EXPECT_EQ(j["answers"][2]["Rdata"], "10.0.0.2");

  // Cut inside the last record: not a readable reply.
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 3);
  out.clear();
  EXPECT_FALSE(formatQueryLogLine(record(cut), format(), kOffset, out));
  EXPECT_TRUE(out.empty());
}

TEST(QueryLogFormat, UnreadableReplyIsRefused) {
  const std::array<uint8_t, 5> junk = {1, 2, 3, 4, 5};
  std::string out;
  EXPECT_FALSE(formatQueryLogLine(record(junk), format(), kOffset, out));
  EXPECT_TRUE(out.empty());
}

TEST(QueryLogFormat, Timestamps) {
  EXPECT_EQ(rfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339Millis(1'999'999'999), "1970-01-01T00:00:01.999Z");
  EXPECT_EQ(rfc3339Millis(1'005'000'000), "1970-01-01T00:00:01.005Z");  // same second, cached
  EXPECT_EQ(rfc3339Millis(1796383233'123'456'789), "2026-12-04T11:20:33.123Z");
}

QueryEvent event(std::span<const uint8_t> bytes, const SocketAddress& client, uint64_t start) {
  QueryEvent e;
  e.start_ns = start;
  e.end_ns = start + 1000;
  e.client = &client;
  e.reply = bytes;
  e.path = AnswerPath::kCache;
  e.qtype = dns::rrtype::kA;
  return e;
}

TEST(QueryLogRing, FullRingDropsAndDrainFreesRoom) {
  QueryLogRing ring(16);  // the minimum size
  const SocketAddress client(*IpAddress::parse("127.0.0.1"), 1);
  const auto bytes = reply("x.example.", dns::rrtype::kA, {});
  size_t pushed = 0;
  while (ring.push(event(bytes, client, pushed), "v") && pushed < 1'000'000) ++pushed;
  ASSERT_LT(pushed, 1'000'000u);
  EXPECT_GT(pushed, 100u);
  EXPECT_FALSE(ring.push(event(bytes, client, 0), "v"));  // still full: dropped again
  size_t seen = 0;
  const size_t drained = ring.drain([&](const QueryLogRecord& r) {
    EXPECT_EQ(r.start_ns, seen);  // oldest first
    EXPECT_EQ(r.vpc_id, "v");
    EXPECT_TRUE(std::equal(r.reply.begin(), r.reply.end(), bytes.begin(), bytes.end()));
    ++seen;
  });
  EXPECT_EQ(drained, pushed);
  EXPECT_TRUE(ring.push(event(bytes, client, 0), "v"));  // room again
}

TEST(QueryLogRing, WrapsAroundWithRecordsOfEverySize) {
  QueryLogRing ring(16);
  const SocketAddress client(*IpAddress::parse("127.0.0.1"), 1);
  std::vector<uint8_t> bytes(20000);
  uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 7; ++k) {
      const size_t size = 12 + (next_in * 7919) % bytes.size() / 3;
      for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(next_in + i);
      if (!ring.push(event({bytes.data(), size}, client, next_in), "vpc")) break;
      ++next_in;
    }
    ring.drain([&](const QueryLogRecord& r) {
      ASSERT_EQ(r.start_ns, next_out);
      const size_t size = 12 + (next_out * 7919) % bytes.size() / 3;
      ASSERT_EQ(r.reply.size(), size);
      for (size_t i = 0; i < size; ++i) ASSERT_EQ(r.reply[i], static_cast<uint8_t>(next_out + i));
      ++next_out;
    });
  }
  EXPECT_EQ(next_in, next_out);
  EXPECT_GT(next_in, 1000u);
}

// One producer and one consumer thread at once, as a worker and the writer run: every record
// arrives once, in order, intact.
TEST(QueryLogRing, ProducerAndConsumerThreads) {
  QueryLogRing ring(16);
  const SocketAddress client(*IpAddress::parse("127.0.0.1"), 1);
  constexpr uint64_t kRecords = 200'000;
  std::atomic<bool> done{false}, abandon{false};
  std::thread producer([&] {
    std::vector<uint8_t> bytes(600);
    for (uint64_t i = 0; i < kRecords; ++i) {
      const size_t size = 12 + i % 500;
      for (size_t k = 0; k < size; ++k) bytes[k] = static_cast<uint8_t>(i * 31 + k);
      while (!ring.push(event({bytes.data(), size}, client, i), "v")) {
        if (abandon) return;  // the consumer gave up: end, so that join() returns
        std::this_thread::yield();
      }
    }
    done = true;
  });
  uint64_t next = 0;
  bool intact = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (next < kRecords && std::chrono::steady_clock::now() < deadline) {
    const size_t n = ring.drain([&](const QueryLogRecord& r) {
      const size_t size = 12 + next % 500;
      intact = intact && r.start_ns == next && r.reply.size() == size;
      for (size_t k = 0; intact && k < size; ++k) {
        intact = r.reply[k] == static_cast<uint8_t>(next * 31 + k);
      }
      ++next;
    });
    if (n == 0) std::this_thread::yield();
  }
  abandon = true;
  producer.join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(intact) << "at record " << next;
  EXPECT_EQ(next, kRecords);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vpcdns-qlog-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(QueryLogWriter, RotatesBySizeKeepingMaxFiles) {
  TempDir dir;
  config::QueryLogSection s;
  s.file = "q.log";
  s.max_size = 2048;
  s.max_files = 2;
  s.queue = 1024;
  QueryLogWriter writer(s, dir.path(), {"127.0.0.1:53"});
  ASSERT_TRUE(writer.open().ok());
  QueryLogRing* ring = writer.addRing();
  writer.start();
  const SocketAddress client(*IpAddress::parse("127.0.0.1"), 1);
  const auto bytes = reply("rotate.example.", dns::rrtype::kA, {});
  constexpr uint64_t kRecords = 200;
  for (uint64_t i = 0; i < kRecords; ++i) {
    QueryEvent e = event(bytes, client, i * 1000);
    e.end_ns = e.start_ns + i * 1000;  // latency_us = i: tells the lines apart
    ASSERT_TRUE(ring->push(e, "vpc"));
  }
  writer.stop();
  EXPECT_EQ(writer.written(), kRecords);
  const std::string base = dir.path() + "/q.log";
  ASSERT_TRUE(std::filesystem::exists(base + ".1"));
  ASSERT_TRUE(std::filesystem::exists(base + ".2"));
  EXPECT_FALSE(std::filesystem::exists(base + ".3"));
  // Newest last: file.2, file.1, file; each within max_size, whole lines, consecutive.
  int64_t last = -1;
  for (const std::string& f : {base + ".2", base + ".1", base}) {
    EXPECT_LE(std::filesystem::file_size(f), s.max_size) << f;
    for (const auto& l : lines(f)) {
      const json j = json::parse(l);
      const int64_t n = j["latency_us"].get<int64_t>();
      if (last >= 0) {
        EXPECT_EQ(n, last + 1);
      }
      last = n;
    }
  }
  EXPECT_EQ(last, static_cast<int64_t>(kRecords - 1));  // the newest line is in `file`
  std::string metrics;
  appendQueryLogMetrics(writer, metrics);
  EXPECT_NE(
      metrics.find("# TYPE vpcdns_query_log_lines_total counter\nvpcdns_query_log_lines_total "
                   "200\n"),
      std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\nvpcdns_query_log_write_errors_total 0\n"), std::string::npos);
}

TEST(QueryLogWriter, ReopensAFileMovedAway) {
  TempDir dir;
  config::QueryLogSection s;
  s.file = "q.log";
  s.queue = 1024;
  QueryLogWriter writer(s, dir.path(), {});
  ASSERT_TRUE(writer.open().ok());
  QueryLogRing* ring = writer.addRing();
  writer.start();
  const SocketAddress client(*IpAddress::parse("127.0.0.1"), 1);
  const auto bytes = reply("moved.example.", dns::rrtype::kA, {});
  const std::string base = dir.path() + "/q.log";
  auto waitFor = [](auto pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  };
  ASSERT_TRUE(ring->push(event(bytes, client, 1), "old"));
  ASSERT_TRUE(waitFor([&] { return lines(base).size() == 1; }));
  std::filesystem::rename(base, base + ".moved");  // as logrotate does, then SIGHUP
  writer.reopenLater();
  ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(base); }));
  ASSERT_TRUE(ring->push(event(bytes, client, 2), "new"));
  writer.stop();
  const auto moved = lines(base + ".moved");
  const auto fresh = lines(base);
  ASSERT_EQ(moved.size(), 1u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(json::parse(moved[0])["vpc_id"], "old");
  EXPECT_EQ(json::parse(fresh[0])["vpc_id"], "new");
}

TEST(QueryLogWriter, OpenFailureNamesTheFile) {
  config::QueryLogSection s;
  s.file = "no/such/dir/q.log";
  QueryLogWriter writer(s, "/nonexistent-vpcdns", {});
  auto r = writer.open();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent-vpcdns/no/such/dir/q.log"), std::string::npos);
}

// ---- the pipeline's hook ------------------------------------------------------------------------

std::shared_ptr<const Snapshot> snapshotFrom(const std::string& yaml) {
  auto loaded = config::loadString(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok());
  auto built = buildSnapshot(std::make_shared<const config::Config>(std::move(loaded).value()));
  EXPECT_TRUE(built.ok());
  return *built;
}

constexpr const char* kTwoVpcs = R"(
server:
  allow: [127.0.0.0/8]
vpcs:
  - id: app
    cidrs: [127.1.0.0/16]
  - id: data
    cidrs: [127.2.0.0/16]
zones:
  - name: corp.internal
    vpcs: [app, data]
    records:
      - { name: www, type: A, ttl: 60, values: [10.0.0.1] }
query_log:
  file: q.log
  vpcs: [app]
)";

struct HookFixture {
  HookFixture() : pipeline(snapshotFrom(kTwoVpcs)), ring(64) {
    pipeline.addStage(std::make_unique<ZoneStage>());
    pipeline.setQueryObservers(&stats, &ring);
  }
  size_t ask(const char* src, const char* name, uint16_t type = dns::rrtype::kA,
             uint8_t opcode = dns::opcode::kQuery) {
    dns::Message m;
    m.header.id = 9;
    m.header.opcode = opcode;
    m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
    const auto q = m.encode();
    ClientInfo client{SocketAddress(*IpAddress::parse(src), 5000), Transport::kUdp, 0};
    return pipeline.handle(q, client, out);
  }
  std::vector<std::string> drained() {
    std::vector<std::string> got;
    QueryLogFormat f;
    ring.drain([&](const QueryLogRecord& r) {
      std::string line;
      EXPECT_TRUE(formatQueryLogLine(r, f, 0, line));
      got.push_back(line);
    });
    return got;
  }
  Pipeline pipeline;
  QueryStats stats;
  QueryLogRing ring;
  std::array<uint8_t, 65535> out{};
};

TEST(QueryLogHook, EveryReplyCountedOnlyChosenVpcsLogged) {
  HookFixture f;
  ASSERT_GT(f.ask("127.1.0.5", "www.corp.internal."), 0u);   // app: logged
  ASSERT_GT(f.ask("127.2.0.5", "www.corp.internal."), 0u);   // data: not logged
  ASSERT_GT(f.ask("127.1.0.5", "nope.corp.internal."), 0u);  // app, NXDOMAIN
  ASSERT_GT(f.ask("127.1.0.5", "1.0.0.10.in-addr.arpa.", dns::rrtype::kPTR), 0u);  // local zone
  ASSERT_GT(f.ask("192.0.2.1", "www.corp.internal."), 0u);  // REFUSED, no VPC: not logged
  ASSERT_GT(f.ask("127.1.0.5", "x.example.", dns::rrtype::kA, dns::opcode::kNotify), 0u);
  const auto got = f.drained();
  ASSERT_EQ(got.size(), 4u);
  const json a = json::parse(got[0]);
  EXPECT_EQ(a["vpc_id"], "app");
  EXPECT_EQ(a["path"], "private_zone");
  EXPECT_EQ(a["answers"][0]["Rdata"], "10.0.0.1");
  EXPECT_EQ(a["srcaddr"], "127.1.0.5");
  EXPECT_EQ(a["srcport"], "5000");
  EXPECT_EQ(json::parse(got[1])["rcode"], "NXDOMAIN");
  EXPECT_EQ(json::parse(got[2])["path"], "local_zone");
  const json notimp = json::parse(got[3]);
  EXPECT_EQ(notimp["rcode"], "NOTIMP");
  EXPECT_EQ(notimp["path"], "error");

  EXPECT_EQ(f.stats.queries(), 6u);
  EXPECT_EQ(f.stats.byPath(AnswerPath::kPrivateZone), 3u);
  EXPECT_EQ(f.stats.byPath(AnswerPath::kLocalZone), 1u);
  EXPECT_EQ(f.stats.byPath(AnswerPath::kRefused), 1u);
  EXPECT_EQ(f.stats.byPath(AnswerPath::kError), 1u);
  EXPECT_EQ(f.stats.byRcode(dns::rcode::kRefused), 1u);
  EXPECT_EQ(f.stats.byRcode(dns::rcode::kNXDomain), 2u);
  auto table = f.stats.vpcTable();
  ASSERT_EQ(table->size, 3u);
  EXPECT_EQ(table->counts[0].get(), 4u);  // app
  EXPECT_EQ(table->counts[1].get(), 1u);  // data
  EXPECT_EQ(table->counts[2].get(), 1u);  // none
}

TEST(QueryLogHook, WithoutAVpcListEveryClientIsLoggedNoVpcAsEmptyId) {
  Pipeline pipeline(snapshotFrom(R"(
server:
  allow: [127.0.0.0/8]
vpcs:
  - id: app
    cidrs: [127.1.0.0/16]
query_log:
  file: q.log
)"));
  pipeline.addStage(std::make_unique<ZoneStage>());
  QueryStats stats;
  QueryLogRing ring(64);
  pipeline.setQueryObservers(&stats, &ring);
  std::array<uint8_t, 65535> out{};
  auto ask = [&](const char* src) {
    dns::Message m;
    m.questions.push_back({*dns::Name::fromText("localhost."), dns::rrtype::kA, dns::rrclass::kIN});
    const auto q = m.encode();
    ClientInfo client{SocketAddress(*IpAddress::parse(src), 53000), Transport::kTcp, 0};
    return pipeline.handle(q, client, out);
  };
  ASSERT_GT(ask("127.1.0.1"), 0u);  // app
  ASSERT_GT(ask("127.9.9.9"), 0u);  // admitted, in no VPC
  ASSERT_GT(ask("10.9.9.9"), 0u);   // not admitted: REFUSED, in no VPC
  std::vector<json> got;
  ring.drain([&](const QueryLogRecord& r) {
    std::string line;
    ASSERT_TRUE(formatQueryLogLine(r, QueryLogFormat{}, 0, line));
    got.push_back(json::parse(line));
  });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]["vpc_id"], "app");
  EXPECT_EQ(got[0]["path"], "local_zone");
  EXPECT_EQ(got[0]["transport"], "TCP");
  EXPECT_EQ(got[1]["vpc_id"], "");
  EXPECT_EQ(got[2]["vpc_id"], "");
  EXPECT_EQ(got[2]["rcode"], "REFUSED");
  EXPECT_EQ(got[2]["path"], "refused");
  EXPECT_EQ(got[2]["srcaddr"], "10.9.9.9");
}

TEST(QueryLogHook, FullRingCountsDrops) {
  HookFixture f;
  size_t sent = 0;
  while (f.stats.logDropped() == 0 && sent < 1'000'000) {
    ASSERT_GT(f.ask("127.1.0.5", "www.corp.internal."), 0u);
    ++sent;
  }
  ASSERT_EQ(f.stats.logDropped(), 1u);
  const size_t logged = f.drained().size();
  EXPECT_EQ(logged + 1, sent);  // every reply is either in the ring or counted as dropped
  ASSERT_GT(f.ask("127.1.0.5", "www.corp.internal."), 0u);
  EXPECT_EQ(f.drained().size(), 1u);
  EXPECT_EQ(f.stats.logDropped(), 1u);
}

}  // namespace
}  // namespace vpcdns::server
