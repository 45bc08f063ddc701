// MessageWriter: exact compression bytes, what is never compressed, truncation, EDNS.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/writer.h"

namespace vpcdns::dns {
namespace {

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

// A built message with the header counts a parse of its encoding would show.
Message counted(Message m) {
  m.header.qdcount = static_cast<uint16_t>(m.questions.size());
  m.header.ancount = static_cast<uint16_t>(m.answer.size());
  m.header.nscount = static_cast<uint16_t>(m.authority.size());
  m.header.arcount = static_cast<uint16_t>(m.additional.size() + (m.edns ? 1 : 0));
  return m;
}

std::vector<uint8_t> W(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

Record A(std::string_view owner, uint8_t last, uint32_t ttl = 60) {
  return {N(owner), rrtype::kA, rrclass::kIN, ttl, RdataA{{192, 0, 2, last}}};
}

struct Written {
  std::vector<uint8_t> bytes;
  bool truncated = false;
};

// Count of non-overlapping occurrences of `needle` in `hay`.
size_t occurrences(const std::vector<uint8_t>& hay, const std::vector<uint8_t>& needle) {
  size_t n = 0;
  for (auto it = hay.begin();
       (it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end();
       it += static_cast<ptrdiff_t>(needle.size())) {
    ++n;
  }
  return n;
}

TEST(Writer, ExactBytesOfSmallResponse) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  Header h;
  h.id = 0x1234;
  h.qr = h.rd = true;
  w.setHeader(h);
  ASSERT_TRUE(w.addQuestion({N("example.com."), rrtype::kA, rrclass::kIN}));
  ASSERT_TRUE(w.addRecord(Section::kAnswer, A("example.com.", 1)));
  size_t n = w.finish();
  std::vector<uint8_t> got(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
  EXPECT_EQ(got, W({0x12, 0x34, 0x81, 0x00, 0,   1, 0,   1,   0,   0, 0, 0,   7, 'e', 'x',
                    'a',  'm',  'p',  'l',  'e', 3, 'c', 'o', 'm', 0, 0, 1,   0, 1,   0xC0,
                    12,   0,    1,    0,    1,   0, 0,   0,   60,  0, 4, 192, 0, 2,   1}));
}

TEST(Writer, CompressesSuffixesAndRdataOfRfc1035Types) {
  Message m;
  m.questions.push_back({N("example.com."), rrtype::kMX, rrclass::kIN});
  m.answer.push_back(
      {N("EXAMPLE.com."), rrtype::kMX, rrclass::kIN, 60, RdataMx{10, N("mail.example.com.")}});
  m.answer.push_back(
      {N("www.example.com."), rrtype::kCNAME, rrclass::kIN, 60, RdataName{N("mail.example.com.")}});
  auto wire = m.encode();
  std::vector<uint8_t> expect =
      W({0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0,
         // 12: question
         7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 15, 0, 1,
         // 29: owner -> 12, MX 10 mail.(->12)
         0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10, 4, 'm', 'a', 'i', 'l', 0xC0, 12,
         // 50: www.(->12) CNAME ->43 (mail.example.com in the MX)
         3, 'w', 'w', 'w', 0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 43});
  EXPECT_EQ(wire, expect);
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, counted(m));
}

TEST(Writer, WholeLabelSuffixesOnly) {
  Message m;
  m.questions.push_back({N("example.com."), rrtype::kA, rrclass::kIN});
  m.answer.push_back(A("bexample.com.", 1));
  auto wire = m.encode();
  // "bexample" is written out; only "com" (at 12 + 8 = 20) is a shared whole-label suffix.
  std::vector<uint8_t> owner = W({8, 'b', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0xC0, 20});
  EXPECT_EQ(std::vector<uint8_t>(wire.begin() + 29, wire.begin() + 40), owner);
  EXPECT_EQ(Message::parse(wire)->answer[0].name, N("bexample.com."));
}

TEST(Writer, NeverCompressesSrvDnameOrUnknownRdata) {
  Message m;
  m.questions.push_back({N("example.com."), rrtype::kANY, rrclass::kIN});
  m.answer.push_back({N("_x._tcp.example.com."), rrtype::kSRV, rrclass::kIN, 60,
                      RdataSrv{1, 2, 3, N("example.com.")}});
  m.answer.push_back(
      {N("example.com."), rrtype::kDNAME, rrclass::kIN, 60, RdataName{N("example.com.")}});
  auto wire = m.encode();
  auto full = W({7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
  EXPECT_EQ(occurrences(wire, full), 3u);  // question, SRV target, DNAME target
  // The SRV owner is compressed (owner names always are).
  EXPECT_EQ(occurrences(wire, W({2, '_', 'x', 4, '_', 't', 'c', 'p', 0xC0, 12})), 1u);
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, counted(m));
}

TEST(Writer, CompressionTargetsOnlyBelow0x4000) {
  Message m;
  m.questions.push_back({N("example."), rrtype::kTXT, rrclass::kIN});
  RdataTxt pad;
  pad.strings.assign(70, std::string(255, 'p'));  // ~17.9 KB: later names start past 0x4000
  m.answer.push_back({N("pad.example."), rrtype::kTXT, rrclass::kIN, 0, pad});
  m.answer.push_back(A("late.example.", 1));
  m.answer.push_back({N("late.example."), rrtype::kAAAA, rrclass::kIN, 0, RdataAAAA{}});
  auto wire = m.encode();
  ASSERT_GT(wire.size(), 0x4000u);
  // "late" is at an offset > 0x3FFF, so the second owner cannot point at it; both spell it out
  // and point at "example." in the question.
  EXPECT_EQ(occurrences(wire, W({4, 'l', 'a', 't', 'e', 0xC0, 12})), 2u);
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, counted(m));
}

TEST(Writer, EncodeCapsAt65535) {
  // Uncompressible SRV targets of ~250 octets: 300 of them cannot fit in one message.
  std::string target;
  for (int i = 0; i < 4; ++i) target += std::string(61, static_cast<char>('a' + i)) + ".";
  Message m;
  m.questions.push_back({N("_s._tcp.example."), rrtype::kSRV, rrclass::kIN});
  for (uint16_t i = 0; i < 300; ++i) {
    m.answer.push_back(
        {N("_s._tcp.example."), rrtype::kSRV, rrclass::kIN, 60, RdataSrv{i, 0, 0, N(target)}});
  }
  auto wire = m.encode();
  EXPECT_LE(wire.size(), 65535u);
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->header.tc);
  EXPECT_TRUE(back->answer.empty());  // one RRset, all or nothing
}

TEST(Writer, TruncatesAnswerAtWholeRRsetsAndKeepsOpt) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({N("many.example."), rrtype::kA, rrclass::kIN});
  for (int set = 0; set < 20; ++set) {
    std::string owner = "host" + std::to_string(set) + ".many.example.";
    for (uint8_t i = 0; i < 5; ++i) m.answer.push_back(A(owner, i));
  }
  m.edns = Edns{};
  m.edns->options.push_back({10, std::vector<uint8_t>(16, 7)});
  auto wire = m.encode(512);
  ASSERT_LE(wire.size(), 512u);
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok()) << errorText(back.error());
  EXPECT_TRUE(back->header.tc);
  EXPECT_GT(back->answer.size(), 0u);
  EXPECT_LT(back->answer.size(), m.answer.size());
  EXPECT_EQ(back->answer.size() % 5, 0u) << "only whole RRsets";
  for (size_t i = 0; i < back->answer.size(); ++i) EXPECT_EQ(back->answer[i], m.answer[i]);
  ASSERT_TRUE(back->edns.has_value());
  EXPECT_EQ(*back->edns, *m.edns);
  // Without the OPT reservation more would have fitted: the OPT really took its space first.
  Message no_edns = m;
  no_edns.edns.reset();
  EXPECT_GE(Message::parse(no_edns.encode(512))->answer.size(), back->answer.size());
}

