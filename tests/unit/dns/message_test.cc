// Message::parse / encode: round trips, EDNS decoding, RCODE split, strictness, text form.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/message.h"

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

// Hand-built packets for the malformed cases.
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
    return u16(0xBEEF).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
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
  Packet& a(std::string_view owner, int last = 1) {
    return name(owner).u16(1).u16(1).u32(300).u16(4).u8(192).u8(0).u8(2).u8(last);
  }
};

Error parseError(const std::vector<uint8_t>& p) {
  auto m = Message::parse(p);
  EXPECT_FALSE(m.ok());
  return m.ok() ? Error::kNoSpace : m.error();
}

Message everyTypeMessage() {
  Message m;
  m.header.id = 0x4242;
  m.header.qr = m.header.aa = m.header.rd = m.header.ra = m.header.ad = m.header.cd = true;
  m.header.opcode = opcode::kQuery;
  m.questions.push_back({N("Example.COM."), rrtype::kANY, rrclass::kIN});
  auto add = [](std::vector<Record>& s, std::string_view owner, uint16_t type, Rdata rd) {
    s.push_back(Record{N(owner), type, rrclass::kIN, 3600, std::move(rd)});
  };
  add(m.answer, "example.com.", rrtype::kA, RdataA{{192, 0, 2, 1}});
  add(m.answer, "example.com.", rrtype::kA, RdataA{{192, 0, 2, 2}});
  add(m.answer, "example.com.", rrtype::kAAAA,
      RdataAAAA{{0x20, 0x01, 0x0d, 0xb8, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4}});
  add(m.answer, "example.com.", rrtype::kNS, RdataName{N("ns1.example.com.")});
  add(m.answer, "www.example.com.", rrtype::kCNAME, RdataName{N("example.com.")});
  add(m.answer, "example.com.", rrtype::kDNAME, RdataName{N("example.net.")});
  add(m.answer, "1.2.0.192.in-addr.arpa.", rrtype::kPTR, RdataName{N("host.example.com.")});
  add(m.answer, "example.com.", rrtype::kMX, RdataMx{10, N("mail.example.com.")});
  add(m.answer, "example.com.", rrtype::kTXT, RdataTxt{{"v=spf1 -all", "", "second"}});
  add(m.answer, "_sip._udp.example.com.", rrtype::kSRV,
      RdataSrv{1, 2, 5060, N("sip.example.com.")});
  add(m.answer, "example.com.", rrtype::kCAA,
      RdataCaa{0, "issue", {'c', 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'}});
  add(m.answer, "example.com.", 65280, RdataOpaque{{1, 2, 3, 4, 5}});
  add(m.authority, "example.com.", rrtype::kSOA,
      RdataSoa{N("ns1.example.com."), N("hostmaster.example.com."), 1, 2, 3, 4, 5});
  add(m.additional, "ns1.example.com.", rrtype::kA, RdataA{{192, 0, 2, 53}});
  m.edns = Edns{};
  m.edns->udp_size = 4096;
  m.edns->do_bit = true;
  m.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});  // COOKIE
  m.edns->options.push_back({12, {}});                        // PADDING, empty
  return m;
}

TEST(Header, ParseAndWrite) {
  EXPECT_EQ(parseHeader(std::vector<uint8_t>(11, 0)).error(), Error::kTruncated);
  Header h;
  h.id = 0xABCD;
  h.qr = h.aa = h.tc = h.rd = h.ra = h.z = h.ad = h.cd = true;
  h.opcode = 5;
  h.rcode = 9;
  h.qdcount = 1;
  h.ancount = 2;
  h.nscount = 3;
  h.arcount = 4;
  std::array<uint8_t, kHeaderSize> buf{};
  writeHeader(h, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 12>{0xAB, 0xCD, 0xAF, 0xF9, 0, 1, 0, 2, 0, 3, 0, 4}));
  auto back = parseHeader(buf);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
  Header none;
  writeHeader(none, buf);
  EXPECT_EQ(*parseHeader(buf), none);
}

TEST(Message, RoundTripEveryType) {
  Message m = everyTypeMessage();
  auto wire = m.encode();
  auto back = Message::parse(wire);
  ASSERT_TRUE(back.ok()) << errorText(back.error());
  EXPECT_EQ(*back, counted(m));
  EXPECT_TRUE(back->questions[0].name.identical(N("Example.COM.")));
  EXPECT_EQ(back->encode(), wire);
  EXPECT_EQ(back->header.ancount, m.answer.size());
  EXPECT_EQ(back->header.arcount, 2u);  // one A + the OPT
}

