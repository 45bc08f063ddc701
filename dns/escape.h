// Internal to dns/: the presentation-form escapes shared by names and character-strings.
#pragma once

#include <cstdint>
#include <string>

namespace vpcdns::dns::detail {

// Appends "\DDD" (RFC 1035 §5.1): the octet as three decimal digits.
inline void appendDecimalEscape(std::string& s, uint8_t c) {
  s += '\\';
  s += static_cast<char>('0' + c / 100);
  s += static_cast<char>('0' + c / 10 % 10);
  s += static_cast<char>('0' + c % 10);
}

}  // namespace vpcdns::dns::detail
