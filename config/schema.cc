// The schema. Adding a section: a struct in config.h, a Field table here, one line in
// kTopFields, and its keys in README.md ("Configuration").
#include "config/schema.h"

#include <algorithm>

namespace vpcdns::config::detail {
namespace {

constexpr uint16_t kDefaultDnsPort = 53;
constexpr uint64_t kMaxWorkers = 256;
constexpr uint64_t kMaxUdpRecvBuffer = 1ull << 30;

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};
constexpr std::string_view kLogFormats[] = {"text", "json"};

// ---- shared value kinds ------------------------------------------------------------------------

// VPC ids are used in logs, metrics labels and file names: keep them to a safe alphabet.
bool isId(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

std::optional<std::string> readId(Reader& r, const Value& v) {
  constexpr std::string_view kWhat = "an id of letters, digits, '.', '_' or '-'";
  auto text = readScalar(r, v, kWhat);
  if (!text) return std::nullopt;
  if (!isId(*text)) {
    r.expected(v, kWhat);
    return std::nullopt;
  }
  return text;
}

std::optional<IpPrefix> readPrefix(Reader& r, const Value& v) {
  constexpr std::string_view kWhat = "an address prefix (e.g. 10.0.0.0/8 or ::1/128)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return std::nullopt;
  auto prefix = IpPrefix::parse(*text);
  if (!prefix) r.expected(v, kWhat);
  return prefix;
}

namespace {

// ---- server.listen -----------------------------------------------------------------------------

// A listener plus where its address was written, for "duplicate ... (first at line N)".
struct ListenEntry {
  Listener listener;
  bool valid = false;
  YAML::Mark address_mark;
  std::string address_path;
};

void readListenAddress(Reader& r, const Value& v, ListenEntry& e) {
  constexpr std::string_view kWhat = "IP[:port] (e.g. 127.0.0.1:53 or [::1]:53)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  auto address = SocketAddress::parse(*text, kDefaultDnsPort);
  if (!address) return r.expected(v, kWhat);
  if (address->port() == 0) return r.expected(v, "a port 1..65535");
  e.listener.address = *address;
  e.valid = true;
  e.address_mark = v.mark;
  e.address_path = v.path;
}

void readListenVpc(Reader& r, const Value& v, ListenEntry& e) {
  if (auto id = readId(r, v)) {
    e.listener.vpc = *id;
    r.vpcRefs().push_back({v.mark, v.path, *id});
  }
}

constexpr Field<ListenEntry> kListenFields[] = {
    {"address", readListenAddress, true},
    {"vpc", readListenVpc},
};

// Reads one list item into `entries`, unless it is invalid or repeats an earlier address.
void addListenEntry(Reader& r, const Value& item, std::vector<ListenEntry>& entries) {
  ListenEntry e;
  readMap<ListenEntry>(r, item, kListenFields, e);
  if (!e.valid) return;
  auto first = std::find_if(entries.begin(), entries.end(), [&](const ListenEntry& other) {
    return other.listener.address == e.listener.address;
  });
  if (first != entries.end()) {
    return r.error(e.address_mark, e.address_path,
                   "duplicate listen address " + e.listener.address.toString() +
                       " (first at line " + std::to_string(first->address_mark.line + 1) + ")");
  }
  entries.push_back(std::move(e));
}

void readListen(Reader& r, const Value& v, ServerSection& s) {
  std::vector<ListenEntry> entries;
  bool is_list = readList(r, v, "a list of listen entries (- address: IP[:port])",
                          [&](const Value& item) { addListenEntry(r, item, entries); });
  if (!is_list) return;
  if (v.node.size() == 0) {
    return r.error(v, "expected at least one listen entry, got an empty list");
  }
  s.listen.clear();
  for (auto& e : entries) s.listen.push_back(std::move(e.listener));
}

// ---- server, logging ---------------------------------------------------------------------------

void readWorkers(Reader& r, const Value& v, ServerSection& s) {
  constexpr std::string_view kWhat = "\"auto\" or integer 1..256";
  auto text = readScalar(r, v, kWhat);
  if (!text) return;
  if (*text == "auto") {
    s.workers = 0;
    return;
  }
  auto n = parseUint(*text);
  if (!n || *n < 1 || *n > kMaxWorkers) return r.expected(v, kWhat);
  s.workers = static_cast<unsigned>(*n);
}

void readAllow(Reader& r, const Value& v, ServerSection& s) {
  std::vector<IpPrefix> allow;
  bool is_list = readList(r, v, "a list of address prefixes (e.g. [10.0.0.0/8, \"::1/128\"])",
                          [&](const Value& item) {
                            if (auto p = readPrefix(r, item)) allow.push_back(*p);
                          });
  if (is_list) s.allow = std::move(allow);
}

constexpr Field<ServerSection> kServerFields[] = {
    {"listen", readListen},
    {"workers", readWorkers},
    {"allow", readAllow},
    {"edns_udp_size", uintField<&ServerSection::edns_udp_size, 512, 4096>},
    {"tcp_idle_timeout_ms", uintField<&ServerSection::tcp_idle_timeout_ms, 100, 600000>},
    {"tcp_max_connections", uintField<&ServerSection::tcp_max_connections, 1, 1000000>},
    {"tcp_max_pipelined", uintField<&ServerSection::tcp_max_pipelined, 1, 65535>},
    {"udp_recv_buffer", sizeField<&ServerSection::udp_recv_buffer, kMaxUdpRecvBuffer>},
    {"user", readRunAsName<&ServerSection::user>},
    {"group", readRunAsName<&ServerSection::group>},
};

// The server section, then its user and group looked up (schema_user.cc).
void readServer(Reader& r, const Value& v, Config& c) {
  readMap<ServerSection>(r, v, kServerFields, c.server);
  resolveRunAs(r, v, c.server);
}

constexpr Field<LoggingSection> kLoggingFields[] = {
    {"level", choiceField<&LoggingSection::level, kLogLevels>},
    {"format", choiceField<&LoggingSection::format, kLogFormats>},
};

void readStateDir(Reader& r, const Value& v, Config& c) {
  auto text = readScalar(r, v, "a directory name");
  if (!text) return;
  if (text->empty()) return r.expected(v, "a directory name");
  c.state_dir = *text;
}

constexpr Field<Config> kTopFields[] = {
    {"server", readServer},
    {"logging", sectionField<&Config::logging, kLoggingFields>},
    {"resolver", readResolver},
    {"cache", readCache},
    {"forwarding", readForwarding},
    {"rules", readRules},
    {"vpcs", readVpcs},
    {"zones", readZones},
    {"tsig_keys", readTsigKeys},
    {"state_dir", readStateDir},
    {"admin", readAdmin},
    {"query_log", readQueryLog},
};

}  // namespace

Config defaultConfig(const std::string& source) {
  Config c;
  c.source = source;
  c.base_dir = ".";
  c.server.listen = {Listener{*SocketAddress::parse("127.0.0.1:5353", kDefaultDnsPort), ""}};
  c.server.allow = {*IpPrefix::parse("127.0.0.0/8"), *IpPrefix::parse("::1/128")};
  c.resolver.dont_query = {*IpPrefix::parse("127.0.0.0/8"), *IpPrefix::parse("::1/128")};
  return c;
}

void readConfig(Reader& r, const YamlNode& root, Config& out) {
  readMap<Config>(r, Value{root, root.Mark(), ""}, kTopFields, out);
  checkVpcRefs(r, out);
  checkRuleTargets(r, out);
  checkAdmin(r, out);
}

}  // namespace vpcdns::config::detail
