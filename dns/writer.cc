// MessageWriter (RFC 1035 §4.1.4 compression, RFC 2181 §9 truncation, RFC 6891 §6.1.2 OPT).
//
// Invariants: pos_ + reserved_ <= limit_ <= buf_.size(), limit_ <= 65535; every put*() checks
// against limit_ - reserved_, so nothing is ever written at or past limit_. Every entry of
// targets_ is the offset (< 0x4000, >= 12) of a label this writer wrote, whose name continues
// to the root through labels and backward pointers also written by it.
#include <algorithm>
#include <cstring>

#include "dns/writer.h"

namespace vpcdns::dns {
namespace {

constexpr size_t kMaxPointerTarget = 0x3FFF;  // 14-bit pointer offsets
constexpr size_t kOptFixedSize = 11;          // root + TYPE + CLASS + TTL + RDLENGTH

constexpr uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

size_t optSize(const Edns& e) {
  size_t n = kOptFixedSize;
  for (const auto& o : e.options) n += 4 + o.data.size();
  return n;
}

}  // namespace

struct MessageWriter::Compressor {
  // Whether the name written at `target` equals `suffix` (a valid uncompressed wire name),
  // ignoring ASCII case. Only reads what this writer wrote (see the invariants above).
  static bool matches(std::span<const uint8_t> buf, size_t target,
                      std::span<const uint8_t> suffix) {
    size_t p = target, i = 0;
    for (size_t steps = 0; steps < 2 * kMaxNameLength; ++steps) {
      uint8_t b = buf[p];
      if ((b & 0xC0) == 0xC0) {
        p = static_cast<size_t>(b & 0x3F) << 8 | buf[p + 1];
        continue;
      }
      if (b != suffix[i]) return false;
      if (b == 0) return true;
      for (size_t k = 1; k <= b; ++k) {
        if (lower(buf[p + k]) != lower(suffix[i + k])) return false;
      }
      p += 1u + b;
      i += 1u + b;
    }
    return false;
  }
};

MessageWriter::MessageWriter(std::span<uint8_t> buf, size_t limit)
    : buf_(buf), limit_(std::min({limit, buf.size(), size_t{0xFFFF}})) {
  if (limit_ < kHeaderSize) closed_ = true;
}

bool MessageWriter::put8(uint8_t v) {
  if (limit_ - reserved_ - pos_ < 1) return false;
  buf_[pos_++] = v;
  return true;
}

bool MessageWriter::put16(uint16_t v) {
  if (limit_ - reserved_ - pos_ < 2) return false;
  buf_[pos_++] = static_cast<uint8_t>(v >> 8);
  buf_[pos_++] = static_cast<uint8_t>(v);
  return true;
}

bool MessageWriter::put32(uint32_t v) {
  return put16(static_cast<uint16_t>(v >> 16)) && put16(static_cast<uint16_t>(v));
}

bool MessageWriter::putBytes(std::span<const uint8_t> b) {
  if (limit_ - reserved_ - pos_ < b.size()) return false;
  if (!b.empty()) std::memcpy(&buf_[pos_], b.data(), b.size());
  pos_ += b.size();
  return true;
}

bool MessageWriter::writeName(const Name& name, bool compress) {
  auto wire = name.wire();
  std::array<uint8_t, kMaxNameLength / 2> offs{};
  size_t nlabels = 0;
  for (size_t off = 0; wire[off] != 0; off += 1u + wire[off])
    offs[nlabels++] = static_cast<uint8_t>(off);

  // Longest already-written suffix wins; a suffix is only ever compared against a target of
  // the same uncompressed length, so whole labels match whole labels.
  size_t match = nlabels;
  uint16_t pointer = 0;
  for (size_t i = 0; compress && i < nlabels && match == nlabels; ++i) {
    auto suffix = wire.subspan(offs[i]);
    for (size_t t = 0; t < ntargets_; ++t) {
      if (target_lens_[t] == suffix.size() && Compressor::matches(buf_, targets_[t], suffix)) {
        match = i;
        pointer = targets_[t];
        break;
      }
    }
  }
  size_t start = pos_;
  size_t prefix = match < nlabels ? offs[match] : wire.size();
  if (!putBytes(wire.first(prefix))) return false;
  if (match < nlabels && !put16(static_cast<uint16_t>(0xC000 | pointer))) return false;
  if (compress) {
    for (size_t i = 0; i < match && ntargets_ < kMaxCompressionTargets; ++i) {
      size_t at = start + offs[i];
      if (at > kMaxPointerTarget) break;
      targets_[ntargets_] = static_cast<uint16_t>(at);
      target_lens_[ntargets_] = static_cast<uint8_t>(wire.size() - offs[i]);
      ++ntargets_;
    }
  }
  return true;
}

bool MessageWriter::writeRdata(const Record& r) {
  size_t len_at = pos_;
  if (!put16(0)) return false;
  const bool compress = rdataNamesCompressible(r.type);
  bool ok = std::visit(
      Overloaded{
          [&](const RdataOpaque& d) { return putBytes(d.data); },
          [&](const RdataA& d) { return putBytes(d.addr); },
          [&](const RdataAAAA& d) { return putBytes(d.addr); },
          [&](const RdataName& d) { return writeName(d.name, compress); },
          [&](const RdataSoa& d) {
            return writeName(d.mname, compress) && writeName(d.rname, compress) &&
                   put32(d.serial) && put32(d.refresh) && put32(d.retry) && put32(d.expire) &&
                   put32(d.minimum);
          },
          [&](const RdataMx& d) { return put16(d.preference) && writeName(d.exchange, compress); },
          [&](const RdataTxt& d) {
            if (d.strings.empty()) return false;
            for (const auto& s : d.strings) {
              if (s.size() > 255 || !put8(static_cast<uint8_t>(s.size())) ||
                  !putBytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()})) {
                return false;
              }
            }
            return true;
          },
          [&](const RdataSrv& d) {
            // RFC 2782: the target is never compressed.
            return put16(d.priority) && put16(d.weight) && put16(d.port) &&
                   writeName(d.target, false);
          },
          [&](const RdataCaa& d) {
            return !d.tag.empty() && d.tag.size() <= 255 && put8(d.flags) &&
                   put8(static_cast<uint8_t>(d.tag.size())) &&
                   putBytes({reinterpret_cast<const uint8_t*>(d.tag.data()), d.tag.size()}) &&
                   putBytes(d.value);
          },
      },
      r.rdata);
  size_t rdlength = pos_ - len_at - 2;
  if (!ok || rdlength > 0xFFFF) return false;
  buf_[len_at] = static_cast<uint8_t>(rdlength >> 8);
  buf_[len_at + 1] = static_cast<uint8_t>(rdlength);
  return true;
}

