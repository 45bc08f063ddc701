#include "dns/error.h"

namespace vpcdns::dns {

std::string_view errorText(Error e) {
  switch (e) {
    case Error::kTruncated:
      return "truncated";
    case Error::kLabelTooLong:
      return "label longer than 63 octets";
    case Error::kNameTooLong:
      return "name longer than 255 octets";
    case Error::kBadLabelType:
      return "bad label type";
    case Error::kBadPointer:
      return "bad compression pointer";
    case Error::kPointerLoop:
      return "compression pointer loop";
    case Error::kBadRdata:
      return "malformed RDATA";
    case Error::kTrailingData:
      return "trailing data";
    case Error::kBadCount:
      return "impossible section count";
    case Error::kDuplicateOpt:
      return "duplicate OPT RR";
    case Error::kBadOpt:
      return "misplaced or malformed OPT RR";
    case Error::kBadText:
      return "malformed presentation form";
    case Error::kEmptyLabel:
      return "empty label";
    case Error::kNoSpace:
      return "no space in output buffer";
  }
  return "unknown error";
}

}  // namespace vpcdns::dns
