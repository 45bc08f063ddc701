// The `forwarding` and `rules` sections: which names go to which on-premises servers
// (Route 53 Resolver's FORWARD and SYSTEM rules), and how targets are chosen and watched.
#include <algorithm>
#include <unordered_map>

#include "config/schema.h"

namespace vpcdns::config::detail {
namespace {

constexpr uint16_t kDnsPort = 53;
constexpr std::string_view kSelections[] = {"rtt", "order"};
constexpr std::string_view kRuleTypes[] = {"forward", "system"};
constexpr std::string_view kResolvConf = "resolv.conf";

std::optional<IpAddress> readAddress(Reader& r, const Value& v) {
  constexpr std::string_view kWhat = "an IP address (e.g. 10.0.0.5 or ::1)";
  auto text = readScalar(r, v, kWhat);
  if (!text) return std::nullopt;
  auto ip = IpAddress::parse(*text);
  if (!ip) r.expected(v, kWhat);
  return ip;
}

// ---- forwarding --------------------------------------------------------------------------------

void readForwardingSource(Reader& r, const Value& v, ForwardingSection& f) {
  if (auto ip = readAddress(r, v)) f.source = *ip;
}

void readForwardingCache(Reader& r, const Value& v, ForwardingSection& f) {
  f.cache = readBool(r, v);
}

constexpr Field<ForwardingSection> kForwardingFields[] = {
    {"source", readForwardingSource},
    {"timeout_ms", uintField<&ForwardingSection::timeout_ms, 10, 30000>},
    {"selection", choiceField<&ForwardingSection::selection, kSelections>},
    {"failure_threshold", uintField<&ForwardingSection::failure_threshold, 1, 100>},
    {"probe_interval_ms", uintField<&ForwardingSection::probe_interval_ms, 100, 600000>},
    {"cache", readForwardingCache},
};

// ---- rules -------------------------------------------------------------------------------------

struct RuleEntry {
  RuleSpec spec;
  bool has_domain = false;
  bool has_targets = false;
  Value targets_value;
  std::string type = "forward";
  Value type_value;
  bool has_type = false;
};

void readRuleDomain(Reader& r, const Value& v, RuleEntry& e) {
  if (auto d = readDomain(r, v)) {
    e.spec.domain = *d;
    e.has_domain = true;
  }
}

void readRuleType(Reader& r, const Value& v, RuleEntry& e) {
  e.has_type = true;
  e.type_value = v;
  if (auto t = readChoice(r, v, kRuleTypes)) e.type = *t;
}

void readRuleTargets(Reader& r, const Value& v, RuleEntry& e) {
  e.has_targets = true;
  e.targets_value = v;
  constexpr std::string_view kWhat =
      "IP[:port] (e.g. 192.168.10.2 or \"[fd00::2]:5353\") or "
      "resolv.conf";
  readList(r, v, "a list of targets (IP[:port], or resolv.conf)", [&](const Value& item) {
    auto text = readScalar(r, item, kWhat);
    if (!text) return;
    if (*text == kResolvConf) {
      e.spec.resolv_conf = true;
      return;
    }
    auto address = SocketAddress::parse(*text, kDnsPort);
    if (!address || address->port() == 0) return r.expected(item, kWhat);
    e.spec.targets.push_back(*address);
    r.targetRefs().push_back({item.mark, item.path, address->toString()});
  });
}

void readRuleVpcs(Reader& r, const Value& v, RuleEntry& e) {
  readList(r, v, "a list of VPC ids", [&](const Value& item) {
    if (auto id = readId(r, item)) {
      e.spec.vpcs.push_back(*id);
      r.vpcRefs().push_back({item.mark, item.path, *id});
    }
  });
}

void readRuleSelection(Reader& r, const Value& v, RuleEntry& e) {
  if (auto s = readChoice(r, v, kSelections)) e.spec.selection = *s;
}

void readRuleTimeout(Reader& r, const Value& v, RuleEntry& e) {
  if (auto n = readUint(r, v, 10, 30000)) e.spec.timeout_ms = static_cast<uint32_t>(*n);
}

void readRuleSource(Reader& r, const Value& v, RuleEntry& e) {
  if (auto ip = readAddress(r, v)) e.spec.source = *ip;
}

constexpr Field<RuleEntry> kRuleFields[] = {
    {"domain", readRuleDomain, true}, {"type", readRuleType},
    {"targets", readRuleTargets},     {"vpcs", readRuleVpcs},
    {"selection", readRuleSelection}, {"timeout_ms", readRuleTimeout},
    {"source", readRuleSource},
};

// Two rules for the same domain apply to the same client if their VPC lists overlap (an empty
// list means every VPC).
bool overlap(const RuleSpec& a, const RuleSpec& b) {
  if (a.vpcs.empty() || b.vpcs.empty()) return true;
  return std::any_of(a.vpcs.begin(), a.vpcs.end(), [&](const std::string& id) {
    return std::find(b.vpcs.begin(), b.vpcs.end(), id) != b.vpcs.end();
  });
}

// Rules read so far by domain (indices into Config::rules): the duplicate check stays linear in
// the number of rules (10,000 rules must reload in well under a second).
using RulesByDomain = std::unordered_map<dns::Name, std::vector<size_t>, dns::NameHash>;

void addRule(Reader& r, const Value& item, Config& out, RulesByDomain& by_domain) {
  RuleEntry e;
  e.spec.line = item.mark.line + 1;
  e.spec.column = item.mark.column + 1;
  readMap<RuleEntry>(r, item, kRuleFields, e);
  if (!e.has_domain) return;
  if (e.type == "system") {
    e.spec.type = RuleSpec::Type::kSystem;
    if (e.has_targets) {
      return r.error(e.targets_value,
                     "a system rule resolves here and takes no targets (remove `targets`)");
    }
    if (!e.spec.selection.empty() || e.spec.timeout_ms != 0 || e.spec.source) {
      return r.error(item, "a system rule takes only domain, type and vpcs");
    }
  } else if (e.spec.targets.empty() && !e.spec.resolv_conf) {
    if (!e.has_targets) return r.error(item, "a forward rule needs `targets`");
    if (e.targets_value.node.IsSequence() && e.targets_value.node.size() == 0) {
      return r.error(e.targets_value, "expected at least one target, got an empty list");
    }
    return;  // every target was invalid, and each was reported
  }
  auto& same = by_domain[e.spec.domain];
  for (size_t i : same) {
    const RuleSpec& other = out.rules[i];
    if (overlap(other, e.spec)) {
      return r.error(item, "duplicate rule for " + e.spec.domain.toText() +
                               " in the same VPC (first at line " + std::to_string(other.line) +
                               ")");
    }
  }
  same.push_back(out.rules.size());
  out.rules.push_back(std::move(e.spec));
}

}  // namespace

void readForwarding(Reader& r, const Value& v, Config& out) {
  readMap<ForwardingSection>(r, v, kForwardingFields, out.forwarding);
}

void readRules(Reader& r, const Value& v, Config& out) {
  RulesByDomain by_domain;
  for (size_t i = 0; i < out.rules.size(); ++i) by_domain[out.rules[i].domain].push_back(i);
  readList(r, v, "a list of rules (- domain: ..., type: forward|system, targets: [...])",
           [&](const Value& item) { addRule(r, item, out, by_domain); });
}

// A rule whose target is one of our own listeners would send queries back to us forever.
void checkRuleTargets(Reader& r, const Config& c) {
  for (const auto& ref : r.targetRefs()) {
    const auto target = SocketAddress::parse(ref.id, kDnsPort);
    if (!target) continue;
    for (const auto& l : c.server.listen) {
      const auto& ip = l.address.ip();
      const bool wildcard = ip == *IpAddress::parse(ip.isV4() ? "0.0.0.0" : "::");
      const bool loopback_target = IpPrefix::parse("127.0.0.0/8")->contains(target->ip()) ||
                                   target->ip() == *IpAddress::parse("::1");
      if (*target == l.address ||
          (wildcard && l.address.port() == target->port() && loopback_target)) {
        r.error(ref.mark, ref.path,
                "target " + target->toString() + " is one of our own listeners (" +
                    l.address.toString() + "): queries would loop");
        break;
      }
    }
  }
}

}  // namespace vpcdns::config::detail
