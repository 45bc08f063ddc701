// TSIG (RFC 8945): finding and parsing the TSIG RR, the MAC input of §4.3, verification in the
// order of §5.2, and the response's TSIG of §5.3. HMACs come from OpenSSL (one-shot HMAC()).
#include "dns/tsig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <string>

#include "dns/message.h"
#include "dns/types.h"

namespace vpcdns::dns {
namespace {

constexpr size_t kRecordFixedSize = 10;  // TYPE + CLASS + TTL + RDLENGTH
constexpr size_t kArcountOffset = 10;
constexpr size_t kMinTruncatedMac = 10;  // RFC 8945 §5.2.2.1
constexpr uint64_t kMax48 = (uint64_t{1} << 48) - 1;

uint16_t get16(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
}
uint32_t get32(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint32_t>(get16(p, off)) << 16 | get16(p, off + 2);
}
uint64_t get48(std::span<const uint8_t> p, size_t off) {
  return static_cast<uint64_t>(get16(p, off)) << 32 | get32(p, off + 2);
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xFF));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xFFFF));
}
void put48(std::vector<uint8_t>& out, uint64_t v) {
  put16(out, static_cast<uint16_t>((v >> 32) & 0xFFFF));
  put32(out, static_cast<uint32_t>(v & 0xFFFFFFFF));
}
void putBytes(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

// The digest of a TSIG algorithm name (RFC 8945 §6), or null for one we do not implement.
const EVP_MD* digestFor(const Name& algorithm) {
  const std::string text = algorithm.lowercased().toText();
  if (text == "hmac-sha256.") return EVP_sha256();
  if (text == "hmac-sha512.") return EVP_sha512();
  if (text == "hmac-sha384.") return EVP_sha384();
  if (text == "hmac-sha224.") return EVP_sha224();
  if (text == "hmac-sha1.") return EVP_sha1();
  return nullptr;
}

std::vector<uint8_t> hmac(const EVP_MD* md, std::span<const uint8_t> secret,
                          std::span<const uint8_t> data) {
  static constexpr uint8_t kEmptyKey = 0;  // HMAC() wants a non-null key even of length 0
  std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  const uint8_t* key = secret.empty() ? &kEmptyKey : secret.data();
  if (!HMAC(md, key, static_cast<int>(secret.size()), data.data(), data.size(), out.data(), &len)) {
    return {};
  }
  return {out.begin(), out.begin() + len};
}

// The TSIG RR as found in a message (RFC 8945 §4.2). Spans point into the message.
struct TsigRecord {
  size_t start = 0;  // offset of the RR's owner name: the message without TSIG is [0, start)
  Name owner;
  Name algorithm;
  uint64_t time_signed = 0;
  uint16_t fudge = 0;
  std::span<const uint8_t> mac;
  uint16_t original_id = 0;
  uint16_t error = 0;
  std::span<const uint8_t> other;
};

// Moves `off` past one RR, checking bounds; returns its type, or nullopt if malformed.
std::optional<uint16_t> skipRecord(std::span<const uint8_t> p, size_t& off) {
  if (!skipWireName(p, off)) return std::nullopt;
  if (p.size() - off < kRecordFixedSize) return std::nullopt;
  const uint16_t type = get16(p, off);
  const size_t rdlength = get16(p, off + 8);
  off += kRecordFixedSize;
  if (p.size() - off < rdlength) return std::nullopt;
  off += rdlength;
  return type;
}

// Reads the TSIG RDATA in p[off, end) into `t` (RFC 8945 §4.2). The algorithm name must not be
// compressed (§4.2) and the fields must fill RDLENGTH exactly.
bool readTsigRdata(std::span<const uint8_t> p, size_t off, size_t end, TsigRecord& t) {
  const size_t alg_start = off;
  auto alg = Name::fromWire(p.first(end), off);
  if (!alg || off - alg_start != alg->wireLength()) return false;
  t.algorithm = *alg;
  if (end - off < 10) return false;  // time signed, fudge, MAC size
  t.time_signed = get48(p, off);
  t.fudge = get16(p, off + 6);
  const size_t mac_size = get16(p, off + 8);
  off += 10;
  if (end - off < mac_size + 6) return false;  // MAC, original ID, error, other len
  t.mac = p.subspan(off, mac_size);
  off += mac_size;
  t.original_id = get16(p, off);
  t.error = get16(p, off + 2);
  const size_t other_len = get16(p, off + 4);
  off += 6;
  if (end - off != other_len) return false;
  t.other = p.subspan(off, other_len);
  return true;
}

// Reads the TSIG RR at `start`: class ANY and TTL 0 (RFC 8945 §4.2).
bool readTsigRecord(std::span<const uint8_t> p, size_t start, TsigRecord& t) {
  t.start = start;
  size_t off = start;
  auto owner = Name::fromWire(p, off);
  if (!owner || p.size() - off < kRecordFixedSize) return false;
  t.owner = *owner;
  if (get16(p, off + 2) != rrclass::kANY || get32(p, off + 4) != 0) return false;
  const size_t rdlength = get16(p, off + 8);
  off += kRecordFixedSize;
  if (p.size() - off < rdlength) return false;
  return readTsigRdata(p, off, off + rdlength, t);
}

enum class Found : uint8_t { kNone, kTsig, kMalformed };

// Walks every record of `p`. A TSIG RR must be the last record, in the additional section, and
// the only one (RFC 8945 §5.1); the message must end with it.
Found findTsig(std::span<const uint8_t> p, TsigRecord& t) {
  auto h = parseHeader(p);
  if (!h) return Found::kMalformed;
  size_t off = kHeaderSize;
  for (size_t i = 0; i < h->qdcount; ++i) {
    if (!skipWireName(p, off) || p.size() - off < 4) return Found::kMalformed;
    off += 4;
  }
  const size_t before_additional = size_t{h->ancount} + h->nscount;
  const size_t total = before_additional + h->arcount;
  size_t tsig_start = 0;
  bool found = false;
  for (size_t i = 0; i < total; ++i) {
    const size_t start = off;
    auto type = skipRecord(p, off);
    if (!type) return Found::kMalformed;
    if (*type != kTypeTsig) continue;
    if (i + 1 != total || i < before_additional) return Found::kMalformed;
    tsig_start = start;
    found = true;
  }
  if (off != p.size()) return Found::kMalformed;
  if (!found) return Found::kNone;
  return readTsigRecord(p, tsig_start, t) ? Found::kTsig : Found::kMalformed;
}

// The TSIG variables of RFC 8945 §4.3.3, names in canonical (lowercase) form.
struct Variables {
  const Name& key_name;
  const Name& algorithm;
  uint64_t time_signed;
  uint16_t fudge;
  uint16_t error;
  std::span<const uint8_t> other;
};

void appendVariables(std::vector<uint8_t>& out, const Variables& v) {
  putBytes(out, v.key_name.lowercased().wire());
  put16(out, rrclass::kANY);
  put32(out, 0);  // TTL
  putBytes(out, v.algorithm.lowercased().wire());
  put48(out, v.time_signed);
  put16(out, v.fudge);
  put16(out, v.error);
  put16(out, static_cast<uint16_t>(v.other.size()));
  putBytes(out, v.other);
}

// The MAC input (RFC 8945 §4.3): [prior MAC length + prior MAC] (responses only), the message
// msg[0, end) with the ID replaced by `id` and ARCOUNT by `arcount`, then the variables.
std::vector<uint8_t> macInput(std::span<const uint8_t> prior_mac, bool with_prior,
                              std::span<const uint8_t> msg, size_t end, uint16_t id,
                              uint16_t arcount, const Variables& vars) {
  std::vector<uint8_t> data;
  data.reserve(end + prior_mac.size() + 2 * kMaxNameLength + 32);
  if (with_prior) {
    put16(data, static_cast<uint16_t>(prior_mac.size()));
    putBytes(data, prior_mac);
  }
  const size_t header_at = data.size();
  putBytes(data, msg.first(end));
  data[header_at] = static_cast<uint8_t>(id >> 8);
  data[header_at + 1] = static_cast<uint8_t>(id & 0xFF);
  data[header_at + kArcountOffset] = static_cast<uint8_t>(arcount >> 8);
  data[header_at + kArcountOffset + 1] = static_cast<uint8_t>(arcount & 0xFF);
  appendVariables(data, vars);
  return data;
}

// |now - time_signed| <= fudge (RFC 8945 §5.2.3).
bool timeOk(uint64_t time_signed, uint16_t fudge, uint64_t now) {
  const uint64_t skew = now > time_signed ? now - time_signed : time_signed - now;
  return skew <= fudge;
}

// Checks the MAC size against the hash (RFC 8945 §5.2.2.1): not longer than the hash, not
// shorter than max(10, hash/2).
bool macSizeOk(size_t mac_size, size_t full) {
  return mac_size <= full && mac_size >= std::max(kMinTruncatedMac, full / 2);
}

// The TSIG RR (RFC 8945 §4.2) with the fields given, uncompressed.
std::vector<uint8_t> tsigRecordWire(const Name& owner, const Name& algorithm, uint64_t time_signed,
                                    uint16_t fudge, std::span<const uint8_t> mac,
                                    uint16_t original_id, uint16_t error,
                                    std::span<const uint8_t> other) {
  std::vector<uint8_t> rdata;
  putBytes(rdata, algorithm.wire());
  put48(rdata, time_signed);
  put16(rdata, fudge);
  put16(rdata, static_cast<uint16_t>(mac.size()));
  putBytes(rdata, mac);
  put16(rdata, original_id);
  put16(rdata, error);
  put16(rdata, static_cast<uint16_t>(other.size()));
  putBytes(rdata, other);
  std::vector<uint8_t> rr;
  putBytes(rr, owner.wire());
  put16(rr, kTypeTsig);
  put16(rr, rrclass::kANY);
  put32(rr, 0);
  put16(rr, static_cast<uint16_t>(rdata.size()));
  putBytes(rr, rdata);
  return rr;
}

// Appends `rr` to buf[0, size) and counts it in ARCOUNT; 0 if it does not fit.
size_t appendRecord(std::span<uint8_t> buf, size_t size, std::span<const uint8_t> rr) {
  if (size < kHeaderSize || size > buf.size() || buf.size() - size < rr.size()) return 0;
  const uint16_t arcount = get16(buf, kArcountOffset);
  if (arcount == 0xFFFF) return 0;
  std::copy(rr.begin(), rr.end(), buf.begin() + static_cast<std::ptrdiff_t>(size));
  const auto next = static_cast<uint16_t>(arcount + 1);
  buf[kArcountOffset] = static_cast<uint8_t>(next >> 8);
  buf[kArcountOffset + 1] = static_cast<uint8_t>(next & 0xFF);
  return size + rr.size();
}

TsigVerified formErr() {
  TsigVerified v;
  v.error = TsigError::kFormErr;
  return v;
}

TsigVerified describe(const TsigRecord& t) {
  TsigVerified v;
  v.request_mac.assign(t.mac.begin(), t.mac.end());
  v.original_id = t.original_id;
  v.key_name = t.owner;
  v.algorithm = t.algorithm;
  v.time_signed = t.time_signed;
  v.fudge = t.fudge;
  return v;
}

// MAC, time and truncation checks of RFC 8945 §5.2.2-§5.2.4 for a TSIG whose key is known.
TsigError checkMac(const TsigRecord& t, const TsigKey& key, std::span<const uint8_t> data,
                   uint64_t now) {
  const EVP_MD* md = digestFor(key.algorithm);
  const auto full = static_cast<size_t>(EVP_MD_get_size(md));
  if (!macSizeOk(t.mac.size(), full)) return TsigError::kFormErr;
  const std::vector<uint8_t> computed = hmac(md, key.secret, data);
  if (computed.size() != full || CRYPTO_memcmp(computed.data(), t.mac.data(), t.mac.size()) != 0) {
    return TsigError::kBadSig;
  }
  if (!timeOk(t.time_signed, t.fudge, now)) return TsigError::kBadTime;
  if (t.mac.size() < full) return TsigError::kBadTrunc;  // local policy: no truncation
  return TsigError::kNone;
}

const TsigKey* findKey(std::span<const TsigKey> keys, const TsigRecord& t) {
  for (const TsigKey& k : keys) {
    if (k.name == t.owner && k.algorithm == t.algorithm && digestFor(k.algorithm)) return &k;
  }
  return nullptr;
}

size_t decodedValue(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<size_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<size_t>(c - 'a') + 26;
  if (c >= '0' && c <= '9') return static_cast<size_t>(c - '0') + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return 64;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  size_t sextets = 0;  // data characters so far
  size_t pad = 0;
  for (char c : text) {
    if (isSpace(c)) continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    const size_t v = decodedValue(c);
    if (v == 64 || pad > 0) return std::nullopt;  // bad character, or data after padding
    acc = acc << 6 | static_cast<uint32_t>(v);
    if (++sextets % 4 == 0) {
      out.push_back(static_cast<uint8_t>(acc >> 16));
      out.push_back(static_cast<uint8_t>(acc >> 8));
      out.push_back(static_cast<uint8_t>(acc));
      acc = 0;
    }
  }
  const size_t rest = sextets % 4;
  if (rest == 1 || (pad > 0 && (rest == 0 || rest + pad != 4))) return std::nullopt;
  if (rest == 2) out.push_back(static_cast<uint8_t>(acc >> 4));
  if (rest == 3) {
    out.push_back(static_cast<uint8_t>(acc >> 10));
    out.push_back(static_cast<uint8_t>(acc >> 2));
  }
  return out;
}

TsigVerified verifyTsig(std::span<const uint8_t> packet, std::span<const TsigKey> keys,
                        uint64_t now_seconds) {
  TsigRecord t;
  switch (findTsig(packet, t)) {
    case Found::kNone:
      return {};
    case Found::kMalformed:
      return formErr();
    case Found::kTsig:
      break;
  }
  TsigVerified v = describe(t);
  const TsigKey* key = findKey(keys, t);
  if (!key) {
    v.error = TsigError::kBadKey;
    return v;
  }
  const auto arcount = static_cast<uint16_t>(get16(packet, kArcountOffset) - 1);
  const Variables vars{t.owner, t.algorithm, t.time_signed, t.fudge, t.error, t.other};
  const auto data = macInput({}, false, packet, t.start, t.original_id, arcount, vars);
  v.error = checkMac(t, *key, data, now_seconds);
  if (v.error == TsigError::kNone || v.error == TsigError::kBadTime ||
      v.error == TsigError::kBadTrunc) {
    v.key = key;
  }
  return v;
}

size_t signTsigResponse(std::span<uint8_t> buf, size_t size, const TsigVerified& request,
                        uint64_t now_seconds) {
  const TsigError e = request.error;
  if (e == TsigError::kFormErr || (e == TsigError::kNone && !request.key)) return size;
  if (size < kHeaderSize || size > buf.size()) return 0;
  // §5.3.2: errors about the key or MAC go back unsigned; the others are signed.
  const bool sign = request.key && (e == TsigError::kNone || e == TsigError::kBadTime ||
                                    e == TsigError::kBadTrunc);
  const uint64_t now = now_seconds & kMax48;
  // §5.2.3: BADTIME echoes the request's time and carries ours in Other Data.
  const uint64_t time_signed = e == TsigError::kBadTime ? request.time_signed : now;
  std::vector<uint8_t> other;
  if (e == TsigError::kBadTime) put48(other, now);
  const auto error = static_cast<uint16_t>(e);
  const uint16_t fudge = request.fudge ? request.fudge : kDefaultTsigFudge;
  std::vector<uint8_t> mac;
  if (sign) {
    const Variables vars{request.key_name, request.algorithm, time_signed, fudge, error, other};
    const auto data = macInput(request.request_mac, true, buf, size, request.original_id,
                               get16(buf, kArcountOffset), vars);
    mac = hmac(digestFor(request.key->algorithm), request.key->secret, data);
    if (mac.empty()) return 0;
  }
  const auto rr = tsigRecordWire(request.key_name, request.algorithm, time_signed, fudge, mac,
                                 request.original_id, error, other);
  return appendRecord(buf, size, rr);
}

size_t signTsigRequest(std::span<uint8_t> buf, size_t size, const TsigKey& key,
                       uint64_t now_seconds, uint16_t fudge, std::vector<uint8_t>* mac_out) {
  const EVP_MD* md = digestFor(key.algorithm);
  if (!md || size < kHeaderSize || size > buf.size()) return 0;
  const uint64_t now = now_seconds & kMax48;
  const uint16_t id = get16(buf, 0);
  const Variables vars{key.name, key.algorithm, now, fudge, 0, {}};
  const auto data = macInput({}, false, buf, size, id, get16(buf, kArcountOffset), vars);
  const auto mac = hmac(md, key.secret, data);
  if (mac.empty()) return 0;
  const auto rr = tsigRecordWire(key.name, key.algorithm, now, fudge, mac, id, 0, {});
  const size_t n = appendRecord(buf, size, rr);
  if (n && mac_out) *mac_out = mac;
  return n;
}

TsigVerified verifyTsigResponse(std::span<const uint8_t> packet, const TsigKey& key,
                                std::span<const uint8_t> request_mac, uint64_t now_seconds) {
  TsigRecord t;
  switch (findTsig(packet, t)) {
    case Found::kNone:
      return {};
    case Found::kMalformed:
      return formErr();
    case Found::kTsig:
      break;
  }
  TsigVerified v = describe(t);
  if (!(key.name == t.owner && key.algorithm == t.algorithm) || !digestFor(key.algorithm)) {
    v.error = TsigError::kBadKey;
    return v;
  }
  if (t.mac.empty() && t.error != 0) {  // an unsigned error answer (§5.3.2)
    v.error = static_cast<TsigError>(t.error);
    return v;
  }
  const auto arcount = static_cast<uint16_t>(get16(packet, kArcountOffset) - 1);
  const Variables vars{t.owner, t.algorithm, t.time_signed, t.fudge, t.error, t.other};
  const auto data = macInput(request_mac, true, packet, t.start, t.original_id, arcount, vars);
  v.error = checkMac(t, key, data, now_seconds);
  if (v.error == TsigError::kNone && t.error != 0) v.error = static_cast<TsigError>(t.error);
  if (v.error != TsigError::kBadSig && v.error != TsigError::kFormErr) v.key = &key;
  return v;
}

}  // namespace vpcdns::dns
