// Root hints: the names and addresses of the root servers a resolver starts from (RFC 8109).
//
// Built in: the IANA root servers (a.root-servers.net .. m.root-servers.net, IPv4 and IPv6), as
// published in https://www.internic.net/domain/named.root. `resolver.root_hints: FILE` replaces
// them with a file in the same format (master-file lines: `.  3600000  NS  a.root-servers.net.`
// and `a.root-servers.net. 3600000 A 198.41.0.4`, with ';' comments).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/message.h"

namespace vpcdns::resolver {

struct RootHints {
  std::vector<dns::Record> ns;         // owner ".", type NS
  std::vector<dns::Record> addresses;  // A and AAAA records of the NS names
};

const RootHints& builtinRootHints();

// Parses named.root text. Every NS must be owned by "."; A/AAAA records must belong to a name of
// the NS set; other types are errors; at least one NS with at least one address is required.
// Errors are "name:line:column: message" (1-based), for the log and --check-config.
Result<RootHints, std::string> parseRootHints(std::string_view text, const std::string& name);

// Reads and parses a file; an unreadable file is an error naming it.
Result<RootHints, std::string> loadRootHints(const std::string& path);

}  // namespace vpcdns::resolver
