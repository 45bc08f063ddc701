// parseQuery: the allocation-free hot path for client queries.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "dns/message.h"

// Counts every global allocation, to prove parseQuery() makes none. The replacements pair
// malloc with free, which GCC's -Wmismatched-new-delete cannot see through once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace vpcdns::dns {
namespace {

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

struct Packet {
  std::vector<uint8_t> b;
  Packet& u8(int v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Packet& u16(int v) { return u8(v >> 8).u8(v & 0xFF); }
  Packet& u32(uint32_t v) {
    return u16(static_cast<int>(v >> 16)).u16(static_cast<int>(v & 0xFFFF));
  }
  Packet& header(int qd, int an, int ns, int ar, int flags = 0x0100) {
    return u16(0x0102).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Packet& name(std::string_view text) {
    auto n = N(text);
    b.insert(b.end(), n.wire().begin(), n.wire().end());
    return *this;
  }
  Packet& question(std::string_view text, int type = 1) { return name(text).u16(type).u16(1); }
  Packet& opt(int udp = 1232, uint32_t ttl = 0, std::vector<uint8_t> rdata = {}) {
    u8(0).u16(41).u16(udp).u32(ttl).u16(static_cast<int>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
    return *this;
  }
};

Error queryError(const std::vector<uint8_t>& p, bool expect_header_ok = true) {
  bool header_ok = !expect_header_ok;
  auto q = parseQuery(p, &header_ok);
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(header_ok, expect_header_ok);
  return q.ok() ? Error::kNoSpace : q.error();
}

TEST(ParseQuery, PlainQuery) {
  Packet p;
  p.header(1, 0, 0, 0).question("www.Example.com.", 28);
  bool header_ok = false;
  auto q = parseQuery(p.b, &header_ok);
  ASSERT_TRUE(q.ok()) << errorText(q.error());
  EXPECT_TRUE(header_ok);
  EXPECT_EQ(q->header.id, 0x0102);
  EXPECT_TRUE(q->header.rd);
  EXPECT_TRUE(q->question.name.identical(N("www.Example.com.")));
  EXPECT_EQ(q->question.type, rrtype::kAAAA);
  EXPECT_EQ(q->question.cls, rrclass::kIN);
  EXPECT_FALSE(q->has_edns);
  EXPECT_EQ(q->question_end, p.b.size());
  EXPECT_EQ(q->responseSizeLimit(1232), 512u);
  EXPECT_EQ(q->responseSizeLimit(4096), 512u);
}

TEST(ParseQuery, WithEdns) {
  Packet p;
  p.header(1, 0, 0, 1)
      .question("example.")
      .opt(4096, 0x00008000u, {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
  auto q = parseQuery(p.b);
  ASSERT_TRUE(q.ok()) << errorText(q.error());
  EXPECT_TRUE(q->has_edns);
  EXPECT_EQ(q->edns_udp_size, 4096);
  EXPECT_TRUE(q->edns_do);
  EXPECT_EQ(q->edns_version, 0);
  EXPECT_EQ(q->question_end, 12u + 9u + 4u);
  EXPECT_EQ(q->responseSizeLimit(1232), 1232u);
  EXPECT_EQ(q->responseSizeLimit(8192), 4096u);
  q->edns_udp_size = 100;  // RFC 6891 §6.2.5: below 512 means 512
  EXPECT_EQ(q->responseSizeLimit(1232), 512u);
  q->edns_udp_size = 1000;
  EXPECT_EQ(q->responseSizeLimit(1232), 1000u);

  Packet v1;
  v1.header(1, 0, 0, 1).question("example.").opt(1232, 0x00010000u);
  EXPECT_EQ(parseQuery(v1.b)->edns_version, 1);
}

TEST(ParseQuery, NoHeapAllocation) {
  Packet p;
  p.header(1, 0, 0, 1)
      .question("a-fairly-long-label.www.example.com.")
      .opt(1232, 0x8000u, {0, 10, 0, 2, 1, 2});
  size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    auto q = parseQuery(p.b);
    ASSERT_TRUE(q.ok());
  }
  EXPECT_EQ(g_allocations.load(), before);
}

TEST(ParseQuery, HeaderOkOnlyWithTwelveBytes) {
  EXPECT_EQ(queryError({}, false), Error::kTruncated);
  EXPECT_EQ(queryError(std::vector<uint8_t>(11, 0), false), Error::kTruncated);
  Packet p;
  p.header(1, 0, 0, 0).u8(7).u8('a').u8('b').u8('c').u8('d');  // label cut short
  EXPECT_EQ(queryError(p.b), Error::kTruncated);
  auto q = parseQuery(p.b);  // header_ok is optional
  EXPECT_FALSE(q.ok());
}

TEST(ParseQuery, CountRules) {
  Packet two;
  two.header(2, 0, 0, 0).question("a.").question("b.");
  EXPECT_EQ(queryError(two.b), Error::kBadCount);
  Packet answer;
  answer.header(1, 1, 0, 0).question("a.").u8(0).u16(1).u16(1).u32(0).u16(0);
  EXPECT_EQ(queryError(answer.b), Error::kBadCount);
  Packet huge;
  huge.header(1, 0, 65535, 65535).question("a.");
  EXPECT_EQ(queryError(huge.b), Error::kBadCount);
}

TEST(ParseQuery, QdcountZero) {
  Packet p;  // e.g. a DNS COOKIE-only query
  p.header(0, 0, 0, 1).opt(1232, 0, {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
  auto q = parseQuery(p.b);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->has_edns);
  EXPECT_EQ(q->question_end, kHeaderSize);
}

TEST(ParseQuery, OptRules) {
  Packet dup;
  dup.header(1, 0, 0, 2).question("a.").opt().opt();
  EXPECT_EQ(queryError(dup.b), Error::kDuplicateOpt);
  Packet owner;
  owner.header(1, 0, 0, 1).question("a.").name("a.").u16(41).u16(512).u32(0).u16(0);
  EXPECT_EQ(queryError(owner.b), Error::kBadOpt);
  Packet in_authority;
  in_authority.header(1, 0, 1, 0).question("a.").opt();
  EXPECT_EQ(queryError(in_authority.b), Error::kBadOpt);
  Packet bad_options;
  bad_options.header(1, 0, 0, 1).question("a.").opt(1232, 0, {0, 10, 0, 3, 1});
  EXPECT_EQ(queryError(bad_options.b), Error::kBadRdata);
}

TEST(ParseQuery, SkipsOtherRecordsWithBoundsChecks) {
  Packet p;  // UPDATE-style authority record, then a TSIG-like record after the OPT
  p.header(1, 0, 1, 2, 0x2800).question("example.", 6);
  p.name("host.example.").u16(1).u16(1).u32(60).u16(4).u32(0xC0000201);
  p.opt();
  p.name("key.").u16(250).u16(255).u32(0).u16(3).u8(1).u8(2).u8(3);
  auto q = parseQuery(p.b);
  ASSERT_TRUE(q.ok()) << errorText(q.error());
  EXPECT_TRUE(q->has_edns);
  EXPECT_EQ(q->header.opcode, opcode::kUpdate);

  Packet past_end;
  past_end.header(1, 0, 0, 1).question("a.").name("key.").u16(250).u16(255).u32(0).u16(30).u8(1);
  EXPECT_EQ(queryError(past_end.b), Error::kTruncated);
  Packet bad_owner;
  bad_owner.header(1, 0, 0, 1).question("a.").u8(0xC0).u8(40).u16(1).u16(1).u32(0).u16(0);
  EXPECT_EQ(queryError(bad_owner.b), Error::kBadPointer);
}

TEST(ParseQuery, TrailingGarbage) {
  Packet p;
  p.header(1, 0, 0, 0).question("a.").u8(0).u8(0);
  EXPECT_EQ(queryError(p.b), Error::kTrailingData);
  Packet edns;
  edns.header(1, 0, 0, 1).question("a.").opt().u8(1);
  EXPECT_EQ(queryError(edns.b), Error::kTrailingData);
}

TEST(ParseQuery, QuestionPointerErrors) {
  Packet p;
  p.header(1, 0, 0, 0).u8(0xC0).u8(2).u16(1).u16(1);
  EXPECT_EQ(queryError(p.b), Error::kBadPointer);
  Packet loop;
  loop.header(1, 0, 0, 0).u8(0xC0).u8(12).u16(1).u16(1);
  EXPECT_EQ(queryError(loop.b), Error::kPointerLoop);
}

}  // namespace
}  // namespace vpcdns::dns
