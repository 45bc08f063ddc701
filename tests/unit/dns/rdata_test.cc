// Typed RDATA: wire and text round trips for every typed type, the RFC 3597 forms, and
// malformed RDATA.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

constexpr uint16_t kPrivateType = 65280;

Name N(std::string_view text) {
  return Name::fromText(text).value();
}

std::vector<uint8_t> W(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

struct Case {
  const char* label;
  uint16_t type;
  Rdata rdata;
  std::string text;
};

std::vector<Case> typedCases() {
  RdataTxt txt;
  txt.strings = {"hello world", "say \"hi\" \\o/", std::string("\x01\xff", 2), ""};
  RdataCaa caa;
  caa.flags = 0;
  caa.tag = "issue";
  caa.value = {'c', 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
  RdataCaa caa_crit;
  caa_crit.flags = 128;
  caa_crit.tag = "iodef";
  caa_crit.value = {'m', 'a', 'i', 'l', 't', 'o', ':', '"', 'x', '"'};
  return {
      {"A", rrtype::kA, RdataA{{192, 0, 2, 1}}, "192.0.2.1"},
      {"AAAA", rrtype::kAAAA,
       RdataAAAA{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, "2001:db8::1"},
      {"NS", rrtype::kNS, RdataName{N("ns1.example.")}, "ns1.example."},
      {"CNAME", rrtype::kCNAME, RdataName{N("target.Example.net.")}, "target.Example.net."},
      {"DNAME", rrtype::kDNAME, RdataName{N("example.org.")}, "example.org."},
      {"PTR", rrtype::kPTR, RdataName{N("host\\.with\\032dot.example.")},
       "host\\.with\\032dot.example."},
      {"SOA", rrtype::kSOA,
       RdataSoa{N("ns.example."), N("hostmaster.example."), 2024010101u, 7200, 3600, 1209600, 300},
       "ns.example. hostmaster.example. 2024010101 7200 3600 1209600 300"},
      {"MX", rrtype::kMX, RdataMx{10, N("mail.example.")}, "10 mail.example."},
      {"TXT", rrtype::kTXT, txt, "\"hello world\" \"say \\\"hi\\\" \\\\o/\" \"\\001\\255\" \"\""},
      {"SRV", rrtype::kSRV, RdataSrv{0, 5, 5060, N("sip.example.")}, "0 5 5060 sip.example."},
      {"CAA", rrtype::kCAA, caa, "0 issue \"ca.example\""},
      {"CAA-critical", rrtype::kCAA, caa_crit, "128 iodef \"mailto:\\\"x\\\"\""},
      {"unknown", kPrivateType, RdataOpaque{{0x01, 0x02, 0xfe}}, "\\# 3 0102fe"},
      {"unknown-empty", kPrivateType, RdataOpaque{}, "\\# 0"},
  };
}

TEST(Rdata, WireRoundTripEveryType) {
  for (const auto& c : typedCases()) {
    std::vector<uint8_t> wire;
    ASSERT_TRUE(appendRdataWire(c.rdata, wire)) << c.label;
    auto back = readRdata(c.type, wire, 0, static_cast<uint16_t>(wire.size()));
    ASSERT_TRUE(back.ok()) << c.label << ": " << errorText(back.error());
    EXPECT_EQ(*back, c.rdata) << c.label;
    std::vector<uint8_t> again;
    ASSERT_TRUE(appendRdataWire(*back, again));
    EXPECT_EQ(again, wire) << c.label;
  }
}

TEST(Rdata, TextRoundTripEveryType) {
  for (const auto& c : typedCases()) {
    EXPECT_EQ(rdataToText(c.type, c.rdata), c.text) << c.label;
    auto back = rdataFromText(c.type, c.text);
    ASSERT_TRUE(back.ok()) << c.label << ": " << c.text;
    EXPECT_EQ(*back, c.rdata) << c.label;
  }
}

TEST(Rdata, GenericFormForTypedTypes) {
  // RFC 3597 §5: "\#" works for every type and yields the typed form.
  for (const auto& c : typedCases()) {
    std::vector<uint8_t> wire;
    ASSERT_TRUE(appendRdataWire(c.rdata, wire));
    std::string text = "\\# " + std::to_string(wire.size());
    static const char* hex = "0123456789ABCDEF";
    for (size_t i = 0; i < wire.size(); ++i) {
      if (i % 3 == 0) text += ' ';  // hex split into words is fine
      text += hex[wire[i] >> 4];
      text += hex[wire[i] & 15];
    }
    auto back = rdataFromText(c.type, text);
    ASSERT_TRUE(back.ok()) << c.label << ": " << text;
    EXPECT_EQ(*back, c.rdata) << c.label;
  }
  EXPECT_EQ(rdataFromText(rrtype::kA, "\\# 4 c0000201").value(), Rdata(RdataA{{192, 0, 2, 1}}));
}

TEST(Rdata, TextAlternativeSpellings) {
  auto txt = rdataFromText(rrtype::kTXT, "unquoted \"two words\"  tab\\032sep");
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(std::get<RdataTxt>(*txt).strings,
            (std::vector<std::string>{"unquoted", "two words", "tab sep"}));
  auto mx = rdataFromText(rrtype::kMX, "  5\tmx.example  ");
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(std::get<RdataMx>(*mx), (RdataMx{5, N("mx.example.")}));
  auto caa = rdataFromText(rrtype::kCAA, "0 issuewild ;");
  ASSERT_TRUE(caa.ok());
  EXPECT_EQ(std::get<RdataCaa>(*caa).value, W({';'}));
}

TEST(Rdata, BadText) {
  const std::pair<uint16_t, const char*> bad[] = {
      {rrtype::kA, "256.0.0.1"},
      {rrtype::kA, "1.2.3"},
      {rrtype::kA, "1.2.3.4 5"},
      {rrtype::kA, ""},
      {rrtype::kAAAA, "2001:db8::g"},
      {rrtype::kNS, "a..b."},
      {rrtype::kNS, "\"quoted.example.\""},
      {rrtype::kMX, "x mail.example."},
      {rrtype::kMX, "65536 mail.example."},
      {rrtype::kMX, "-1 mail.example."},
      {rrtype::kSOA, "ns. host. 1 2 3 4"},
      {rrtype::kSOA, "ns. host. 1 2 3 4 4294967296"},
      {rrtype::kTXT, ""},
      {rrtype::kTXT, "\"unterminated"},
      {rrtype::kTXT, "\"bad\\256\""},
      {rrtype::kTXT, "mid\"quote"},
      {rrtype::kSRV, "1 2 mail.example."},
      {rrtype::kCAA, "0 is-sue \"x\""},
      {rrtype::kCAA, "256 issue \"x\""},
      {rrtype::kCAA, "0 issue"},
      {kPrivateType, "01 02"},
      {kPrivateType, "\\# 3 0102"},
      {kPrivateType, "\\# 2 01020"},
      {kPrivateType, "\\# 1 zz"},
      {kPrivateType, "\\# x 01"},
      {kPrivateType, "\\#"},
      {rrtype::kA, "\\# 3 c00002"},
      {rrtype::kTXT, "\\# 0"},
      {rrtype::kTXT, "\\# 2 0561"},
  };
  for (auto [type, text] : bad) {
    auto r = rdataFromText(type, text);
    EXPECT_FALSE(r.ok()) << typeToText(type) << " " << text;
    if (!r.ok()) {
      EXPECT_EQ(r.error(), Error::kBadText) << text;
    }
  }
  std::string long_string = "\"" + std::string(256, 'a') + "\"";
  EXPECT_FALSE(rdataFromText(rrtype::kTXT, long_string).ok());
  EXPECT_TRUE(rdataFromText(rrtype::kTXT, "\"" + std::string(255, 'a') + "\"").ok());
}

TEST(Rdata, GenericFormRejectsCompressedNames) {
  // A 13-octet mname, then an rname pointer to offset 12 of the RDATA (the mname's root):
  // compression has no meaning in "\#" data.
  auto r =
      rdataFromText(rrtype::kSOA, "\\# 35 0b6162636465666768696a6b00c00c" + std::string(40, '0'));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(
      rdataFromText(rrtype::kSOA, "\\# 34 0b6162636465666768696a6b0000" + std::string(40, '0'))
          .ok());
}

Error wireError(uint16_t type, const std::vector<uint8_t>& msg, size_t offset, size_t len) {
  auto r = readRdata(type, msg, offset, static_cast<uint16_t>(len));
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error::kNoSpace : r.error();
}

TEST(Rdata, MalformedWire) {
  EXPECT_EQ(wireError(rrtype::kA, W({1, 2, 3}), 0, 3), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kA, W({1, 2, 3, 4, 5}), 0, 5), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kAAAA, W({1, 2, 3, 4}), 0, 4), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kA, W({1, 2, 3, 4}), 1, 4), Error::kTruncated);
  EXPECT_EQ(wireError(rrtype::kA, W({1, 2, 3, 4}), 5, 0), Error::kTruncated);
  // Empty TXT, string length past RDATA end (but inside the message).
  EXPECT_EQ(wireError(rrtype::kTXT, W({}), 0, 0), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kTXT, W({3, 'a', 'b', 'c'}), 0, 3), Error::kBadRdata);
  // Names: running past RDATA, trailing octet after the name.
  EXPECT_EQ(wireError(rrtype::kNS, W({3, 'a', 'b', 'c', 0}), 0, 4), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kCNAME, W({1, 'a', 0, 9}), 0, 4), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kMX, W({0}), 0, 1), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kSRV, W({0, 1, 0, 2, 0, 3}), 0, 6), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kSOA, W({0, 0, 0, 0, 0, 1}), 0, 6), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kNS, W({0x40, 0}), 0, 2), Error::kBadLabelType);
  // CAA: empty tag, tag past end, tag not alphanumeric.
  EXPECT_EQ(wireError(rrtype::kCAA, W({0, 0, 'x'}), 0, 3), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kCAA, W({0, 5, 'i', 's'}), 0, 4), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kCAA, W({0, 2, 'i', '-', 'x'}), 0, 5), Error::kBadRdata);
  EXPECT_EQ(wireError(rrtype::kCAA, W({0}), 0, 1), Error::kBadRdata);
}

