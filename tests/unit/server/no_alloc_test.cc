// The query hot path makes no heap allocation: counted by replacing the global operator new in
// this test binary.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>

#include "server/pipeline.h"

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
  EXPECT_EQ(pipeline.stats().servfail, 2u);
  EXPECT_EQ(pipeline.stats().badvers, 1u);
  EXPECT_EQ(pipeline.stats().refused, 1u);
  EXPECT_EQ(pipeline.stats().formerr, 1u);

  // The counter works: an allocation inside the scope is seen.
  static void* volatile sink = nullptr;
  Counting c;
  sink = ::operator new(16);
  ::operator delete(sink);
  EXPECT_EQ(g_allocations, 1u);
}

}  // namespace
}  // namespace vpcdns::server
