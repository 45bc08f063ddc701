// Mnemonics of the IANA DNS parameter registries (RR types, classes, RCODEs, opcodes).
#include <array>
#include <charconv>

#include "dns/types.h"

namespace vpcdns::dns {
namespace {

struct Mnemonic {
  uint16_t value;
  std::string_view text;
};

// Every type with a registered mnemonic that a zone file or dig output is likely to show; those
// without typed RDATA in dns/rdata.h are printed in the RFC 3597 generic form.
constexpr std::array kTypes = {
    Mnemonic{1, "A"},       Mnemonic{2, "NS"},       Mnemonic{5, "CNAME"},
    Mnemonic{6, "SOA"},     Mnemonic{7, "MB"},       Mnemonic{8, "MG"},
    Mnemonic{9, "MR"},      Mnemonic{10, "NULL"},    Mnemonic{11, "WKS"},
    Mnemonic{12, "PTR"},    Mnemonic{13, "HINFO"},   Mnemonic{14, "MINFO"},
    Mnemonic{15, "MX"},     Mnemonic{16, "TXT"},     Mnemonic{17, "RP"},
    Mnemonic{18, "AFSDB"},  Mnemonic{24, "SIG"},     Mnemonic{25, "KEY"},
    Mnemonic{28, "AAAA"},   Mnemonic{29, "LOC"},     Mnemonic{33, "SRV"},
    Mnemonic{35, "NAPTR"},  Mnemonic{36, "KX"},      Mnemonic{37, "CERT"},
    Mnemonic{39, "DNAME"},  Mnemonic{41, "OPT"},     Mnemonic{42, "APL"},
    Mnemonic{43, "DS"},     Mnemonic{44, "SSHFP"},   Mnemonic{45, "IPSECKEY"},
    Mnemonic{46, "RRSIG"},  Mnemonic{47, "NSEC"},    Mnemonic{48, "DNSKEY"},
    Mnemonic{49, "DHCID"},  Mnemonic{50, "NSEC3"},   Mnemonic{51, "NSEC3PARAM"},
    Mnemonic{52, "TLSA"},   Mnemonic{53, "SMIMEA"},  Mnemonic{55, "HIP"},
    Mnemonic{59, "CDS"},    Mnemonic{60, "CDNSKEY"}, Mnemonic{61, "OPENPGPKEY"},
    Mnemonic{62, "CSYNC"},  Mnemonic{63, "ZONEMD"},  Mnemonic{64, "SVCB"},
    Mnemonic{65, "HTTPS"},  Mnemonic{99, "SPF"},     Mnemonic{249, "TKEY"},
    Mnemonic{250, "TSIG"},  Mnemonic{251, "IXFR"},   Mnemonic{252, "AXFR"},
    Mnemonic{253, "MAILB"}, Mnemonic{254, "MAILA"},  Mnemonic{255, "ANY"},
    Mnemonic{256, "URI"},   Mnemonic{257, "CAA"},    Mnemonic{32768, "TA"},
    Mnemonic{32769, "DLV"},
};

constexpr std::array kClasses = {
    Mnemonic{1, "IN"},     Mnemonic{3, "CH"},    Mnemonic{4, "HS"},
    Mnemonic{254, "NONE"}, Mnemonic{255, "ANY"},
};

// RFC 6895 §2.3; 16 is BADVERS in the OPT context, which is the only one a resolver sends.
constexpr std::array kRcodes = {
    Mnemonic{0, "NOERROR"},   Mnemonic{1, "FORMERR"},    Mnemonic{2, "SERVFAIL"},
    Mnemonic{3, "NXDOMAIN"},  Mnemonic{4, "NOTIMP"},     Mnemonic{5, "REFUSED"},
    Mnemonic{6, "YXDOMAIN"},  Mnemonic{7, "YXRRSET"},    Mnemonic{8, "NXRRSET"},
    Mnemonic{9, "NOTAUTH"},   Mnemonic{10, "NOTZONE"},   Mnemonic{11, "DSOTYPENI"},
    Mnemonic{16, "BADVERS"},  Mnemonic{17, "BADKEY"},    Mnemonic{18, "BADTIME"},
    Mnemonic{19, "BADMODE"},  Mnemonic{20, "BADNAME"},   Mnemonic{21, "BADALG"},
    Mnemonic{22, "BADTRUNC"}, Mnemonic{23, "BADCOOKIE"},
};

constexpr std::array kOpcodes = {
    Mnemonic{0, "QUERY"},  Mnemonic{1, "IQUERY"}, Mnemonic{2, "STATUS"},
    Mnemonic{4, "NOTIFY"}, Mnemonic{5, "UPDATE"}, Mnemonic{6, "DSO"},
};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

template <size_t N>
std::string toText(const std::array<Mnemonic, N>& table, uint16_t value, std::string_view prefix) {
  for (const auto& m : table) {
    if (m.value == value) return std::string(m.text);
  }
  return std::string(prefix) + std::to_string(value);
}

// The mnemonic, or `prefix` followed by a decimal number in [0, 65535] (RFC 3597 §5).
template <size_t N>
std::optional<uint16_t> fromText(const std::array<Mnemonic, N>& table, std::string_view text,
                                 std::string_view prefix) {
  for (const auto& m : table) {
    if (equalsIgnoreCase(m.text, text)) return m.value;
  }
  if (text.size() <= prefix.size() || !equalsIgnoreCase(text.substr(0, prefix.size()), prefix)) {
    return std::nullopt;
  }
  std::string_view digits = text.substr(prefix.size());
  if (digits.size() > 5) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size() || v > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

std::string typeToText(uint16_t type) {
  return toText(kTypes, type, "TYPE");
}
std::optional<uint16_t> typeFromText(std::string_view text) {
  return fromText(kTypes, text, "TYPE");
}
std::string classToText(uint16_t cls) {
  return toText(kClasses, cls, "CLASS");
}
std::optional<uint16_t> classFromText(std::string_view text) {
  return fromText(kClasses, text, "CLASS");
}
std::string rcodeToText(uint16_t rcode) {
  return toText(kRcodes, rcode, "RCODE");
}
std::string opcodeToText(uint8_t opcode) {
  return toText(kOpcodes, opcode, "OPCODE");
}

}  // namespace vpcdns::dns
