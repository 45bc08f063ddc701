// Typed RDATA from the wire (RFC 1035 §3.3, RFC 3596, RFC 2782, RFC 6672, RFC 8659), and the
// uncompressed wire form back.
#include <cstring>

#include "dns/rdata.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

// Reads inside msg[0, end): `end` is the end of the RDATA, so a typed field running past it is a
// RDLENGTH mismatch (kBadRdata), never a read outside the message.
class RdataReader {
 public:
  RdataReader(std::span<const uint8_t> msg, size_t offset, size_t end)
      : msg_(msg.first(end)), pos_(offset) {}

  bool u8(uint8_t& v) {
    if (pos_ + 1 > msg_.size()) return false;
    v = msg_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (pos_ + 2 > msg_.size()) return false;
    v = static_cast<uint16_t>(msg_[pos_] << 8 | msg_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (pos_ + 4 > msg_.size()) return false;
    v = static_cast<uint32_t>(msg_[pos_]) << 24 | static_cast<uint32_t>(msg_[pos_ + 1]) << 16 |
        static_cast<uint32_t>(msg_[pos_ + 2]) << 8 | msg_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool bytes(uint8_t* out, size_t n) {
    if (pos_ + n > msg_.size()) return false;
    std::memcpy(out, &msg_[pos_], n);
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> take(size_t n) {
    auto s = msg_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // Names may be compressed; pointers resolve against everything before them in the message.
  Status<Error> name(Name& out) {
    auto r = Name::fromWire(msg_, pos_);
    if (!r) return fail(r.error() == Error::kTruncated ? Error::kBadRdata : r.error());
    out = *r;
    return {};
  }
  size_t remaining() const { return msg_.size() - pos_; }
  bool atEnd() const { return pos_ == msg_.size(); }

 private:
  std::span<const uint8_t> msg_;
  size_t pos_;
};

bool isAlnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Result<Rdata, Error> readName(RdataReader& r) {
  RdataName d;
  if (auto s = r.name(d.name); !s) return fail(s.error());
  return Rdata{d};
}

Result<Rdata, Error> readSoa(RdataReader& r) {
  RdataSoa d;
  if (auto s = r.name(d.mname); !s) return fail(s.error());
  if (auto s = r.name(d.rname); !s) return fail(s.error());
  if (!r.u32(d.serial) || !r.u32(d.refresh) || !r.u32(d.retry) || !r.u32(d.expire) ||
      !r.u32(d.minimum)) {
    return fail(Error::kBadRdata);
  }
  return Rdata{d};
}

Result<Rdata, Error> readMx(RdataReader& r) {
  RdataMx d;
  if (!r.u16(d.preference)) return fail(Error::kBadRdata);
  if (auto s = r.name(d.exchange); !s) return fail(s.error());
  return Rdata{d};
}

// One or more <character-string>s filling the RDATA exactly (RFC 1035 §3.3.14).
Result<Rdata, Error> readTxt(RdataReader& r) {
  if (r.atEnd()) return fail(Error::kBadRdata);
  RdataTxt d;
  while (!r.atEnd()) {
    uint8_t len = 0;
    r.u8(len);
    if (len > r.remaining()) return fail(Error::kBadRdata);
    auto s = r.take(len);
    d.strings.emplace_back(reinterpret_cast<const char*>(s.data()), s.size());
  }
  return Rdata{std::move(d)};
}

Result<Rdata, Error> readSrv(RdataReader& r) {
  RdataSrv d;
  if (!r.u16(d.priority) || !r.u16(d.weight) || !r.u16(d.port)) return fail(Error::kBadRdata);
  if (auto s = r.name(d.target); !s) return fail(s.error());
  return Rdata{d};
}

// RFC 8659 §4.1: flags, tag length 1..255, tag of [A-Za-z0-9], value to the end.
Result<Rdata, Error> readCaa(RdataReader& r) {
  RdataCaa d;
  uint8_t tag_len = 0;
  if (!r.u8(d.flags) || !r.u8(tag_len) || tag_len == 0 || tag_len > r.remaining()) {
    return fail(Error::kBadRdata);
  }
  auto tag = r.take(tag_len);
  for (uint8_t c : tag) {
    if (!isAlnum(c)) return fail(Error::kBadRdata);
  }
  d.tag.assign(reinterpret_cast<const char*>(tag.data()), tag.size());
  auto value = r.take(r.remaining());
  d.value.assign(value.begin(), value.end());
  return Rdata{std::move(d)};
}

Result<Rdata, Error> readTyped(uint16_t type, RdataReader& r) {
  switch (type) {
    case rrtype::kA: {
      RdataA d;
      if (!r.bytes(d.addr.data(), d.addr.size())) return fail(Error::kBadRdata);
      return Rdata{d};
    }
    case rrtype::kAAAA: {
      RdataAAAA d;
      if (!r.bytes(d.addr.data(), d.addr.size())) return fail(Error::kBadRdata);
      return Rdata{d};
    }
    case rrtype::kNS:
    case rrtype::kCNAME:
    case rrtype::kDNAME:
    case rrtype::kPTR:
      return readName(r);
    case rrtype::kSOA:
      return readSoa(r);
    case rrtype::kMX:
      return readMx(r);
    case rrtype::kTXT:
      return readTxt(r);
    case rrtype::kSRV:
      return readSrv(r);
    case rrtype::kCAA:
      return readCaa(r);
    default: {
      auto s = r.take(r.remaining());
      return Rdata{RdataOpaque{std::vector<uint8_t>(s.begin(), s.end())}};
    }
  }
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
void putName(std::vector<uint8_t>& out, const Name& n) {
  out.insert(out.end(), n.wire().begin(), n.wire().end());
}

struct WireAppender {
  std::vector<uint8_t>& out;
  bool operator()(const RdataOpaque& d) {
    out.insert(out.end(), d.data.begin(), d.data.end());
    return true;
  }
  bool operator()(const RdataA& d) {
    out.insert(out.end(), d.addr.begin(), d.addr.end());
    return true;
  }
  bool operator()(const RdataAAAA& d) {
    out.insert(out.end(), d.addr.begin(), d.addr.end());
    return true;
  }
  bool operator()(const RdataName& d) {
    putName(out, d.name);
    return true;
  }
  bool operator()(const RdataSoa& d) {
    putName(out, d.mname);
    putName(out, d.rname);
    for (uint32_t v : {d.serial, d.refresh, d.retry, d.expire, d.minimum}) put32(out, v);
    return true;
  }
  bool operator()(const RdataMx& d) {
    put16(out, d.preference);
    putName(out, d.exchange);
    return true;
  }
  bool operator()(const RdataTxt& d) {
    if (d.strings.empty()) return false;
    for (const auto& s : d.strings) {
      if (s.size() > 255) return false;
      out.push_back(static_cast<uint8_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    return true;
  }
  bool operator()(const RdataSrv& d) {
    put16(out, d.priority);
    put16(out, d.weight);
    put16(out, d.port);
    putName(out, d.target);
    return true;
  }
  bool operator()(const RdataCaa& d) {
    if (d.tag.empty() || d.tag.size() > 255) return false;
    out.push_back(d.flags);
    out.push_back(static_cast<uint8_t>(d.tag.size()));
    out.insert(out.end(), d.tag.begin(), d.tag.end());
    out.insert(out.end(), d.value.begin(), d.value.end());
    return true;
  }
};

}  // namespace

Result<Rdata, Error> readRdata(uint16_t type, std::span<const uint8_t> msg, size_t offset,
                               uint16_t rdlength) {
  if (offset > msg.size() || rdlength > msg.size() - offset) return fail(Error::kTruncated);
  RdataReader r(msg, offset, offset + rdlength);
  auto rd = readTyped(type, r);
  if (!rd) return rd;
  if (!r.atEnd()) return fail(Error::kBadRdata);
  return rd;
}

bool rdataNamesCompressible(uint16_t type) {
  switch (type) {
    case rrtype::kNS:
    case rrtype::kCNAME:
    case rrtype::kSOA:
    case rrtype::kPTR:
    case rrtype::kMX:
      return true;
    default:
      return false;
  }
}

bool appendRdataWire(const Rdata& rdata, std::vector<uint8_t>& out) {
  size_t start = out.size();
  bool ok = std::visit(WireAppender{out}, rdata);
  if (!ok || out.size() - start > 0xFFFF) {
    out.resize(start);
    return false;
  }
  return true;
}

}  // namespace vpcdns::dns
