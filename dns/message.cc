// Message parsing (RFC 1035 §4.1, RFC 6891 §6): the strict whole-message parser and the
// allocation-free query parser. Both check every length against the packet before reading.
#include "dns/message.h"

namespace vpcdns::dns {
namespace {

constexpr size_t kMinQuestionSize = 5;   // root name + TYPE + CLASS
constexpr size_t kMinRecordSize = 11;    // root name + TYPE + CLASS + TTL + RDLENGTH
constexpr size_t kRecordFixedSize = 10;  // TYPE + CLASS + TTL + RDLENGTH

uint16_t get16(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
}
uint32_t get32(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint32_t>(get16(p, off)) << 16 | get16(p, off + 2);
}

// Whether the counted sections could fit in the packet at all. Checked before anything is
// reserved, so a 12-byte packet claiming 65535 records costs nothing.
bool countsPossible(const Header& h, size_t packet_size) {
  size_t need =
      h.qdcount * kMinQuestionSize + (size_t{h.ancount} + h.nscount + h.arcount) * kMinRecordSize;
  return need <= packet_size - kHeaderSize;
}

// The fixed part of an RR after its owner name, with RDATA bounds checked.
struct RecordHead {
  uint16_t type = 0, cls = 0;
  uint32_t ttl = 0;
  uint16_t rdlength = 0;
  size_t rdata = 0;  // offset of the RDATA
};

Result<RecordHead, Error> readRecordHead(std::span<const uint8_t> p, size_t& off) {
  if (p.size() - off < kRecordFixedSize) return fail(Error::kTruncated);
  RecordHead rh;
  rh.type = get16(p, off);
  rh.cls = get16(p, off + 2);
  rh.ttl = get32(p, off + 4);
  rh.rdlength = get16(p, off + 8);
  rh.rdata = off + kRecordFixedSize;
  if (p.size() - rh.rdata < rh.rdlength) return fail(Error::kTruncated);
  off = rh.rdata + rh.rdlength;
  return rh;
}

// Walks the OPT RDATA's {code, length, data} options (RFC 6891 §6.1.2); appends them to `out`
// when given, otherwise only validates.
Status<Error> readOptions(std::span<const uint8_t> rdata, std::vector<EdnsOption>* out) {
  size_t off = 0;
  while (off < rdata.size()) {
    if (rdata.size() - off < 4) return fail(Error::kBadRdata);
    uint16_t code = get16(rdata, off);
    uint16_t len = get16(rdata, off + 2);
    off += 4;
    if (rdata.size() - off < len) return fail(Error::kBadRdata);
    if (out) {
      auto d = rdata.subspan(off, len);
      out->push_back(EdnsOption{code, std::vector<uint8_t>(d.begin(), d.end())});
    }
    off += len;
  }
  return {};
}

// RFC 6891 §6.1.3: TTL = EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15); CLASS = UDP payload size.
Edns ednsFromFixed(const RecordHead& rh) {
  Edns e;
  e.udp_size = rh.cls;
  e.ext_rcode = static_cast<uint8_t>(rh.ttl >> 24);
  e.version = static_cast<uint8_t>(rh.ttl >> 16);
  e.do_bit = (rh.ttl & 0x8000u) != 0;
  e.z = static_cast<uint16_t>(rh.ttl & 0x7FFFu);
  return e;
}

Result<Question, Error> readQuestion(std::span<const uint8_t> p, size_t& off) {
  auto name = Name::fromWire(p, off);
  if (!name) return fail(name.error());
  if (p.size() - off < 4) return fail(Error::kTruncated);
  Question q{*name, get16(p, off), get16(p, off + 2)};
  off += 4;
  return q;
}

// One RR of `section` into `m`: the OPT goes to m.edns, everything else to its section.
Status<Error> readRecord(std::span<const uint8_t> p, size_t& off, Section section, Message& m) {
  auto owner = Name::fromWire(p, off);
  if (!owner) return fail(owner.error());
  auto rh = readRecordHead(p, off);
  if (!rh) return fail(rh.error());
  if (rh->type == rrtype::kOPT) {
    if (section != Section::kAdditional || !owner->isRoot()) return fail(Error::kBadOpt);
    if (m.edns) return fail(Error::kDuplicateOpt);
    Edns e = ednsFromFixed(*rh);
    if (auto s = readOptions(p.subspan(rh->rdata, rh->rdlength), &e.options); !s) {
      return fail(s.error());
    }
    m.edns = std::move(e);
    return {};
  }
  Record r{*owner, rh->type, rh->cls, rh->ttl, RdataOpaque{}};
  // RFC 2136 §2.4-2.5: UPDATE prerequisites and deletions carry class ANY/NONE with empty RDATA,
  // which is not a typed RDATA of the type; keep it opaque.
  bool update_empty = rh->rdlength == 0 && (rh->cls == rrclass::kANY || rh->cls == rrclass::kNONE);
  if (!update_empty) {
    auto rd = readRdata(rh->type, p, rh->rdata, rh->rdlength);
    if (!rd) return fail(rd.error());
    r.rdata = std::move(*rd);
  }
  auto& list = section == Section::kAnswer      ? m.answer
               : section == Section::kAuthority ? m.authority
                                                : m.additional;
  list.push_back(std::move(r));
  return {};
}

// Skips one RR of a query (validating its owner and bounds); records a found OPT in `v`.
Status<Error> skipQueryRecord(std::span<const uint8_t> p, size_t& off, bool additional,
                              QueryView& v) {
  auto owner_len = skipWireName(p, off);
  if (!owner_len) return fail(owner_len.error());
  auto rh = readRecordHead(p, off);
  if (!rh) return fail(rh.error());
  if (rh->type != rrtype::kOPT) return {};
  if (!additional || *owner_len != 1) return fail(Error::kBadOpt);
  if (v.has_edns) return fail(Error::kDuplicateOpt);
  if (auto s = readOptions(p.subspan(rh->rdata, rh->rdlength), nullptr); !s) {
    return fail(s.error());
  }
  Edns e = ednsFromFixed(*rh);  // no options: no allocation
  v.has_edns = true;
  v.edns_udp_size = e.udp_size;
  v.edns_version = e.version;
  v.edns_do = e.do_bit;
  return {};
}

}  // namespace

Result<Header, Error> parseHeader(std::span<const uint8_t> packet) {
  if (packet.size() < kHeaderSize) return fail(Error::kTruncated);
  Header h;
  h.id = get16(packet, 0);
  uint8_t b2 = packet[2], b3 = packet[3];
  h.qr = (b2 & 0x80) != 0;
  h.opcode = static_cast<uint8_t>((b2 >> 3) & 0x0F);
  h.aa = (b2 & 0x04) != 0;
  h.tc = (b2 & 0x02) != 0;
  h.rd = (b2 & 0x01) != 0;
  h.ra = (b3 & 0x80) != 0;
  h.z = (b3 & 0x40) != 0;
  h.ad = (b3 & 0x20) != 0;
  h.cd = (b3 & 0x10) != 0;
  h.rcode = static_cast<uint8_t>(b3 & 0x0F);
  h.qdcount = get16(packet, 4);
  h.ancount = get16(packet, 6);
  h.nscount = get16(packet, 8);
  h.arcount = get16(packet, 10);
  return h;
}

void writeHeader(const Header& h, std::span<uint8_t, kHeaderSize> out) {
  auto put16 = [&](size_t off, uint16_t v) {
    out[off] = static_cast<uint8_t>(v >> 8);
    out[off + 1] = static_cast<uint8_t>(v);
  };
  put16(0, h.id);
  out[2] = static_cast<uint8_t>((h.qr ? 0x80 : 0) | (h.opcode & 0x0F) << 3 | (h.aa ? 0x04 : 0) |
                                (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0));
  out[3] = static_cast<uint8_t>((h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) | (h.ad ? 0x20 : 0) |
                                (h.cd ? 0x10 : 0) | (h.rcode & 0x0F));
  put16(4, h.qdcount);
  put16(6, h.ancount);
  put16(8, h.nscount);
  put16(10, h.arcount);
}

uint16_t Message::rcode() const {
  uint16_t ext = edns ? static_cast<uint16_t>(edns->ext_rcode << 4) : 0;
  return static_cast<uint16_t>(ext | (header.rcode & 0x0F));
}

void Message::setRcode(uint16_t rc) {
  header.rcode = static_cast<uint8_t>(rc & 0x0F);
  uint8_t ext = static_cast<uint8_t>((rc >> 4) & 0xFF);
  if (ext != 0 && !edns) edns.emplace();
  if (edns) edns->ext_rcode = ext;
}

Result<Message, Error> Message::parse(std::span<const uint8_t> packet) {
  auto h = parseHeader(packet);
  if (!h) return fail(h.error());
  // RFC 9619: QDCOUNT > 1 is a FORMERR for every opcode in use.
  if (h->qdcount > 1 || !countsPossible(*h, packet.size())) return fail(Error::kBadCount);
  Message m;
  m.header = *h;
  size_t off = kHeaderSize;
  if (h->qdcount == 1) {
    auto q = readQuestion(packet, off);
    if (!q) return fail(q.error());
    m.questions.push_back(*q);
  }
  // countsPossible() bounds every reserve() by packet.size() / kMinRecordSize.
  m.answer.reserve(h->ancount);
  m.authority.reserve(h->nscount);
  m.additional.reserve(h->arcount);
  const std::pair<Section, uint16_t> sections[] = {{Section::kAnswer, h->ancount},
                                                   {Section::kAuthority, h->nscount},
                                                   {Section::kAdditional, h->arcount}};
  for (auto [section, count] : sections) {
    for (uint16_t i = 0; i < count; ++i) {
      if (auto s = readRecord(packet, off, section, m); !s) return fail(s.error());
    }
  }
  if (off != packet.size()) return fail(Error::kTrailingData);
  return m;
}

Result<QueryView, Error> parseQuery(std::span<const uint8_t> packet, bool* header_ok) {
  if (header_ok) *header_ok = false;
  auto h = parseHeader(packet);
  if (!h) return fail(h.error());
  if (header_ok) *header_ok = true;
  QueryView v;
  v.header = *h;
  if (h->qdcount > 1 || h->ancount != 0 || !countsPossible(*h, packet.size())) {
    return fail(Error::kBadCount);
  }
  size_t off = kHeaderSize;
  if (h->qdcount == 1) {
    auto name = Name::fromWire(packet, off);
    if (!name) return fail(name.error());
    if (packet.size() - off < 4) return fail(Error::kTruncated);
    v.question.name = *name;
    v.question.type = get16(packet, off);
    v.question.cls = get16(packet, off + 2);
    off += 4;
  }
  v.question_end = off;
  // Authority records are allowed (UPDATE, RFC 2136 §3.4) but only bounds-checked here.
  for (uint16_t i = 0; i < h->nscount; ++i) {
    if (auto s = skipQueryRecord(packet, off, false, v); !s) return fail(s.error());
  }
  for (uint16_t i = 0; i < h->arcount; ++i) {
    if (auto s = skipQueryRecord(packet, off, true, v); !s) return fail(s.error());
  }
  if (off != packet.size()) return fail(Error::kTrailingData);
  return v;
}

size_t QueryView::responseSizeLimit(uint16_t our_udp_size) const {
  if (!has_edns) return kMinUdpPayload;
  return std::min<size_t>(std::max(edns_udp_size, kMinUdpPayload), our_udp_size);
}

}  // namespace vpcdns::dns
