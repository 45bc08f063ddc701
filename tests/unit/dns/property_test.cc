// Property test: random mutations of valid messages never crash the parsers, and whatever
// parses re-encodes to something that parses back to the same message.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "dns/message.h"

namespace vpcdns::dns {
namespace {

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

bool hasTypedForm(uint16_t type) {
  switch (type) {
    case rrtype::kA:
    case rrtype::kAAAA:
    case rrtype::kNS:
    case rrtype::kCNAME:
    case rrtype::kDNAME:
    case rrtype::kPTR:
    case rrtype::kSOA:
    case rrtype::kMX:
    case rrtype::kTXT:
    case rrtype::kSRV:
    case rrtype::kCAA:
      return true;
    default:
      return false;
  }
}

std::vector<std::vector<uint8_t>> seeds() {
  std::vector<std::vector<uint8_t>> out;
  Message q;
  q.header.id = 7;
  q.header.rd = true;
  q.questions.push_back({N("www.example.com."), rrtype::kA, rrclass::kIN});
  q.edns = Edns{};
  q.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});
  out.push_back(q.encode());

  Message r;
  r.header.qr = r.header.aa = true;
  r.questions.push_back({N("example.com."), rrtype::kANY, rrclass::kIN});
  auto add = [&](std::vector<Record>& s, std::string_view owner, uint16_t type, Rdata rd) {
    s.push_back(Record{N(owner), type, rrclass::kIN, 300, std::move(rd)});
  };
  add(r.answer, "example.com.", rrtype::kA, RdataA{{192, 0, 2, 1}});
  add(r.answer, "example.com.", rrtype::kAAAA, RdataAAAA{{0x20, 1, 0xd, 0xb8}});
  add(r.answer, "www.example.com.", rrtype::kCNAME, RdataName{N("example.com.")});
  add(r.answer, "example.com.", rrtype::kMX, RdataMx{10, N("mail.example.com.")});
  add(r.answer, "example.com.", rrtype::kTXT, RdataTxt{{"hello", "world"}});
  add(r.answer, "_s._tcp.example.com.", rrtype::kSRV, RdataSrv{1, 2, 3, N("t.example.com.")});
  add(r.answer, "example.com.", rrtype::kCAA, RdataCaa{0, "issue", {'c', 'a'}});
  add(r.answer, "example.com.", rrtype::kDNAME, RdataName{N("example.net.")});
  add(r.answer, "example.com.", 4660, RdataOpaque{{9, 8, 7}});
  add(r.authority, "example.com.", rrtype::kSOA,
      RdataSoa{N("ns.example.com."), N("h.example.com."), 1, 2, 3, 4, 5});
  add(r.authority, "example.com.", rrtype::kNS, RdataName{N("ns.example.com.")});
  add(r.additional, "ns.example.com.", rrtype::kA, RdataA{{192, 0, 2, 53}});
  add(r.additional, "1.2.0.192.in-addr.arpa.", rrtype::kPTR, RdataName{N("ns.example.com.")});
  r.setRcode(rcode::kBadVers);
  out.push_back(r.encode());
  return out;
}

std::vector<uint8_t> mutate(std::vector<uint8_t> p, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  size_t rounds = 1 + pick(4);
  for (size_t r = 0; r < rounds; ++r) {
    switch (pick(7)) {
      case 0:
      case 1:  // overwrite an octet
        if (!p.empty()) p[pick(p.size())] = static_cast<uint8_t>(rng());
        break;
      case 2:  // flip one bit
        if (!p.empty()) p[pick(p.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 3:  // truncate
        p.resize(pick(p.size() + 1));
        break;
      case 4:  // insert an octet
        p.insert(p.begin() + static_cast<ptrdiff_t>(pick(p.size() + 1)),
                 static_cast<uint8_t>(rng()));
        break;
      case 5:  // plant a compression pointer
        if (p.size() > 2) {
          size_t at = pick(p.size() - 1);
          size_t target = pick(p.size());
          p[at] = static_cast<uint8_t>(0xC0 | (target >> 8));
          p[at + 1] = static_cast<uint8_t>(target);
        }
        break;
      default:  // tweak a section count
        if (p.size() >= 12) p[4 + 2 * pick(4) + 1] = static_cast<uint8_t>(pick(4));
        break;
    }
  }
  return p;
}

TEST(Property, MutatedMessagesNeverCrashAndRoundTrip) {
  std::mt19937_64 rng(0x5eed);
  auto base = seeds();
  size_t parsed = 0, queries = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    auto p = mutate(base[static_cast<size_t>(iter) % base.size()], rng);
    bool header_ok = false;
    auto q = parseQuery(p, &header_ok);
    EXPECT_EQ(header_ok, p.size() >= kHeaderSize);
    if (q) ++queries;
    auto m = Message::parse(p);
    if (!m) continue;
    ++parsed;
    auto wire = m->encode();
    auto again = Message::parse(wire);
    ASSERT_TRUE(again.ok()) << "iteration " << iter << ": " << errorText(again.error());
    EXPECT_EQ(*again, *m) << "iteration " << iter;
    EXPECT_EQ(again->encode(), wire) << "iteration " << iter;
    EXPECT_FALSE(m->toText().empty());
    if (m->header.ancount == 0) {
      // Whatever the strict parser accepts, the query parser accepts and reads the same way.
      ASSERT_TRUE(q.ok()) << "iteration " << iter << ": " << errorText(q.error());
      EXPECT_EQ(q->header, m->header);
      if (!m->questions.empty()) {
        EXPECT_EQ(q->question, m->questions[0]);
      }
      EXPECT_EQ(q->has_edns, m->edns.has_value());
    }
    for (const auto* section : {&m->answer, &m->authority, &m->additional}) {
      for (const auto& r : *section) {
        if (hasTypedForm(r.type) && std::holds_alternative<RdataOpaque>(r.rdata)) continue;
        auto text = rdataToText(r.type, r.rdata);
        auto back = rdataFromText(r.type, text);
        ASSERT_TRUE(back.ok()) << recordToText(r);
        EXPECT_EQ(*back, r.rdata) << recordToText(r);
      }
    }
  }
  // Not vacuous: a fair share of the mutants must still be valid messages.
  EXPECT_GT(parsed, 300u);
  EXPECT_GT(queries, 100u);
}

}  // namespace
}  // namespace vpcdns::dns
