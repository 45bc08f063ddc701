// Errors of the wire and text codecs. Values, never exceptions: the parser is fed by the network.
#pragma once

#include <cstdint>
#include <string_view>

namespace vpcdns::dns {

enum class Error : uint8_t {
  kTruncated,     // data ends before a field does (header, name, RR, RDATA)
  kLabelTooLong,  // label > 63 octets
  kNameTooLong,   // name > 255 octets in wire form
  kBadLabelType,  // label type 0b01 / 0b10 (RFC 6891 §5 obsoleted extended labels)
  kBadPointer,    // compression pointer forward, into the header, or past the end
  kPointerLoop,   // too many pointers followed
  kBadRdata,      // RDLENGTH disagrees with the typed RDATA
  kTrailingData,  // bytes left after the last record
  kBadCount,      // section counts impossible for the packet (e.g. > packet size)
  kDuplicateOpt,  // more than one OPT RR (RFC 6891 §6.1.1: FORMERR)
  kBadOpt,        // OPT not in additional, or owner not root
  kBadText,       // presentation form malformed (escapes, numbers, unknown mnemonic)
  kEmptyLabel,    // "a..b" in presentation form
  kNoSpace,       // the output buffer is too small
};

std::string_view errorText(Error e);

}  // namespace vpcdns::dns
