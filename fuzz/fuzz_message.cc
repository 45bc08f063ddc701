// libFuzzer target for the wire and text parsers. Properties checked (abort on violation):
//  - parseQuery() and Message::parse() never read out of bounds or crash (ASan/UBSan);
//  - header_ok is true exactly when the 12-byte header is there;
//  - a message that parses re-encodes to bytes that parse to the same message, and that
//    encoding is a fixed point;
//  - what Message::parse() accepts without answers, parseQuery() accepts and reads alike;
//  - RDATA of parsed records survives text and back; names survive text and back.
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "dns/message.h"

namespace {

using namespace vpcdns::dns;

void check(bool ok) {
  if (!ok) std::abort();
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

void checkRdataText(const Record& r) {
  if (hasTypedForm(r.type) && std::holds_alternative<RdataOpaque>(r.rdata)) return;  // UPDATE
  auto back = rdataFromText(r.type, rdataToText(r.type, r.rdata));
  check(back.ok() && *back == r.rdata);
}

// An upper bound of the encoded size: every name written out in full.
size_t uncompressedSize(const Message& m) {
  size_t n = kHeaderSize;
  for (const auto& q : m.questions) n += q.name.wireLength() + 4;
  std::vector<uint8_t> rdata;
  for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (const auto& r : *section) {
      rdata.clear();
      check(appendRdataWire(r.rdata, rdata));
      n += r.name.wireLength() + 10 + rdata.size();
    }
  }
  if (m.edns) {
    n += 11;
    for (const auto& o : m.edns->options) n += 4 + o.data.size();
  }
  return n;
}

void fuzzMessage(std::span<const uint8_t> in) {
  bool header_ok = false;
  auto q = parseQuery(in, &header_ok);
  check(header_ok == (in.size() >= kHeaderSize));
  if (q) check(q->question_end <= in.size() && q->responseSizeLimit(1232) >= kMinUdpPayload);

  auto m = Message::parse(in);
  if (!m) return;
  auto wire = m->encode();
  auto again = Message::parse(wire);
  check(again.ok());
  // Decompressed SRV/DNAME names can make the re-encoding outgrow 65535 octets, in which case
  // it is (correctly) truncated or loses additional RRsets: only compare when it cannot.
  if (uncompressedSize(*m) > 0xFFFF) return;
  check(*again == *m);
  check(again->encode() == wire);
  (void)m->toText();
  if (m->header.ancount == 0) {
    check(q.ok());
    check(q->header == m->header && q->has_edns == m->edns.has_value());
    if (!m->questions.empty()) check(q->question == m->questions[0]);
    if (m->edns) check(q->edns_udp_size == m->edns->udp_size && q->edns_do == m->edns->do_bit);
  }
  for (const auto* section : {&m->answer, &m->authority, &m->additional}) {
    for (const auto& r : *section) checkRdataText(r);
  }
}

void fuzzText(std::string_view text) {
  auto name = Name::fromText(text);
  if (name) {
    auto back = Name::fromText(name->toText());
    check(back.ok() && back->identical(*name));
  }
  if (text.empty()) return;
  // First octet picks a typed RR type; the rest is presentation-form RDATA.
  static constexpr uint16_t kTypes[] = {rrtype::kA,   rrtype::kAAAA,  rrtype::kNS,  rrtype::kCNAME,
                                        rrtype::kSOA, rrtype::kMX,    rrtype::kTXT, rrtype::kSRV,
                                        rrtype::kCAA, rrtype::kDNAME, 65280};
  uint16_t type = kTypes[static_cast<uint8_t>(text[0]) % std::size(kTypes)];
  auto rd = rdataFromText(type, text.substr(1));
  if (rd) {
    auto back = rdataFromText(type, rdataToText(type, *rd));
    check(back.ok() && *back == *rd);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzzMessage({data, size});
  fuzzText({reinterpret_cast<const char*>(data), size});
  return 0;
}
