// Domain names (RFC 1035 §3.1, §4.1.4; RFC 4343 case rules; RFC 4034 §6.1 canonical order).
//
// A Name holds the uncompressed wire form inline (no heap allocation), in the case it was
// received or written: 0x20 case randomisation needs the original case, so case-folding happens
// only in comparisons and hashing. Always absolute (ends with the root label).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "dns/error.h"

namespace vpcdns::dns {

inline constexpr size_t kMaxNameLength = 255;  // octets in wire form, including the root label
inline constexpr size_t kMaxLabelLength = 63;

class Name {
 public:
  // The root name ".".
  Name() { wire_[0] = 0; }

  // Presentation form: labels separated by '.', with `\.`, `\\` and `\DDD` escapes. A trailing
  // dot is optional; the name is always taken as absolute. "." and "" are the root. `origin`-
  // relative names are the zone-file parser's business, not this one's.
  static Result<Name, Error> fromText(std::string_view text);

  // Wire form at `offset` inside a whole message (compression pointers are resolved against
  // `msg`). On success `offset` is moved past the name as it appears at that position (past the
  // first pointer, if any). Pointers must point strictly backwards, not into the 12-byte header,
  // and at most 127 may be followed.
  static Result<Name, Error> fromWire(std::span<const uint8_t> msg, size_t& offset);

  // Uncompressed wire form, e.g. {3,'w','w','w',0}.
  std::span<const uint8_t> wire() const { return {wire_.data(), len_}; }
  size_t wireLength() const { return len_; }
  // Number of labels, not counting the root label ("." has 0, "a.b." has 2).
  size_t labelCount() const { return labels_; }
  bool isRoot() const { return labels_ == 0; }

  // Presentation form with a trailing dot; characters outside [!-~] and the specials
  // `. ; \ ( ) " @ $` escaped.
  std::string toText() const;

  // Label i (0 = leftmost), without its length byte. Requires i < labelCount().
  std::span<const uint8_t> label(size_t i) const;

  // The name with the leftmost `n` labels removed (n <= labelCount()).
  Name stripLeft(size_t n) const;
  Name parent() const { return isRoot() ? *this : stripLeft(1); }
  // Prepends one label (raw octets). Fails with kLabelTooLong / kNameTooLong.
  Result<Name, Error> prepend(std::span<const uint8_t> label) const;

  // True if this name equals `ancestor` or lies below it, on whole labels, ignoring ASCII case.
  bool isSubdomainOf(const Name& ancestor) const;

  // ASCII-case-insensitive equality (RFC 4343).
  bool operator==(const Name& other) const;
  // Exact octet equality, case included (for 0x20 checks).
  bool identical(const Name& other) const;
  // Canonical DNS order (RFC 4034 §6.1): by labels right to left, each compared as
  // lowercased octet strings.
  std::strong_ordering canonicalCompare(const Name& other) const;

  // Case-insensitive hash, seeded so that network input cannot choose collisions.
  size_t hash(uint64_t seed = 0) const;

  // Lowercased copy (for keys that are compared bytewise).
  Name lowercased() const;

 private:
  std::array<uint8_t, kMaxNameLength> wire_{};
  uint8_t len_ = 1;
  uint8_t labels_ = 0;
};

// Validates the wire name at `offset` exactly as Name::fromWire() does and moves `offset` past
// it, without building the Name (for records that are only skipped). Returns the uncompressed
// wire length (1 for the root).
Result<size_t, Error> skipWireName(std::span<const uint8_t> msg, size_t& offset);

struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

}  // namespace vpcdns::dns
