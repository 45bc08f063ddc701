// Typed RDATA (RFC 1035 §3.3, RFC 3596, RFC 2782, RFC 6672, RFC 8659) and the opaque form
// (RFC 3597) for every other type.
//
// Compression (RFC 3597 §4): names inside RDATA are decompressed on read for every typed record
// here, and compressed on write only for the RFC 1035 types NS, CNAME, SOA, PTR and MX; never
// for SRV, DNAME or unknown types.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "dns/error.h"
#include "dns/name.h"

namespace vpcdns::dns {

struct RdataA {
  std::array<uint8_t, 4> addr{};
  bool operator==(const RdataA&) const = default;
};
struct RdataAAAA {
  std::array<uint8_t, 16> addr{};
  bool operator==(const RdataAAAA&) const = default;
};
// NS, CNAME, DNAME, PTR: a single name; the record's type says which.
struct RdataName {
  Name name;
  bool operator==(const RdataName& o) const { return name == o.name; }
};
struct RdataSoa {
  Name mname;
  Name rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  bool operator==(const RdataSoa& o) const {
    return mname == o.mname && rname == o.rname && serial == o.serial && refresh == o.refresh &&
           retry == o.retry && expire == o.expire && minimum == o.minimum;
  }
};
struct RdataMx {
  uint16_t preference = 0;
  Name exchange;
  bool operator==(const RdataMx& o) const {
    return preference == o.preference && exchange == o.exchange;
  }
};
// One or more <character-string>s, each at most 255 octets.
struct RdataTxt {
  std::vector<std::string> strings;
  bool operator==(const RdataTxt&) const = default;
};
struct RdataSrv {
  uint16_t priority = 0, weight = 0, port = 0;
  Name target;
  bool operator==(const RdataSrv& o) const {
    return priority == o.priority && weight == o.weight && port == o.port && target == o.target;
  }
};
struct RdataCaa {
  uint8_t flags = 0;
  std::string tag;  // 1..255 octets, [A-Za-z0-9]
  std::vector<uint8_t> value;
  bool operator==(const RdataCaa&) const = default;
};
// Any other type, and the types above when their RDATA is of unknown shape to us.
struct RdataOpaque {
  std::vector<uint8_t> data;
  bool operator==(const RdataOpaque&) const = default;
};

using Rdata = std::variant<RdataOpaque, RdataA, RdataAAAA, RdataName, RdataSoa, RdataMx, RdataTxt,
                           RdataSrv, RdataCaa>;

// Reads RDATA of `type` occupying msg[offset, offset+rdlength). Names may be compressed
// (pointers resolve against the whole `msg`). The typed form must consume exactly rdlength
// octets, otherwise kBadRdata. Unknown types give RdataOpaque.
Result<Rdata, Error> readRdata(uint16_t type, std::span<const uint8_t> msg, size_t offset,
                               uint16_t rdlength);

// Presentation form of the RDATA, as in a zone file: "192.0.2.1", "10 mail.example.",
// "\"text\" \"more\"", and "\# 4 c0000201" for RdataOpaque (RFC 3597 §5).
std::string rdataToText(uint16_t type, const Rdata& rdata);

// Parses the presentation form of RDATA of `type` (names are all taken as absolute, whether or
// not they end with a dot). "\# len hex" is accepted for every type.
Result<Rdata, Error> rdataFromText(uint16_t type, std::string_view text);

// Zone-file form (RFC 1035 §5.1): as above, but names inside the RDATA may be relative: a name
// without a trailing (unescaped) dot is completed with `origin`, and a lone "@" is `origin`.
Result<Rdata, Error> rdataFromText(uint16_t type, std::string_view text, const Name& origin);

// A name in zone-file form (RFC 1035 §5.1): "@" is `origin`; a name ending with an unescaped dot
// is absolute (Name::fromText); any other is relative to `origin`. kNameTooLong when the
// completed name is longer than 255 octets.
Result<Name, Error> nameFromText(std::string_view text, const Name& origin);

// Whether names in RDATA of `type` may be compressed on write (RFC 3597 §4).
bool rdataNamesCompressible(uint16_t type);

// Appends the uncompressed wire form of `rdata` (names in the case given) to `out`. False, with
// `out` unchanged, if it has no valid wire form: TXT without strings or with one > 255 octets,
// CAA tag empty or > 255 octets, or more than 65535 octets in all.
bool appendRdataWire(const Rdata& rdata, std::vector<uint8_t>& out);

}  // namespace vpcdns::dns
