// Numeric code points of DNS (RFC 1035 §3.2, IANA registries) and their mnemonics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vpcdns::dns {

// RR types are plain numbers: any 16-bit value is a valid type (RFC 3597), the named ones are
// those with typed RDATA or that the daemon treats specially.
namespace rrtype {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNS = 2;
inline constexpr uint16_t kCNAME = 5;
inline constexpr uint16_t kSOA = 6;
inline constexpr uint16_t kPTR = 12;
inline constexpr uint16_t kMX = 15;
inline constexpr uint16_t kTXT = 16;
inline constexpr uint16_t kAAAA = 28;
inline constexpr uint16_t kSRV = 33;
inline constexpr uint16_t kDNAME = 39;
inline constexpr uint16_t kOPT = 41;
inline constexpr uint16_t kDS = 43;
inline constexpr uint16_t kRRSIG = 46;
inline constexpr uint16_t kNSEC = 47;
inline constexpr uint16_t kDNSKEY = 48;
inline constexpr uint16_t kIXFR = 251;
inline constexpr uint16_t kAXFR = 252;
inline constexpr uint16_t kANY = 255;
inline constexpr uint16_t kCAA = 257;
}  // namespace rrtype

namespace rrclass {
inline constexpr uint16_t kIN = 1;
inline constexpr uint16_t kCH = 3;
inline constexpr uint16_t kHS = 4;
inline constexpr uint16_t kNONE = 254;
inline constexpr uint16_t kANY = 255;
}  // namespace rrclass

namespace opcode {
inline constexpr uint8_t kQuery = 0;
inline constexpr uint8_t kNotify = 4;
inline constexpr uint8_t kUpdate = 5;
}  // namespace opcode

// RCODEs up to 12 bits (the upper 8 bits travel in the OPT RR, RFC 6891 §6.1.3).
namespace rcode {
inline constexpr uint16_t kNoError = 0;
inline constexpr uint16_t kFormErr = 1;
inline constexpr uint16_t kServFail = 2;
inline constexpr uint16_t kNXDomain = 3;
inline constexpr uint16_t kNotImp = 4;
inline constexpr uint16_t kRefused = 5;
inline constexpr uint16_t kYXDomain = 6;
inline constexpr uint16_t kYXRRSet = 7;
inline constexpr uint16_t kNXRRSet = 8;
inline constexpr uint16_t kNotAuth = 9;
inline constexpr uint16_t kNotZone = 10;
inline constexpr uint16_t kBadVers = 16;
}  // namespace rcode

// "A", "AAAA", ... or "TYPE1234" (RFC 3597 §5) for types without a mnemonic.
std::string typeToText(uint16_t type);
// Accepts the mnemonics above (case-insensitive) and "TYPEnnn".
std::optional<uint16_t> typeFromText(std::string_view text);
// "IN", "CH", "HS", "NONE", "ANY" or "CLASSnnn".
std::string classToText(uint16_t cls);
std::optional<uint16_t> classFromText(std::string_view text);
// "NOERROR", "SERVFAIL", ... or "RCODEnnn".
std::string rcodeToText(uint16_t rcode);
// "QUERY", "NOTIFY", "UPDATE", ... or "OPCODEnn".
std::string opcodeToText(uint8_t opcode);

}  // namespace vpcdns::dns