TEST(Rdata, CompressedNamesInsideMessage) {
  std::vector<uint8_t> msg(12, 0);
  auto name = N("example.com.");
  msg.insert(msg.end(), name.wire().begin(), name.wire().end());
  size_t rdata = msg.size();
  for (uint8_t b : W({0, 10, 4, 'm', 'a', 'i', 'l', 0xC0, 12})) msg.push_back(b);
  auto mx = readRdata(rrtype::kMX, msg, rdata, 9);
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(std::get<RdataMx>(*mx), (RdataMx{10, N("mail.example.com.")}));
  // SRV names are decompressed on read too (RFC 3597 §4: receivers must decompress).
  size_t srv_at = msg.size();
  for (uint8_t b : W({0, 1, 0, 2, 0, 3, 0xC0, 12})) msg.push_back(b);
  auto srv = readRdata(rrtype::kSRV, msg, srv_at, 8);
  ASSERT_TRUE(srv.ok());
  EXPECT_EQ(std::get<RdataSrv>(*srv), (RdataSrv{1, 2, 3, N("example.com.")}));
}

TEST(Rdata, Compressible) {
  for (uint16_t t : {rrtype::kNS, rrtype::kCNAME, rrtype::kSOA, rrtype::kPTR, rrtype::kMX}) {
    EXPECT_TRUE(rdataNamesCompressible(t)) << t;
  }
  for (uint16_t t :
       {rrtype::kSRV, rrtype::kDNAME, rrtype::kA, rrtype::kTXT, rrtype::kCAA, kPrivateType}) {
    EXPECT_FALSE(rdataNamesCompressible(t)) << t;
  }
}

