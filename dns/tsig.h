// TSIG: secret-key transaction authentication (RFC 8945), as BIND's nsupdate and dig -y use it.
//
// verifyTsig() checks a request's TSIG RR in the order of RFC 8945 §5.2 (format, key, MAC,
// time, truncation); signTsigResponse() appends the TSIG RR to the answer (§5.3). Algorithms:
// hmac-sha256 (the default of nsupdate and dig), hmac-sha512, hmac-sha384, hmac-sha224 and
// hmac-sha1 (RFC 8945 §6). No I/O, no global state; the HMACs are OpenSSL's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dns/name.h"

namespace vpcdns::dns {

inline constexpr uint16_t kTypeTsig = 250;          // RFC 8945 §4.2
inline constexpr uint16_t kDefaultTsigFudge = 300;  // seconds, RFC 8945 §10

struct TsigKey {
  Name name;       // the key name, e.g. "k1." (compared case-insensitively)
  Name algorithm;  // "hmac-sha256." (or hmac-sha512., hmac-sha384., hmac-sha224., hmac-sha1.)
  std::vector<uint8_t> secret;
};

// Decodes base64 (RFC 4648 §4) as in nsupdate key files and BIND's `secret "...";`: whitespace
// anywhere is ignored, padding is optional but must be correct when present. nullopt on any other
// character, misplaced '=', or a length that cannot be base64.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);

// The TSIG ERROR field (RFC 8945 §3, IANA "DNS RCODEs"); kFormErr stands for a malformed or
// misplaced TSIG RR, which is answered with RCODE FORMERR and no TSIG (§5.1, §5.2.2.1).
enum class TsigError : uint16_t {
  kNone = 0,
  kFormErr = 1,
  kBadSig = 16,
  kBadKey = 17,
  kBadTime = 18,
  kBadTrunc = 22,
};

struct TsigVerified {
  // The key whose MAC matched (points into the `keys` given to verifyTsig()): non-null exactly
  // when error is kNone, kBadTime or kBadTrunc. Only error == kNone && key != nullptr means
  // "authenticated"; key == nullptr && error == kNone means the request carried no TSIG.
  const TsigKey* key = nullptr;
  TsigError error = TsigError::kNone;
  std::vector<uint8_t> request_mac;  // the request's MAC, which the response's MAC covers
  uint16_t original_id = 0;
  Name key_name;  // as in the request (the response's TSIG owner, also for BADKEY)
  Name algorithm;
  uint64_t time_signed = 0;
  uint16_t fudge = 0;
};

// Verifies the TSIG RR of `packet` against `keys` at time `now_seconds` (seconds since the
// epoch). RFC 8945 §5.1-§5.2:
//  - no TSIG RR anywhere: {key = nullptr, error = kNone};
//  - a TSIG RR that is not the last record of the additional section, more than one, class not
//    ANY, TTL not 0, compressed algorithm name, RDATA not filling RDLENGTH, MAC longer than the
//    hash or shorter than max(10, hash/2) (§5.2.2.1), or a packet that cannot be walked: kFormErr;
//  - no key with that name and algorithm, or an algorithm we lack: kBadKey;
//  - MAC mismatch (compared with CRYPTO_memcmp): kBadSig;
//  - |now - time signed| > fudge (checked only after a good MAC): kBadTime;
//  - a good but truncated MAC (local policy: full-length MACs only, §5.2.4): kBadTrunc.
// The MAC covers the message without the TSIG RR, ARCOUNT decremented and the original ID
// restored, then the TSIG variables (§4.3.3): owner and algorithm names in canonical
// (lowercase, uncompressed) form, class ANY, TTL 0, time signed (48 bits), fudge, error, other
// length, other data.
TsigVerified verifyTsig(std::span<const uint8_t> packet, std::span<const TsigKey> keys,
                        uint64_t now_seconds);

// Appends the TSIG RR for the response to `request` to the finished message buf[0, size) and
// increments its ARCOUNT. Returns the new size, or 0 (buf unchanged) if buf.size() is too small.
// By request.error (RFC 8945 §5.3):
//  - kNone with a key: MAC over the request MAC (2-octet length + MAC), the response as it stands
//    and the TSIG variables (§4.3.1, §5.3.1), time signed = now;
//  - kBadTime: signed as above, but time signed = the request's and other data = now as 48 bits
//    (§5.2.3), so the client can see the clock skew;
//  - kBadTrunc: signed as above with the error code (§5.3.2);
//  - kBadKey, kBadSig: unsigned (MAC size 0) with the error code (§5.3.2);
//  - no TSIG in the request (key == nullptr, kNone) or kFormErr: nothing is appended and `size`
//    is returned (a FORMERR answer carries no TSIG).
// The caller sets RCODE NOTAUTH in the header for kBadKey/kBadSig/kBadTime/kBadTrunc (§5.2)
// before calling this; the header's ID must be the request's original ID.
size_t signTsigResponse(std::span<uint8_t> buf, size_t size, const TsigVerified& request,
                        uint64_t now_seconds);

// Signs a request (client side; RFC 8945 §4.3.3, §5.1) the same way nsupdate does: appends a
// TSIG RR with the given key, time and fudge to buf[0, size), increments ARCOUNT. Returns the new
// size or 0. For tests and tools; `mac_out` (optional) receives the MAC, to check the response.
size_t signTsigRequest(std::span<uint8_t> buf, size_t size, const TsigKey& key,
                       uint64_t now_seconds, uint16_t fudge = kDefaultTsigFudge,
                       std::vector<uint8_t>* mac_out = nullptr);

// Verifies a response's TSIG against the MAC of the request it answers (RFC 8945 §5.3.1, the
// client side). Same result conventions as verifyTsig(); for tests and tools.
TsigVerified verifyTsigResponse(std::span<const uint8_t> packet, const TsigKey& key,
                                std::span<const uint8_t> request_mac, uint64_t now_seconds);

}  // namespace vpcdns::dns