bool MessageWriter::addQuestion(const Question& q) {
  if (closed_ || counts_[0] != 0 || counts_[1] + counts_[2] + counts_[3] != 0) return false;
  size_t save_pos = pos_, save_targets = ntargets_;
  if (!writeName(q.name, true) || !put16(q.type) || !put16(q.cls)) {
    pos_ = save_pos;
    ntargets_ = save_targets;
    return false;
  }
  counts_[0] = 1;
  return true;
}

bool MessageWriter::setEdns(const Edns& edns) {
  if (finished_ || limit_ < kHeaderSize) return false;
  size_t size = optSize(edns);
  if (size - kOptFixedSize > 0xFFFF || size > limit_ - pos_) return false;
  edns_ = edns;
  has_edns_ = true;
  reserved_ = size;
  return true;
}

void MessageWriter::setRcode(uint16_t rcode) {
  header_.rcode = static_cast<uint8_t>(rcode & 0x0F);
  if (has_edns_) edns_.ext_rcode = static_cast<uint8_t>(rcode >> 4);
}

bool MessageWriter::addRRset(Section section, std::span<const Record> rrset, const Name* owner) {
  if (closed_ || section < section_) return false;
  section_ = section;
  if (rrset.empty()) return true;
  const size_t idx = 1 + static_cast<size_t>(section);
  size_t save_pos = pos_, save_targets = ntargets_;
  bool ok = counts_[idx] + rrset.size() <= 0xFFFF;
  for (size_t i = 0; ok && i < rrset.size(); ++i) {
    const Record& r = rrset[i];
    ok = writeName(owner != nullptr ? *owner : r.name, true) && put16(r.type) && put16(r.cls) &&
         put32(r.ttl) && writeRdata(r);
  }
  if (!ok) {
    // RRset-atomic: no partial RRset ever reaches the wire (RFC 2181 §9).
    pos_ = save_pos;
    ntargets_ = save_targets;
    if (section != Section::kAdditional) {
      truncated_ = true;
      closed_ = true;
    }
    return false;
  }
  counts_[idx] = static_cast<uint16_t>(counts_[idx] + rrset.size());
  return true;
}

size_t MessageWriter::finish() {
  if (limit_ < kHeaderSize) return 0;
  if (finished_) return pos_;
  finished_ = true;
  closed_ = true;
  if (has_edns_) {
    reserved_ = 0;  // the space reserved in setEdns() is exactly what is written here
    size_t rdlength = optSize(edns_) - kOptFixedSize;
    uint32_t ttl = static_cast<uint32_t>(edns_.ext_rcode) << 24 |
                   static_cast<uint32_t>(edns_.version) << 16 | (edns_.do_bit ? 0x8000u : 0u) |
                   (edns_.z & 0x7FFFu);
    bool ok = put8(0) && put16(rrtype::kOPT) && put16(edns_.udp_size) && put32(ttl) &&
              put16(static_cast<uint16_t>(rdlength));
    for (const auto& o : edns_.options) {
      ok = ok && put16(o.code) && put16(static_cast<uint16_t>(o.data.size())) && putBytes(o.data);
    }
    (void)ok;  // cannot fail: setEdns() reserved the space
  }
  Header h = header_;
  h.tc = h.tc || truncated_;
  h.qdcount = counts_[0];
  h.ancount = counts_[1];
  h.nscount = counts_[2];
  h.arcount = static_cast<uint16_t>(counts_[3] + (has_edns_ ? 1 : 0));
  writeHeader(h, buf_.first<kHeaderSize>());
  return pos_;
}

std::vector<uint8_t> Message::encode(size_t max_size) const {
  std::vector<uint8_t> buf(std::min<size_t>(max_size, 0xFFFF));
  MessageWriter w(buf, buf.size());
  w.setHeader(header);
  if (edns) (void)w.setEdns(*edns);
  // The writer holds at most one question; parse() never yields more (RFC 9619).
  if (!questions.empty()) (void)w.addQuestion(questions.front());
  const std::pair<Section, const std::vector<Record>*> sections[] = {
      {Section::kAnswer, &answer},
      {Section::kAuthority, &authority},
      {Section::kAdditional, &additional}};
  for (auto [section, records] : sections) {
    std::span<const Record> all(*records);
    for (size_t i = 0; i < all.size() && !w.truncated();) {
      size_t j = i + 1;
      while (j < all.size() && all[j].name == all[i].name && all[j].type == all[i].type &&
             all[j].cls == all[i].cls) {
        ++j;
      }
      (void)w.addRRset(section, all.subspan(i, j - i));
      i = j;
    }
  }
  buf.resize(w.finish());
  return buf;
}

}  // namespace vpcdns::dns