TEST(Rdata, UnencodableRdata) {
  std::vector<uint8_t> out = {9};
  EXPECT_FALSE(appendRdataWire(RdataTxt{}, out));
  RdataTxt big;
  big.strings = {std::string(256, 'x')};
  EXPECT_FALSE(appendRdataWire(big, out));
  EXPECT_FALSE(appendRdataWire(RdataCaa{}, out));
  EXPECT_EQ(out, W({9}));
}

TEST(Rdata, NameFromTextWithOrigin) {
  const Name origin = N("Example.COM.");
  EXPECT_TRUE(nameFromText("@", origin)->identical(origin));
  EXPECT_TRUE(nameFromText("www", origin)->identical(N("www.Example.COM.")));
  EXPECT_TRUE(nameFromText("a.b", origin)->identical(N("a.b.Example.COM.")));
  EXPECT_TRUE(nameFromText("www.other.", origin)->identical(N("www.other.")));
  EXPECT_TRUE(nameFromText(".", origin)->isRoot());
  // An escaped final dot is part of the label: still relative.
  EXPECT_TRUE(nameFromText("a\\.", origin)->identical(N("a\\..Example.COM.")));
  EXPECT_TRUE(nameFromText("a\\\\.", origin)->identical(N("a\\\\.")));
  EXPECT_TRUE(nameFromText("a\\046", origin)->identical(N("a\\..Example.COM.")));
  EXPECT_TRUE(nameFromText("\\@", origin)->identical(N("\\@.Example.COM.")));
  EXPECT_EQ(nameFromText("", origin).error(), Error::kBadText);
  EXPECT_EQ(nameFromText("a..b", origin).error(), Error::kEmptyLabel);
  EXPECT_EQ(nameFromText(std::string(64, 'x'), origin).error(), Error::kLabelTooLong);
  // 255 octets alone (3 x 63-octet labels and one of 61), too long below the origin.
  std::string l63(63, 'x');
  std::string rel = l63 + '.' + l63 + '.' + l63 + '.' + std::string(61, 'y');
  EXPECT_TRUE(nameFromText(rel + '.', origin).ok());
  EXPECT_EQ(nameFromText(rel, origin).error(), Error::kNameTooLong);
}