TEST(Writer, TruncationClosesTheMessage) {
  std::array<uint8_t, 100> buf{};
  MessageWriter w(buf, buf.size());
  ASSERT_TRUE(w.addQuestion({N("a."), rrtype::kTXT, rrclass::kIN}));
  Record big{N("a."), rrtype::kTXT, rrclass::kIN, 0, RdataTxt{{std::string(200, 'x')}}};
  EXPECT_FALSE(w.addRecord(Section::kAnswer, big));
  EXPECT_TRUE(w.truncated());
  EXPECT_FALSE(w.addRecord(Section::kAnswer, A("a.", 1)));
  EXPECT_FALSE(w.addRecord(Section::kAdditional, A("a.", 1)));
  std::vector<uint8_t> out(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(w.finish()));
  auto m = Message::parse(out);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->header.tc);
  EXPECT_TRUE(m->answer.empty());
  EXPECT_EQ(m->questions.size(), 1u);
}

TEST(Writer, AdditionalDroppedWithoutTc) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  ASSERT_TRUE(w.setEdns(Edns{}));
  ASSERT_TRUE(w.addQuestion({N("example."), rrtype::kNS, rrclass::kIN}));
  ASSERT_TRUE(w.addRecord(Section::kAnswer, {N("example."), rrtype::kNS, rrclass::kIN, 60,
                                             RdataName{N("ns1.example.")}}));
  std::vector<Record> glue6;
  for (uint8_t i = 0; i < 40; ++i) {
    RdataAAAA a;
    a.addr[15] = i;
    glue6.push_back({N("ns1.example."), rrtype::kAAAA, rrclass::kIN, 60, a});
  }
  EXPECT_FALSE(w.addRRset(Section::kAdditional, glue6));
  EXPECT_FALSE(w.truncated());
  EXPECT_TRUE(w.addRecord(Section::kAdditional, A("ns1.example.", 53)));
  std::vector<uint8_t> out(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(w.finish()));
  auto m = Message::parse(out);
  ASSERT_TRUE(m.ok()) << errorText(m.error());
  EXPECT_FALSE(m->header.tc);
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->additional[0], A("ns1.example.", 53));
  EXPECT_TRUE(m->edns.has_value());
}

