// Internal to vpcdns_config: the configuration schema (which keys exist, their types, ranges
// and defaults), applied to a parsed YAML document.
#pragma once

#include <string>

#include "config/config.h"
#include "config/reader.h"

namespace vpcdns::config::detail {

// The configuration an empty document yields.
Config defaultConfig(const std::string& source);

// The `vpcs` and `zones` sections (schema_zones.cc).
void readVpcs(Reader& r, const Value& v, Config& out);
void readZones(Reader& r, const Value& v, Config& out);
void readTsigKeys(Reader& r, const Value& v, Config& out);
// Ids that are referred to must be declared; each VPC id once.
void checkVpcRefs(Reader& r, const Config& c);
// An id of letters, digits, '.', '_' or '-'; reports an error and returns nullopt otherwise.
std::optional<std::string> readId(Reader& r, const Value& v);
std::optional<IpPrefix> readPrefix(Reader& r, const Value& v);
// A domain name in presentation form; reports an error and returns nullopt otherwise.
std::optional<dns::Name> readDomain(Reader& r, const Value& v);
// "true" or "false"; anything else is reported (and reads as false).
bool readBool(Reader& r, const Value& v);

// The `resolver` and `cache` sections (schema_resolver.cc).
void readResolver(Reader& r, const Value& v, Config& out);
void readCache(Reader& r, const Value& v, Config& out);

// The `forwarding` and `rules` sections (schema_rules.cc), and the checks that need the whole
// config (a rule's target must not be one of our own listeners).
void readForwarding(Reader& r, const Value& v, Config& out);
void readRules(Reader& r, const Value& v, Config& out);
void checkRuleTargets(Reader& r, const Config& c);

// The `admin` section (schema_admin.cc), and its check against the DNS listeners.
void readAdmin(Reader& r, const Value& v, Config& out);
void checkAdmin(Reader& r, const Config& c);

// server.user and server.group (schema_user.cc): read as written, then looked up once the whole
// section is read (the group may come before the user); unknown names are errors at their line.
void readRunAsNameInto(Reader& r, const Value& v, std::string& out);
template <auto Member>
void readRunAsName(Reader& r, const Value& v, ServerSection& s) {
  readRunAsNameInto(r, v, s.*Member);
}
void resolveRunAs(Reader& r, const Value& v, ServerSection& s);

// The `query_log` section (schema_query_log.cc).
void readQueryLog(Reader& r, const Value& v, Config& out);

// Reads the document root into `out` (pre-filled with defaults), reporting errors to `r`.
void readConfig(Reader& r, const YamlNode& root, Config& out);

}  // namespace vpcdns::config::detail