TEST(Message, EdnsFieldsDecoded) {
  Packet p;
  p.header(0, 0, 0, 1).opt(4096, 0x01028001u, {0, 10, 0, 2, 0xAA, 0xBB, 0, 8, 0, 0});
  auto m = Message::parse(p.b);
  ASSERT_TRUE(m.ok()) << errorText(m.error());
  ASSERT_TRUE(m->edns.has_value());
  EXPECT_EQ(m->edns->udp_size, 4096);
  EXPECT_EQ(m->edns->ext_rcode, 1);
  EXPECT_EQ(m->edns->version, 2);
  EXPECT_TRUE(m->edns->do_bit);
  EXPECT_EQ(m->edns->z, 1);
  ASSERT_EQ(m->edns->options.size(), 2u);
  EXPECT_EQ(m->edns->options[0], (EdnsOption{10, {0xAA, 0xBB}}));
  EXPECT_EQ(m->edns->options[1], (EdnsOption{8, {}}));
  EXPECT_TRUE(m->additional.empty());
  EXPECT_EQ(m->rcode(), 16);
  EXPECT_EQ(m->encode(), p.b);
}

TEST(Message, RcodeSplit) {
  Message m;
  m.setRcode(rcode::kNXDomain);
  EXPECT_FALSE(m.edns.has_value());
  EXPECT_EQ(m.rcode(), rcode::kNXDomain);
  m.setRcode(rcode::kBadVers);
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.header.rcode, 0);
  EXPECT_EQ(m.edns->ext_rcode, 1);
  EXPECT_EQ(m.rcode(), rcode::kBadVers);
  m.setRcode(rcode::kRefused);
  EXPECT_EQ(m.edns->ext_rcode, 0);
  EXPECT_EQ(m.rcode(), rcode::kRefused);
  m.setRcode(0xFFF);
  EXPECT_EQ(m.rcode(), 0xFFF);
}

TEST(Message, BadversRoundTrip) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({N("example."), rrtype::kA, rrclass::kIN});
  m.setRcode(rcode::kBadVers);
  auto back = Message::parse(m.encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rcode(), rcode::kBadVers);
  EXPECT_EQ(back->header.rcode, 0);
  EXPECT_NE(back->toText().find("status: BADVERS"), std::string::npos);
}

TEST(Message, TruncatedHeader) {
  EXPECT_EQ(parseError({}), Error::kTruncated);
  EXPECT_EQ(parseError(std::vector<uint8_t>(11, 0)), Error::kTruncated);
  EXPECT_TRUE(Message::parse(std::vector<uint8_t>(12, 0)).ok());
}

TEST(Message, CountsLargerThanPacket) {
  Packet p;
  p.header(0, 65535, 65535, 65535);
  EXPECT_EQ(parseError(p.b), Error::kBadCount);
  Packet q;
  q.header(1, 1, 0, 0).question("example.");
  EXPECT_EQ(parseError(q.b), Error::kBadCount);
  Packet two;
  two.header(2, 0, 0, 0).question("a.").question("b.");
  EXPECT_EQ(parseError(two.b), Error::kBadCount);
}

TEST(Message, RecordsTruncated) {
  Packet p;  // RDLENGTH 4 with 2 octets left; the count check alone cannot see it
  p.header(0, 1, 0, 0).u8(0).u16(1).u16(1).u32(60).u16(4).u8(192).u8(0);
  EXPECT_EQ(parseError(p.b), Error::kTruncated);
  Packet q;
  q.header(1, 0, 0, 0).name("example.").u16(1);
  EXPECT_EQ(parseError(q.b), Error::kTruncated);
  Packet r;  // the fixed RR fields cut short
  r.header(0, 1, 0, 0).name("abcdefgh.example.").u16(1).u16(1);
  EXPECT_EQ(parseError(r.b), Error::kTruncated);
}

TEST(Message, RdlengthDisagreesWithType) {
  Packet p;
  p.header(0, 1, 0, 0).name("a.").u16(1).u16(1).u32(60).u16(5).u32(0xC0000201).u8(0);
  EXPECT_EQ(parseError(p.b), Error::kBadRdata);
}

