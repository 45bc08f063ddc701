// Domain names: wire and presentation forms, RFC 4343 case rules, RFC 4034 §6.1 ordering.
//
// Invariant of every Name: wire_[0, len_) is a valid uncompressed name of labels_ labels, each
// 1..63 octets, ending with the root label, len_ <= 255. Every constructor path checks it.
#include <algorithm>
#include <cstring>

#include "dns/escape.h"
#include "dns/name.h"

namespace vpcdns::dns {
namespace {

constexpr size_t kHeaderOctets = 12;  // RFC 1035 §4.1.1; no pointer may target the header
constexpr size_t kMaxPointers = 127;  // more jumps than a 255-octet name can need
constexpr size_t kMaxLabels = 127;    // (255 - 1) / 2

constexpr uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

// Case-insensitive equality of `n` octets. Length octets (< 64) are unaffected by lower(), so
// this compares whole wire forms label-structure included.
bool equalFolded(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Offsets of the length octet of every non-root label of a valid wire name.
size_t labelOffsets(std::span<const uint8_t> wire, std::array<uint8_t, kMaxLabels>& out) {
  size_t n = 0;
  for (size_t off = 0; wire[off] != 0; off += 1u + wire[off]) out[n++] = static_cast<uint8_t>(off);
  return n;
}

// Offset of label `i` in a valid wire name (i <= label count; i == count gives the root).
size_t offsetOfLabel(std::span<const uint8_t> wire, size_t i) {
  size_t off = 0;
  for (; i > 0 && wire[off] != 0; --i) off += 1u + wire[off];
  return off;
}

bool isSpecial(uint8_t c) {
  switch (c) {
    case '.':
    case ';':
    case '\\':
    case '(':
    case ')':
    case '"':
    case '@':
    case '$':
      return true;
    default:
      return false;
  }
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// 64x64->128 multiply folded to 64 bits (the wyhash primitive).
uint64_t mum(uint64_t a, uint64_t b) {
  __extension__ using U128 = unsigned __int128;
  U128 r = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Result<Name, Error> Name::fromText(std::string_view text) {
  Name n;
  if (text.empty() || text == ".") return n;
  size_t out = 0;          // next free octet of n.wire_
  size_t label_start = 0;  // where the current label's length octet goes
  size_t label_len = 0;
  bool open = false;  // a label has been started and not closed by '.'
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      if (!open || label_len == 0) return fail(Error::kEmptyLabel);
      n.wire_[label_start] = static_cast<uint8_t>(label_len);
      ++n.labels_;
      open = false;
      ++i;
      continue;
    }
    if (!open) {
      open = true;
      label_start = out++;
      label_len = 0;
    }
    uint8_t byte = 0;
    if (c == '\\') {
      if (i + 1 >= text.size()) return fail(Error::kBadText);
      char e = text[i + 1];
      if (isDigit(e)) {
        // \DDD: exactly three decimal digits, value <= 255 (RFC 1035 §5.1).
        if (i + 3 >= text.size() || !isDigit(text[i + 2]) || !isDigit(text[i + 3])) {
          return fail(Error::kBadText);
        }
        int v = (e - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return fail(Error::kBadText);
        byte = static_cast<uint8_t>(v);
        i += 4;
      } else {
        byte = static_cast<uint8_t>(e);
        i += 2;
      }
    } else {
      byte = static_cast<uint8_t>(c);
      ++i;
    }
    if (label_len == kMaxLabelLength) return fail(Error::kLabelTooLong);
    if (out + 1 + 1 > kMaxNameLength) return fail(Error::kNameTooLong);  // + root label
    n.wire_[out++] = byte;
    ++label_len;
  }
  if (open) {
    n.wire_[label_start] = static_cast<uint8_t>(label_len);
    ++n.labels_;
  }
  n.wire_[out++] = 0;
  n.len_ = static_cast<uint8_t>(out);
  return n;
}

namespace {

// RFC 1035 §4.1.4 name walk shared by fromWire() and skipWireName(): calls on_label(pos, len)
// for every non-root label in order, returns the uncompressed length, and moves `offset` past
// the name as it appears in place. Pointers must go strictly backwards and not into the header;
// that alone makes every chain finite except label/pointer cycles, which the visited set and
// the cap catch.
template <class OnLabel>
Result<size_t, Error> walkWireName(std::span<const uint8_t> msg, size_t& offset, OnLabel on_label) {
  size_t out = 0;  // uncompressed octets so far, without the root label
  size_t pos = offset;
  size_t resume = 0;  // offset just past the first pointer, 0 while none was followed
  // Positions of the pointers followed so far, to report cycles as loops; only [0, jumps) is
  // ever read, so it is left uninitialised (this is on the per-query path).
  std::array<size_t, kMaxPointers> followed;
  size_t jumps = 0;
  for (;;) {
    if (pos >= msg.size()) return fail(Error::kTruncated);
    uint8_t len = msg[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= msg.size()) return fail(Error::kTruncated);
      size_t target = (static_cast<size_t>(len & 0x3F) << 8) | msg[pos + 1];
      if (target < kHeaderOctets) return fail(Error::kBadPointer);
      if (target == pos) return fail(Error::kPointerLoop);
      if (target > pos) return fail(Error::kBadPointer);
      for (size_t i = 0; i < jumps; ++i) {
        if (followed[i] == pos) return fail(Error::kPointerLoop);
      }
      if (jumps == kMaxPointers) return fail(Error::kPointerLoop);
      followed[jumps++] = pos;
      if (resume == 0) resume = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xC0) != 0) return fail(Error::kBadLabelType);  // 0x40, 0x80 (RFC 6891 §5)
    if (len == 0) break;
    if (pos + 1 + len > msg.size()) return fail(Error::kTruncated);
    if (out + 1 + len + 1 > kMaxNameLength) return fail(Error::kNameTooLong);
    on_label(pos, len);
    out += 1u + len;
    pos += 1u + len;
  }
  offset = resume != 0 ? resume : pos + 1;
  return out + 1;
}

}  // namespace

Result<Name, Error> Name::fromWire(std::span<const uint8_t> msg, size_t& offset) {
  Name n;
  size_t out = 0;
  auto len = walkWireName(msg, offset, [&](size_t pos, uint8_t label_len) {
    std::memcpy(&n.wire_[out], &msg[pos], 1u + label_len);
    out += 1u + label_len;
    ++n.labels_;
  });
  if (!len) return fail(len.error());
  n.wire_[out] = 0;
  n.len_ = static_cast<uint8_t>(*len);
  return n;
}

Result<size_t, Error> skipWireName(std::span<const uint8_t> msg, size_t& offset) {
  return walkWireName(msg, offset, [](size_t, uint8_t) {});
}

std::string Name::toText() const {
  if (isRoot()) return ".";
  std::string s;
  s.reserve(len_ + 8u);
  for (size_t off = 0; wire_[off] != 0; off += 1u + wire_[off]) {
    for (size_t i = off + 1; i <= off + wire_[off]; ++i) {
      uint8_t c = wire_[i];
      if (isSpecial(c)) {
        s += '\\';
        s += static_cast<char>(c);
      } else if (c < 0x21 || c > 0x7E) {
        detail::appendDecimalEscape(s, c);
      } else {
        s += static_cast<char>(c);
      }
    }
    s += '.';
  }
  return s;
}

std::span<const uint8_t> Name::label(size_t i) const {
  size_t off = offsetOfLabel(wire(), i);
  return {wire_.data() + off + 1, wire_[off]};  // i >= labelCount() gives an empty span
}

Name Name::stripLeft(size_t n) const {
  n = std::min<size_t>(n, labels_);
  size_t off = offsetOfLabel(wire(), n);
  Name r;
  std::memcpy(r.wire_.data(), &wire_[off], len_ - off);
  r.len_ = static_cast<uint8_t>(len_ - off);
  r.labels_ = static_cast<uint8_t>(labels_ - n);
  return r;
}

Result<Name, Error> Name::prepend(std::span<const uint8_t> label) const {
  if (label.empty()) return fail(Error::kEmptyLabel);
  if (label.size() > kMaxLabelLength) return fail(Error::kLabelTooLong);
  if (len_ + 1 + label.size() > kMaxNameLength) return fail(Error::kNameTooLong);
  Name r;
  r.wire_[0] = static_cast<uint8_t>(label.size());
  std::memcpy(&r.wire_[1], label.data(), label.size());
  std::memcpy(&r.wire_[1 + label.size()], wire_.data(), len_);
  r.len_ = static_cast<uint8_t>(len_ + 1 + label.size());
  r.labels_ = static_cast<uint8_t>(labels_ + 1);
  return r;
}

bool Name::isSubdomainOf(const Name& ancestor) const {
  if (ancestor.labels_ > labels_) return false;
  // Skipping whole labels keeps "bexample.com" from matching "example.com".
  size_t off = offsetOfLabel(wire(), labels_ - ancestor.labels_);
  return len_ - off == ancestor.len_ &&
         equalFolded(&wire_[off], ancestor.wire_.data(), ancestor.len_);
}

bool Name::operator==(const Name& other) const {
  return len_ == other.len_ && equalFolded(wire_.data(), other.wire_.data(), len_);
}

bool Name::identical(const Name& other) const {
  return len_ == other.len_ && std::memcmp(wire_.data(), other.wire_.data(), len_) == 0;
}

std::strong_ordering Name::canonicalCompare(const Name& other) const {
  std::array<uint8_t, kMaxLabels> a{}, b{};
  size_t na = labelOffsets(wire(), a);
  size_t nb = labelOffsets(other.wire(), b);
  // RFC 4034 §6.1: rightmost label first; a label that is a prefix of another sorts first;
  // when all shared labels are equal, the name with fewer labels sorts first.
  for (size_t i = 1; i <= std::min(na, nb); ++i) {
    const uint8_t* la = &wire_[a[na - i]];
    const uint8_t* lb = &other.wire_[b[nb - i]];
    size_t n = std::min(la[0], lb[0]);
    for (size_t k = 1; k <= n; ++k) {
      if (auto c = lower(la[k]) <=> lower(lb[k]); c != 0) return c;
    }
    if (auto c = la[0] <=> lb[0]; c != 0) return c;
  }
  return na <=> nb;
}

size_t Name::hash(uint64_t seed) const {
  // Keyed multiply-fold hash over the lowercased wire form. The seed enters the initial state
  // and every multiplier, so collisions found for one seed say nothing about another.
  constexpr uint64_t kP0 = 0xa0761d6478bd642fULL, kP1 = 0xe7037ed1a0b428dbULL,
                     kP2 = 0x8ebc6af09c88c6e3ULL;
  const uint64_t key = (splitmix64(seed) ^ kP2) | 1u;
  uint64_t h = splitmix64(seed ^ kP0) ^ len_;
  for (size_t off = 0; off < len_; off += 8) {
    uint64_t w = 0;
    size_t n = std::min<size_t>(8, len_ - off);
    for (size_t i = 0; i < n; ++i) w |= static_cast<uint64_t>(lower(wire_[off + i])) << (8 * i);
    h = mum(h ^ w ^ kP1, key);
  }
  return static_cast<size_t>(mum(h ^ kP0, key ^ kP1));
}

Name Name::lowercased() const {
  Name r = *this;
  for (size_t i = 0; i < len_; ++i) r.wire_[i] = lower(wire_[i]);
  return r;
}

}  // namespace vpcdns::dns
