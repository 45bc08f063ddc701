// The daemon's configuration: the validated, immutable form the rest of the code reads.
//
// YAML text -> (loader.cc, yaml-cpp events, with marks) -> Config. Every problem found is reported
// as a ConfigError naming file:line:column, the key path and what was expected; one run reports all
// of them. Unknown keys are errors. The schema is documented in README.md ("Configuration").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net.h"
#include "common/result.h"
#include "dns/message.h"
#include "dns/name.h"

namespace vpcdns::config {

struct Listener {
  SocketAddress address;  // UDP and TCP are both opened on it
  std::string vpc;        // empty: clients are matched by source address (later issue)
};

struct ServerSection {
  std::vector<Listener> listen;
  unsigned workers = 0;                  // 0 = one per core ("auto")
  std::vector<IpPrefix> allow;           // clients outside are REFUSED
  uint16_t edns_udp_size = 1232;         // our advertised / accepted UDP payload (512..4096)
  uint32_t tcp_idle_timeout_ms = 10000;  // RFC 7766 §6.2.3 suggests seconds, not minutes
  uint32_t tcp_max_connections = 1024;   // per worker thread
  uint32_t tcp_max_pipelined = 64;       // queries in flight on one connection
  uint32_t udp_recv_buffer = 0;          // SO_RCVBUF bytes; 0 = kernel default
  // Drop root to this user (and group) once the listeners are bound (README "Deployment").
  // Empty: keep the identity vpcdns was started with. Resolved when the config is loaded (an
  // unknown name is a config error), so uid/gid are valid whenever `user` is not empty.
  std::string user;
  std::string group;  // empty: the user's primary group
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct LoggingSection {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text | json
};

// Iterative resolution from the root (README "resolver").
struct ResolverSection {
  std::string root_hints;              // a named.root file; empty: the IANA root servers built in
  bool qname_minimisation = true;      // RFC 9156, relaxed (falls back for broken servers)
  bool ipv6 = true;                    // query servers over IPv6 and ask for AAAA glue
  std::vector<IpPrefix> dont_query;    // never sent queries (defaults: loopback; see README)
  uint16_t edns_udp_size = 1232;       // advertised to authoritative servers
  uint32_t max_upstream_queries = 64;  // per client question, sub-resolutions included
  uint32_t max_referral_depth = 24;    // delegations followed for one name
  uint32_t max_cname_chain = 12;       // CNAME/DNAME links in one answer
  uint32_t max_glueless_ns = 4;        // NS names resolved for addresses, per delegation
  uint32_t upstream_timeout_ms = 800;  // first timeout for a server with no RTT yet
  uint32_t resolution_timeout_ms = 5000;  // a client question gets SERVFAIL after this
  bool operator==(const ResolverSection&) const = default;
};

// The shared record cache (README "cache").
struct CacheSection {
  uint64_t max_memory = uint64_t{64} << 20;  // bytes
  uint32_t min_ttl = 0;
  uint32_t max_ttl = 86400;
  uint32_t max_negative_ttl = 3600;  // RFC 2308 §5
  bool operator==(const CacheSection&) const = default;
};

// Defaults for every FORWARD rule, and the forwarder's health tracking (README "forwarding").
struct ForwardingSection {
  std::optional<IpAddress> source;    // outbound address for queries to targets ("endpoint")
  uint32_t timeout_ms = 1000;         // per attempt, before the next target is tried
  std::string selection = "rtt";      // rtt | order (primary/backup)
  uint32_t failure_threshold = 3;     // consecutive failures before a target is down
  uint32_t probe_interval_ms = 2000;  // how often a down target is probed
  bool cache = true;                  // cache forwarded answers (per target set)
};

// A forwarding rule (README "rules"): Route 53 Resolver's FORWARD and SYSTEM rules.
struct RuleSpec {
  enum class Type : uint8_t { kForward, kSystem };
  dns::Name domain;
  Type type = Type::kForward;
  std::vector<SocketAddress> targets;  // FORWARD: IP[:port]
  bool resolv_conf = false;            // FORWARD: the system's name servers (/etc/resolv.conf)
  std::vector<std::string> vpcs;       // empty: every VPC and clients in none
  std::string selection;               // empty: forwarding.selection
  uint32_t timeout_ms = 0;             // 0: forwarding.timeout_ms
  std::optional<IpAddress> source;     // none: forwarding.source
  int line = 0;                        // where the rule is declared (1-based), for errors
  int column = 0;
};

// A VPC: the clients it contains and what they see (README "vpcs").
struct Vpc {
  std::string id;
  std::vector<IpPrefix> cidrs;         // a client's VPC is the longest match of its source
  std::optional<dns::Name> hostnames;  // ip-a-b-c-d.<domain> <-> a.b.c.d inside the CIDRs
  bool local_zones = true;             // localhost and the RFC 6303 reverse zones
};

// Dynamic updates (RFC 2136) a zone accepts: signed with one of `keys` (TSIG), from `allow`.
struct UpdatePolicy {
  std::vector<std::string> keys;  // names in Config::tsig_keys (as written)
  std::vector<IpPrefix> allow;
};

// A TSIG key (README "tsig_keys"), as nsupdate's `-y` or key file gives it.
struct TsigKeySpec {
  dns::Name name;
  std::string name_text;  // as written, for references
  dns::Name algorithm;    // hmac-sha256. by default
  std::vector<uint8_t> secret;
};

// A private zone (README "zones"): from a master file or inline records.
struct ZoneSpec {
  dns::Name name;
  std::vector<std::string> vpcs;       // ids of the VPCs it answers
  std::string file;                    // as written; relative to Config::base_dir
  std::vector<dns::Record> records;    // inline records (with `file`, none)
  bool ptr = false;                    // synthesize PTRs for its addresses in the VPCs' CIDRs
  std::optional<UpdatePolicy> update;  // accepts RFC 2136 updates (file zones only)
  int line = 0;                        // where the zone is declared (1-based), for errors
  int column = 0;
};

// The admin HTTP API (README "Admin API"): off unless `listen` is set.
struct AdminSection {
  std::optional<SocketAddress> listen;  // none: no admin API
  std::string token;                    // bearer token; empty: none (loopback only)
  std::string token_file;               // as written; relative to Config::base_dir; read at start
  int line = 0;                         // where `listen` is written (1-based), for errors
  int column = 0;
  bool operator==(const AdminSection& o) const {  // positions left out
    return listen == o.listen && token == o.token && token_file == o.token_file;
  }
};

// The query log (README "Query log"): Route 53 Resolver's JSON lines, written by a thread of its
// own. Absent from the config: no query log.
struct QueryLogSection {
  std::string file;                              // as written; relative to Config::base_dir
  std::optional<std::vector<std::string>> vpcs;  // VPC ids logged; none: all (and no-VPC clients)
  uint64_t max_size = uint64_t{100} << 20;       // bytes before the file is rotated
  uint32_t max_files = 5;                        // rotated files kept: file.1 .. file.N
  std::string account_id = "000000000000";       // the "account_id" field
  std::string region = "local";                  // the "region" field
  uint32_t queue = 65536;                        // records buffered per worker
  bool operator==(const QueryLogSection&) const = default;
};

struct Config {
  std::string source;    // file name, or "<embedded default>"
  std::string base_dir;  // relative zone file paths start here ("." for the embedded default)
  ServerSection server;
  LoggingSection logging;
  ResolverSection resolver;
  CacheSection cache;
  ForwardingSection forwarding;
  std::vector<RuleSpec> rules;
  std::vector<Vpc> vpcs;
  std::vector<ZoneSpec> zones;
  std::vector<TsigKeySpec> tsig_keys;
  // Where vpcdns keeps state across restarts (README "Change batches": the journals of changes
  // to inline zones). As written; relative to base_dir. Empty: none (such changes are refused).
  std::string state_dir;
  AdminSection admin;
  std::optional<QueryLogSection> query_log;

  const TsigKeySpec* findKey(std::string_view name) const;
  const Vpc* findVpc(std::string_view id) const;
};

struct ConfigError {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown (e.g. the file cannot be read)
  int column = 0;       // 1-based
  std::string path;     // "server.listen[1].address"
  std::string message;  // "expected IP[:port], got \"foo\""
  // "file:line:column: path: message", as compilers print errors. Without a position (line 0)
  // it is "file: path: message"; an empty path is left out: "file:3:1: message".
  std::string toString() const;
};

using LoadResult = Result<Config, std::vector<ConfigError>>;

// The embedded default: listens on 127.0.0.1:5353 and allows 127.0.0.0/8 and ::1.
extern const std::string_view kDefaultConfigYaml;

LoadResult loadFile(const std::string& path);
// `name` is what errors call the text (a file name or "<embedded default>").
LoadResult loadString(std::string_view yaml, const std::string& name);

}  // namespace vpcdns::config