TEST(Message, TrailingData) {
  Packet p;
  p.header(1, 0, 0, 0).question("example.").u8(0);
  EXPECT_EQ(parseError(p.b), Error::kTrailingData);
  EXPECT_EQ(parseError({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), Error::kTrailingData);
}

TEST(Message, OptPlacement) {
  Packet dup;
  dup.header(0, 0, 0, 2).opt().opt();
  EXPECT_EQ(parseError(dup.b), Error::kDuplicateOpt);
  Packet owner;
  owner.header(0, 0, 0, 1).name("example.").u16(41).u16(1232).u32(0).u16(0);
  EXPECT_EQ(parseError(owner.b), Error::kBadOpt);
  Packet answer;
  answer.header(0, 1, 0, 0).opt();
  EXPECT_EQ(parseError(answer.b), Error::kBadOpt);
  Packet auth;
  auth.header(0, 0, 1, 0).opt();
  EXPECT_EQ(parseError(auth.b), Error::kBadOpt);
  Packet bad_option;  // option length past the OPT RDATA
  bad_option.header(0, 0, 0, 1).opt(1232, 0, {0, 10, 0, 9, 1, 2});
  EXPECT_EQ(parseError(bad_option.b), Error::kBadRdata);
  Packet short_option;
  short_option.header(0, 0, 0, 1).opt(1232, 0, {0, 10, 0});
  EXPECT_EQ(parseError(short_option.b), Error::kBadRdata);
}

TEST(Message, PointerErrorsInsideMessage) {
  Packet fwd;
  fwd.header(1, 0, 0, 0).u8(0xC0).u8(14).u16(1).u16(1);
  EXPECT_EQ(parseError(fwd.b), Error::kBadPointer);
  Packet hdr;
  hdr.header(1, 0, 0, 0).u8(0xC0).u8(4).u16(1).u16(1);
  EXPECT_EQ(parseError(hdr.b), Error::kBadPointer);
  Packet loop;
  loop.header(1, 0, 0, 0).u8(0xC0).u8(12).u16(1).u16(1);
  EXPECT_EQ(parseError(loop.b), Error::kPointerLoop);
  Packet label_type;
  label_type.header(1, 0, 0, 0).u8(0x41).u8('a').u8(0).u16(1).u16(1);
  EXPECT_EQ(parseError(label_type.b), Error::kBadLabelType);
}

TEST(Message, PointerDecompressionOnRead) {
  Packet p;
  p.header(1, 1, 0, 0, 0x8180).question("example.com.");
  p.u8(0xC0).u8(12).u16(5).u16(1).u32(60).u16(6);
  p.u8(3).u8('w').u8('w').u8('w').u8(0xC0).u8(12);
  auto m = Message::parse(p.b);
  ASSERT_TRUE(m.ok()) << errorText(m.error());
  EXPECT_EQ(m->answer[0].name, N("example.com."));
  EXPECT_EQ(std::get<RdataName>(m->answer[0].rdata).name, N("www.example.com."));
}

TEST(Message, UpdateStyleEmptyRdata) {
  Packet p;  // RFC 2136 "delete an RRset": class ANY, RDLENGTH 0
  p.header(1, 0, 1, 0, 0x2800).name("example.").u16(rrtype::kSOA).u16(1);
  p.name("host.example.").u16(rrtype::kA).u16(rrclass::kANY).u32(0).u16(0);
  auto m = Message::parse(p.b);
  ASSERT_TRUE(m.ok()) << errorText(m.error());
  EXPECT_EQ(m->header.opcode, opcode::kUpdate);
  EXPECT_EQ(m->authority[0].rdata, Rdata(RdataOpaque{}));
  auto again = Message::parse(m->encode());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *m);
}

TEST(Message, HugeCountsDoNotAllocateHugely) {
  // 12-byte header claiming 3 * 65535 records and 1 question: rejected before any reserve.
  Packet p;
  p.header(1, 65535, 65535, 65535).question("a.");
  for (int i = 0; i < 100; ++i) p.u8(0);
  EXPECT_EQ(parseError(p.b), Error::kBadCount);
}

TEST(Text, RecordToText) {
  Record r{N("www.example."), rrtype::kA, rrclass::kIN, 300, RdataA{{192, 0, 2, 1}}};
  EXPECT_EQ(recordToText(r), "www.example. 300 IN A 192.0.2.1");
  Record u{N("x."), 65280, 3, 0, RdataOpaque{{0xAB}}};
  EXPECT_EQ(recordToText(u), "x. 0 CH TYPE65280 \\# 1 ab");
}

TEST(Text, MessageToTextDigLike) {
  Message m;
  m.header.id = 4660;
  m.header.qr = m.header.rd = m.header.ra = true;
  m.questions.push_back({N("www.example."), rrtype::kA, rrclass::kIN});
  m.answer.push_back({N("www.example."), rrtype::kA, rrclass::kIN, 300, RdataA{{192, 0, 2, 1}}});
  m.edns = Edns{};
  m.edns->do_bit = true;
  std::string t = m.toText();
  EXPECT_NE(t.find(";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4660\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find(";; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags: do; udp: 1232\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(";; QUESTION SECTION:\n;www.example. IN A\n"), std::string::npos) << t;
  EXPECT_NE(t.find(";; ANSWER SECTION:\nwww.example. 300 IN A 192.0.2.1\n"), std::string::npos)
      << t;
  EXPECT_EQ(t.find("AUTHORITY SECTION"), std::string::npos);
  m.header.opcode = opcode::kNotify;
  m.setRcode(rcode::kNXDomain);
  EXPECT_NE(m.toText().find("opcode: NOTIFY, status: NXDOMAIN"), std::string::npos);
}

TEST(Text, EveryTypeMessageRendersAndRecordsReparse) {
  Message m = everyTypeMessage();
  std::string t = m.toText();
  EXPECT_NE(t.find("_sip._udp.example.com. 3600 IN SRV 1 2 5060 sip.example.com."),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("example.com. 3600 IN CAA 0 issue \"ca.example\""), std::string::npos);
  EXPECT_NE(t.find("; OPTION: 10: 0102030405060708"), std::string::npos);
  for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (const auto& r : *section) {
      auto back = rdataFromText(r.type, rdataToText(r.type, r.rdata));
      ASSERT_TRUE(back.ok()) << recordToText(r);
      EXPECT_EQ(*back, r.rdata) << recordToText(r);
    }
  }
}

}  // namespace
}  // namespace vpcdns::dns