TEST(Writer, RolledBackNamesAreNotCompressionTargets) {
  std::array<uint8_t, 200> buf{};
  MessageWriter w(buf, buf.size());
  ASSERT_TRUE(w.addQuestion({N("q."), rrtype::kA, rrclass::kIN}));
  // Its owner fits, its RDATA does not: the whole RRset, owner included, is rolled back.
  Record big{N("rolled.back.example."), rrtype::kTXT, rrclass::kIN, 0,
             RdataTxt{{std::string(200, 'x')}}};
  EXPECT_FALSE(w.addRecord(Section::kAdditional, big));
  ASSERT_TRUE(w.addRecord(Section::kAdditional, A("rolled.back.example.", 9)));
  std::vector<uint8_t> out(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(w.finish()));
  auto m = Message::parse(out);
  ASSERT_TRUE(m.ok()) << errorText(m.error());
  EXPECT_EQ(m->additional[0], A("rolled.back.example.", 9));
}

TEST(Writer, NeverWritesPastLimit) {
  std::vector<uint8_t> buf(1024, 0xEE);
  MessageWriter w(buf, 300);
  ASSERT_TRUE(w.setEdns(Edns{}));
  ASSERT_TRUE(w.addQuestion({N("example."), rrtype::kA, rrclass::kIN}));
  for (uint8_t i = 0; i < 100 && w.addRecord(Section::kAnswer, A("example.", i)); ++i) {
  }
  EXPECT_TRUE(w.truncated());
  size_t n = w.finish();
  EXPECT_LE(n, 300u);
  EXPECT_TRUE(std::all_of(buf.begin() + 300, buf.end(), [](uint8_t b) { return b == 0xEE; }));
  EXPECT_EQ(w.finish(), n);  // idempotent
  auto m = Message::parse(std::span<const uint8_t>(buf.data(), n));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->edns.has_value());
}

