// Master files (RFC 1035 §5): the text form of a zone, read into records.
//
// Supported: $ORIGIN, $TTL (seconds or BIND units: 1h30m, 2d, 1w), $INCLUDE file [origin]
// (depth-limited; a file including itself, directly or not, is an error), "@", relative names,
// a blank owner field (the previous owner), "( ... )" over several lines, ";" comments, quoted
// strings with \X and \DDD escapes, TTL and class in either order and both optional, every type
// dns/ knows plus TYPEnnn, and "\# len hex" (RFC 3597 §5) for any type. Only class IN.
//
// TTL of a record without one: $TTL if given, else the SOA MINIMUM once an SOA has been read
// (the SOA itself included, as BIND does), else ZoneFileOptions::default_ttl. An included file
// starts with the including file's origin (or the one named on the $INCLUDE line) and $TTL, and
// with no previous owner; none of its changes to them leak back (RFC 1035 §5.1).
//
// Errors name the file, 1-based line and column of the offending token, and what was expected:
//   corp.zone:12:17: expected an IPv4 address, got "10.0.0.300"
// Parsing stops at the first error. No input makes it crash or loop; recursion is bounded by
// max_include_depth.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/message.h"
#include "dns/name.h"

namespace vpcdns::private_zones {

struct ZoneFileError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the whole file (cannot read it)
  int column = 0;  // 1-based octet column of the offending token
  std::string message;

  // "file:line:column: message", or "file: message" when line is 0.
  std::string toString() const;
};

struct ZoneFileOptions {
  dns::Name origin;  // the zone apex: the initial $ORIGIN; every owner must be at or below it
  uint32_t default_ttl = 3600;
  int max_include_depth = 8;  // nested $INCLUDEs allowed below the top file
  bool allow_include = true;  // false: $INCLUDE is an error (for text from untrusted sources)
};

// Reads the master file at `path`. $INCLUDE paths are relative to the directory of the file
// containing the directive.
Result<std::vector<dns::Record>, ZoneFileError> parseZoneFile(const std::string& path,
                                                              const ZoneFileOptions& options);

// Parses master-file text; `name` is used in error messages. $INCLUDE paths are relative to the
// current working directory here.
Result<std::vector<dns::Record>, ZoneFileError> parseZoneText(std::string_view text,
                                                              const std::string& name,
                                                              const ZoneFileOptions& options);

// A TTL in seconds or BIND units ("3600", "1h30m", "2d", "1W"): 0..2147483647 (RFC 2181 §8).
// Every number must carry a unit once one does. False on anything else.
bool parseTtl(std::string_view text, uint32_t& out);

}  // namespace vpcdns::private_zones
