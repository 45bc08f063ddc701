// The query hot path makes no heap allocation: counted by replacing the global operator new in
// this test binary.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>

#include "dns/rdata.h"
#include "server/forward_stage.h"
#include "server/pipeline.h"
#include "server/query_log.h"
#include "server/query_stats.h"
#include "server/resolver_stage.h"
#include "server/zone_stage.h"

#include "tests/support/alloc_counter.h"

namespace vpcdns::server {
namespace {

using Counting = vpcdns::test::CountAllocations;
using vpcdns::test::g_allocations;

std::vector<uint8_t> query(bool edns, uint8_t version = 0) {
  dns::Message m;
  m.header.id = 99;
  m.header.rd = true;
  m.questions.push_back(
      {*dns::Name::fromText("www.example.com."), dns::rrtype::kAAAA, dns::rrclass::kIN});
  if (edns) {
    dns::Edns e;
    e.udp_size = 4096;
    e.version = version;
    e.do_bit = true;
    m.edns = e;
  }
  return m.encode();
}

TEST(HotPath, PipelineAllocatesNothing) {
  auto config = std::make_shared<config::Config>();
  config->server.allow = {*IpPrefix::parse("127.0.0.0/8")};
  auto snapshot = buildSnapshot(config);
  ASSERT_TRUE(snapshot.ok());
  Pipeline pipeline(*snapshot);
  std::array<uint8_t, 65535> out{};
  const ClientInfo allowed{SocketAddress(*IpAddress::parse("127.0.0.1"), 5000), Transport::kUdp, 0};
  const ClientInfo refused{SocketAddress(*IpAddress::parse("192.0.2.1"), 5000), Transport::kUdp, 0};
  const auto plain = query(false), with_edns = query(true), badvers = query(true, 1);
  auto malformed = plain;
  malformed.pop_back();

  // Make sure the path really ran and answered (a test that cannot fail is worth nothing).
  size_t sizes[5];
  {
    Counting c;
    sizes[0] = pipeline.handle(plain, allowed, out);
    sizes[1] = pipeline.handle(with_edns, allowed, out);
    sizes[2] = pipeline.handle(badvers, allowed, out);
    sizes[3] = pipeline.handle(plain, refused, out);
    sizes[4] = pipeline.handle(malformed, allowed, out);
    EXPECT_EQ(g_allocations, 0u);
  }
  for (size_t s : sizes) EXPECT_GE(s, 12u);  // FORMERR carries the header only
  EXPECT_EQ(pipeline.stats().servfail.get(), 2u);
  EXPECT_EQ(pipeline.stats().badvers.get(), 1u);
  EXPECT_EQ(pipeline.stats().refused.get(), 1u);
  EXPECT_EQ(pipeline.stats().formerr.get(), 1u);

  // The counter works: an allocation inside the scope is seen.
  static void* volatile sink = nullptr;
  Counting c;
  sink = ::operator new(16);
  ::operator delete(sink);
  EXPECT_EQ(g_allocations, 1u);
}

std::vector<uint8_t> ask(const std::string& name, uint16_t type) {
  dns::Message m;
  m.header.id = 7;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  m.edns = dns::Edns{};
  return m.encode();
}

// Private-zone answers, wildcards, CNAME chains, negatives, local zones and synthesized
// hostnames and PTRs: all answered without touching the heap.
TEST(HotPath, ZoneStageAllocatesNothing) {
  auto config = std::make_shared<config::Config>();
  config::Vpc vpc;
  vpc.id = "v";
  vpc.cidrs = {*IpPrefix::parse("10.0.0.0/8")};
  vpc.hostnames = *dns::Name::fromText("ec2.internal.");
  config->vpcs = {vpc};
  config::ZoneSpec zone;
  zone.name = *dns::Name::fromText("corp.internal.");
  zone.vpcs = {"v"};
  zone.ptr = true;
  auto rec = [&](const char* owner, uint16_t type, const char* text) {
    zone.records.push_back({*dns::Name::fromText(owner), type, dns::rrclass::kIN, 60,
                            *dns::rdataFromText(type, text)});
  };
  rec("db.corp.internal.", dns::rrtype::kA, "10.0.3.7");
  rec("www.corp.internal.", dns::rrtype::kCNAME, "db.corp.internal.");
  rec("*.apps.corp.internal.", dns::rrtype::kA, "10.0.9.9");
  config->zones = {zone};
  auto snapshot = buildSnapshot(config);
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().front();
  Pipeline pipeline(*snapshot);
  pipeline.addStage(std::make_unique<ZoneStage>());
  std::array<uint8_t, 65535> out{};
  const ClientInfo client{SocketAddress(*IpAddress::parse("10.0.0.5"), 5000), Transport::kUdp, 0};
  const std::vector<std::vector<uint8_t>> queries = {
      ask("db.corp.internal.", dns::rrtype::kA),
      ask("www.corp.internal.", dns::rrtype::kA),
      ask("x.apps.corp.internal.", dns::rrtype::kA),
      ask("nope.corp.internal.", dns::rrtype::kA),
      ask("7.3.0.10.in-addr.arpa.", dns::rrtype::kPTR),
      ask("ip-10-200-255-254.ec2.internal.", dns::rrtype::kA),  // 17 octets: no SSO
      ask("254.255.200.10.in-addr.arpa.", dns::rrtype::kPTR),
      ask("1.1.168.192.in-addr.arpa.", dns::rrtype::kPTR),
      ask("localhost.", dns::rrtype::kAAAA),
  };
  std::vector<size_t> sizes(queries.size());
  {
    Counting c;
    for (size_t i = 0; i < queries.size(); ++i) {
      sizes[i] = pipeline.handle(queries[i], client, out);
      EXPECT_EQ(g_allocations, 0u) << "query " << i;
    }
  }
  // Each was answered by the zone stage (not SERVFAIL, which would allocate nothing either).
  EXPECT_EQ(pipeline.stats().answered.get(), queries.size());
  EXPECT_EQ(pipeline.stats().servfail.get(), 0u);
  for (size_t s : sizes) EXPECT_GT(s, 12u);
}

// Cache hits of the resolver (data, a CNAME chain, NXDOMAIN, NODATA): no heap allocation once
// the resolver's scratch space has grown to fit.
TEST(HotPath, ResolverCacheHitsAllocateNothing) {
  auto config = std::make_shared<config::Config>();
  config->server.allow = {*IpPrefix::parse("127.0.0.0/8")};
  auto snapshot = buildSnapshot(config);
  ASSERT_TRUE(snapshot.ok());
  auto runtime = buildResolverRuntime(*config);
  ASSERT_TRUE(runtime.ok()) << runtime.error();
  auto& cache = *(*runtime)->cache;
  auto rr = [](const char* owner, uint16_t type, const char* text) {
    return dns::Record{*dns::Name::fromText(owner), type, dns::rrclass::kIN, 300,
                       *dns::rdataFromText(type, text)};
  };
  const auto a1 = rr("www.example.com.", dns::rrtype::kA, "192.0.2.1");
  const auto a2 = rr("www.example.com.", dns::rrtype::kA, "192.0.2.2");
  const std::vector<dns::Record> a = {a1, a2};
  const auto cname = rr("alias.example.com.", dns::rrtype::kCNAME, "www.example.com.");
  const auto soa =
      rr("example.com.", dns::rrtype::kSOA, "ns.example.com. h.example.com. 1 2 3 4 60");
  cache.insert({0, a1.name, dns::rrtype::kA}, a, 300, cache::Trust::kAnswerAuth);
  cache.insert({0, cname.name, dns::rrtype::kCNAME}, {&cname, 1}, 300, cache::Trust::kAnswerAuth);
  cache.insertNxDomain({0, *dns::Name::fromText("nx.example.com."), dns::rrtype::kA}, soa,
                       cache::Trust::kAuthorityAuth);
  cache.insertNoData({0, a1.name, dns::rrtype::kTXT}, soa, cache::Trust::kAuthorityAuth);

  uv_loop_t loop;
  uv_loop_init(&loop);
  Pipeline pipeline(*snapshot);
  pipeline.addStage(std::make_unique<ZoneStage>());
  auto stage = std::make_unique<ResolverStage>(*runtime);
  ResolverStage* resolver = stage.get();
  pipeline.addStage(std::move(stage));
  resolver->attach(&loop);

  std::array<uint8_t, 65535> out{};
  const ClientInfo client{SocketAddress(*IpAddress::parse("127.0.0.1"), 5000), Transport::kUdp, 0};
  const std::vector<std::vector<uint8_t>> queries = {
      ask("www.example.com.", dns::rrtype::kA),
      ask("alias.example.com.", dns::rrtype::kA),
      ask("NX.example.com.", dns::rrtype::kA),
      ask("www.example.com.", dns::rrtype::kTXT),
  };
  const uint16_t rcodes[] = {dns::rcode::kNoError, dns::rcode::kNoError, dns::rcode::kNXDomain,
                             dns::rcode::kNoError};
  const size_t answers[] = {2, 3, 0, 0};
  for (const auto& q : queries) pipeline.handle(q, client, out);  // warm-up
  for (size_t i = 0; i < queries.size(); ++i) {
    size_t n;
    {
      Counting c;
      n = pipeline.handle(queries[i], client, out);
      EXPECT_EQ(g_allocations, 0u) << "query " << i;
    }
    auto reply = dns::Message::parse({out.data(), n});
    ASSERT_TRUE(reply.ok()) << "query " << i;
    EXPECT_EQ(reply->rcode(), rcodes[i]) << "query " << i;
    EXPECT_EQ(reply->answer.size(), answers[i]) << "query " << i;
    EXPECT_EQ(reply->authority.size(), answers[i] == 0 ? 1u : 0u) << "query " << i;
  }
  EXPECT_EQ(resolver->counters().cache_hits.get(), 2 * queries.size());
  EXPECT_EQ(resolver->counters().upstream_queries.get(), 0u);
  resolver->detach();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Forwarded names answered from the cache of their rule's target set: no heap allocation.
TEST(HotPath, ForwardCacheHitsAllocateNothing) {
  auto loaded = config::loadString(
      "server: {allow: [127.0.0.0/8]}\n"
      "rules: [{domain: corp.example, targets: [192.0.2.53]}]\n",
      "cfg.yaml");
  ASSERT_TRUE(loaded.ok());
  auto config = std::make_shared<const config::Config>(std::move(loaded).value());
  auto snapshot = buildSnapshot(config);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ((*snapshot)->routes.size(), 1u);
  const uint64_t context = (*snapshot)->routes[0].cache_context;
  cache::RecordCache cache;
  auto runtime = buildForwardRuntime(*config, &cache);
  const dns::Record a{*dns::Name::fromText("app.corp.example."), dns::rrtype::kA, dns::rrclass::kIN,
                      300, *dns::rdataFromText(dns::rrtype::kA, "10.44.0.2")};
  cache.insert({context, a.name, dns::rrtype::kA}, {&a, 1}, 300, cache::Trust::kAnswerNonAuth);

  uv_loop_t loop;
  uv_loop_init(&loop);
  Pipeline pipeline(*snapshot);
  pipeline.addStage(std::make_unique<ZoneStage>());
  auto stage = std::make_unique<ForwardStage>(runtime);
  ForwardStage* forward = stage.get();
  pipeline.addStage(std::move(stage));
  forward->attach(&loop);
  std::array<uint8_t, 65535> out{};
  const ClientInfo client{SocketAddress(*IpAddress::parse("127.0.0.1"), 5000), Transport::kUdp, 0};
  const auto q = ask("app.corp.example.", dns::rrtype::kA);
  pipeline.handle(q, client, out);  // warm-up
  size_t n;
  {
    Counting c;
    n = pipeline.handle(q, client, out);
    EXPECT_EQ(g_allocations, 0u);
  }
  auto reply = dns::Message::parse({out.data(), n});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->rcode(), dns::rcode::kNoError);
  ASSERT_EQ(reply->answer.size(), 1u);
  EXPECT_EQ(forward->counters().cache_hits.get(), 2u);
  EXPECT_EQ(forward->counters().forwarded.get(), 0u);
  forward->detach();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// The query log's ring and the per-query counters on the hot path: no heap allocation either.
TEST(HotPath, QueryLogAndStatsAllocateNothing) {
  auto loaded = config::loadString(R"(
server:
  allow: [127.0.0.0/8]
vpcs:
  - id: app
    cidrs: [127.0.0.0/8]
zones:
  - name: corp.internal
    vpcs: [app]
    records:
      - { name: www, type: A, ttl: 60, values: [10.0.0.1] }
query_log:
  file: q.log
)",
                                   "test.yaml");
  ASSERT_TRUE(loaded.ok());
  auto snapshot = buildSnapshot(std::make_shared<const config::Config>(std::move(loaded).value()));
  ASSERT_TRUE(snapshot.ok());
  Pipeline pipeline(*snapshot);
  pipeline.addStage(std::make_unique<ZoneStage>());
  QueryStats stats;
  QueryLogRing ring(64);
  pipeline.setQueryObservers(&stats, &ring);
  std::array<uint8_t, 65535> out{};
  const ClientInfo client{SocketAddress(*IpAddress::parse("127.0.0.1"), 5000), Transport::kUdp, 0};
  const auto q = ask("www.corp.internal.", dns::rrtype::kA);
  {
    Counting c;
    for (int i = 0; i < 100; ++i) ASSERT_GT(pipeline.handle(q, client, out), 12u);
    EXPECT_EQ(g_allocations, 0u);
  }
  EXPECT_EQ(stats.queries(), 100u);
  EXPECT_EQ(stats.byPath(AnswerPath::kPrivateZone), 100u);
  EXPECT_EQ(ring.drain([](const QueryLogRecord&) {}), 100u);
}

}  // namespace
}  // namespace vpcdns::server