TEST(Writer, TinyLimits) {
  std::array<uint8_t, 64> buf{};
  MessageWriter tiny(buf, 11);
  EXPECT_FALSE(tiny.addQuestion({N("a."), rrtype::kA, rrclass::kIN}));
  EXPECT_FALSE(tiny.setEdns(Edns{}));
  EXPECT_EQ(tiny.finish(), 0u);
  MessageWriter small(buf, 20);
  EXPECT_FALSE(small.setEdns(Edns{}));  // 12 + 11 > 20
  EXPECT_TRUE(small.addQuestion({N("a."), rrtype::kA, rrclass::kIN}));
  EXPECT_EQ(small.finish(), 19u);
  MessageWriter only_header(buf, 12);
  EXPECT_EQ(only_header.finish(), 12u);
}

TEST(Writer, QuestionAndSectionOrder) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  ASSERT_TRUE(w.addQuestion({N("a."), rrtype::kA, rrclass::kIN}));
  EXPECT_FALSE(w.addQuestion({N("b."), rrtype::kA, rrclass::kIN}));
  ASSERT_TRUE(w.addRecord(Section::kAuthority, A("a.", 1)));
  EXPECT_FALSE(w.addRecord(Section::kAnswer, A("a.", 2)));
  EXPECT_FALSE(w.truncated());
  EXPECT_FALSE(w.addQuestion({N("c."), rrtype::kA, rrclass::kIN}));
  auto m = Message::parse(std::span<const uint8_t>(buf.data(), w.finish()));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->authority.size(), 1u);
  EXPECT_TRUE(m->answer.empty());
}

TEST(Writer, ExtendedRcode) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  Edns e;
  e.version = 0;
  e.do_bit = true;
  ASSERT_TRUE(w.setEdns(e));
  w.setRcode(rcode::kBadVers);
  auto m = Message::parse(std::span<const uint8_t>(buf.data(), w.finish()));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode(), rcode::kBadVers);
  EXPECT_TRUE(m->edns->do_bit);

  // Without EDNS only the low 4 bits can travel.
  MessageWriter plain(buf, buf.size());
  plain.setRcode(rcode::kBadVers);
  auto p = Message::parse(std::span<const uint8_t>(buf.data(), plain.finish()));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rcode(), 0);
  EXPECT_FALSE(p->edns.has_value());
}

TEST(Writer, InvalidRdataIsRejectedNotWritten) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  Record empty_txt{N("a."), rrtype::kTXT, rrclass::kIN, 0, RdataTxt{}};
  EXPECT_FALSE(w.addRecord(Section::kAdditional, empty_txt));
  Record long_string{N("a."), rrtype::kTXT, rrclass::kIN, 0, RdataTxt{{std::string(256, 'a')}}};
  EXPECT_FALSE(w.addRecord(Section::kAdditional, long_string));
  auto m = Message::parse(std::span<const uint8_t>(buf.data(), w.finish()));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->additional.empty());
}

TEST(Writer, OwnerOverrideForWildcardSynthesis) {
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, buf.size());
  const Name qname = N("Host.example.com.");
  ASSERT_TRUE(w.addQuestion({qname, rrtype::kA, rrclass::kIN}));
  const std::vector<Record> wild = {A("*.example.com.", 1), A("*.example.com.", 2)};
  ASSERT_TRUE(w.addRRset(Section::kAnswer, wild, &qname));
  ASSERT_TRUE(w.addRecord(Section::kAdditional, A("other.example.com.", 3)));
  std::vector<uint8_t> wire(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(w.finish()));
  auto m = Message::parse(wire);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->answer.size(), 2u);
  for (const auto& r : m->answer) EXPECT_TRUE(r.name.identical(qname));
  EXPECT_EQ(m->answer[1].rdata, Rdata(RdataA{{192, 0, 2, 2}}));
  EXPECT_TRUE(m->additional[0].name.identical(N("other.example.com.")));
  // The owner is compressed against the question like any other.
  EXPECT_EQ(occurrences(wire, W({4, 'H', 'o', 's', 't'})), 1u);
}

}  // namespace
}  // namespace vpcdns::dns