TEST(Rdata, FromTextWithOriginCompletesRelativeNames) {
  const Name origin = N("example.");
  EXPECT_EQ(rdataFromText(rrtype::kNS, "ns1", origin).value(), Rdata(RdataName{N("ns1.example.")}));
  EXPECT_EQ(rdataFromText(rrtype::kCNAME, "@", origin).value(), Rdata(RdataName{origin}));
  EXPECT_EQ(rdataFromText(rrtype::kMX, "10 mail.other.", origin).value(),
            Rdata(RdataMx{10, N("mail.other.")}));
  EXPECT_EQ(rdataFromText(rrtype::kSRV, "0 5 5060 sip", origin).value(),
            Rdata(RdataSrv{0, 5, 5060, N("sip.example.")}));
  EXPECT_EQ(rdataFromText(rrtype::kSOA, "ns hostmaster.example. 1 2 3 4 5", origin).value(),
            Rdata(RdataSoa{N("ns.example."), N("hostmaster.example."), 1, 2, 3, 4, 5}));
  EXPECT_EQ(rdataFromText(rrtype::kPTR, "host.sub", origin).value(),
            Rdata(RdataName{N("host.sub.example.")}));
  // Non-name RDATA is unaffected; "@" in TXT is text.
  EXPECT_EQ(std::get<RdataTxt>(rdataFromText(rrtype::kTXT, "@", origin).value()).strings,
            std::vector<std::string>{"@"});
  EXPECT_FALSE(rdataFromText(rrtype::kNS, "a..b", origin).ok());
  // The one-argument form keeps taking every name as absolute.
  EXPECT_EQ(rdataFromText(rrtype::kNS, "ns1").value(), Rdata(RdataName{N("ns1.")}));
  EXPECT_EQ(rdataFromText(rrtype::kNS, "@").value(), Rdata(RdataName{N("\\@.")}));
}

}  // namespace
}  // namespace vpcdns::dns
