#include "server/snapshot.h"

#include <algorithm>

#include <ares.h>
#include <sys/socket.h>

#include "cache/record_cache.h"
#include "dns/types.h"
#include "private_zones/zone.h"
#include "private_zones/zone_file.h"
#include "server/local_zones.h"
#include "server/zone_journal.h"

namespace vpcdns::server {

namespace {

using Errors = std::vector<std::string>;

// Where the zone is declared; Zone::build's messages name the records themselves.
std::string where(const config::Config& c, const config::ZoneSpec& z) {
  return c.source + ":" + std::to_string(z.line) + ":" + std::to_string(z.column) + ": ";
}

std::shared_ptr<const private_zones::Zone> loadZone(const config::Config& c,
                                                    const config::ZoneSpec& z, Errors& errors) {
  std::vector<dns::Record> records = z.records;
  if (!z.file.empty()) {
    private_zones::ZoneFileOptions opts;
    opts.origin = z.name;
    auto parsed = private_zones::parseZoneFile(zoneFilePath(c, z), opts);
    if (!parsed) {
      errors.push_back(parsed.error().toString());
      return nullptr;
    }
    records = std::move(parsed).value();
  } else {
    // Inline zones get their SOA and NS made up, as Route 53 does for a new hosted zone.
    const bool has_soa = std::any_of(records.begin(), records.end(), [&](const dns::Record& r) {
      return r.type == dns::rrtype::kSOA && r.name == z.name;
    });
    if (!has_soa) {
      auto apex = syntheticApex(z.name);
      records.insert(records.begin(), apex.begin(), apex.end());
    }
  }
  auto zone = private_zones::Zone::build(z.name, std::move(records));
  if (!zone) {
    errors.push_back(where(c, z) + zone.error());
    return nullptr;
  }
  return *zone;
}

bool inCidrs(const config::Vpc& vpc, const IpAddress& a) {
  return std::any_of(vpc.cidrs.begin(), vpc.cidrs.end(),
                     [&](const IpPrefix& p) { return p.contains(a); });
}

// PTRs for the A/AAAA records of the VPC's `ptr: true` zones that fall inside its CIDRs, grouped
// into one reverse zone per CIDR (RFC 6303 zones hold what lies outside).
void addReverseZones(const config::Config& c,
                     const std::vector<std::shared_ptr<const private_zones::Zone>>& all,
                     const config::Vpc& vpc, View& view, Errors& errors) {
  // Only a VPC that synthesizes names gets reverse zones of its own; they would otherwise just
  // hide the RFC 6303 zones or a reverse zone the user wrote.
  const bool any_ptr = std::any_of(c.zones.begin(), c.zones.end(), [&](const auto& z) {
    return z.ptr && std::find(z.vpcs.begin(), z.vpcs.end(), vpc.id) != z.vpcs.end();
  });
  if (!any_ptr && !vpc.hostnames) return;
  std::vector<LocalZoneData> reverse;
  for (const auto& cidr : vpc.cidrs) {
    for (const auto& origin : reverseZonesFor(cidr)) {
      // Overlapping CIDRs may give the same zone twice: a second copy would replace the first
      // in the table, and the PTRs put into the first would be lost. A private zone of this
      // VPC at or above it was written by the user and keeps answering.
      const bool seen = std::any_of(reverse.begin(), reverse.end(),
                                    [&](const LocalZoneData& z) { return z.origin == origin; });
      const bool user_zone = std::any_of(c.zones.begin(), c.zones.end(), [&](const auto& z) {
        return origin.isSubdomainOf(z.name) &&
               std::find(z.vpcs.begin(), z.vpcs.end(), vpc.id) != z.vpcs.end();
      });
      if (!seen && !user_zone) reverse.push_back({origin, syntheticApex(origin)});
    }
  }
  for (size_t i = 0; i < c.zones.size(); ++i) {
    const auto& spec = c.zones[i];
    if (!spec.ptr || !all[i]) continue;
    if (std::find(spec.vpcs.begin(), spec.vpcs.end(), vpc.id) == spec.vpcs.end()) continue;
    for (const auto& r : all[i]->records()) {
      std::optional<IpAddress> addr;
      if (const auto* a = std::get_if<dns::RdataA>(&r.rdata)) {
        addr = IpAddress::fromBytes(a->addr);
      } else if (const auto* a6 = std::get_if<dns::RdataAAAA>(&r.rdata)) {
        addr = IpAddress::fromBytes(a6->addr);
      }
      const bool wildcard =
          r.name.labelCount() > 0 && r.name.label(0).size() == 1 && r.name.label(0)[0] == '*';
      if (!addr || wildcard || !inCidrs(vpc, *addr)) continue;
      const dns::Name rev = reverseName(*addr);
      // Nested CIDRs (a /8 and a /16) give nested zones: the most specific one answers the name.
      LocalZoneData* holder = nullptr;
      for (auto& z : reverse) {
        if (rev.isSubdomainOf(z.origin) &&
            (holder == nullptr || z.origin.labelCount() > holder->origin.labelCount())) {
          holder = &z;
        }
      }
      if (holder != nullptr) {
        holder->records.push_back(
            {rev, dns::rrtype::kPTR, dns::rrclass::kIN, r.ttl, dns::RdataName{r.name}});
      }
    }
  }
  for (auto& z : reverse) {
    auto zone = private_zones::Zone::build(z.origin, std::move(z.records));
    if (!zone) {
      errors.push_back(c.source + ": VPC '" + vpc.id + "': reverse zone " + z.origin.toText() +
                       ": " + zone.error());
      continue;
    }
    PolicyEntry e;
    e.kind = PolicyEntry::Kind::kLocalZone;
    e.zone = zone->get();
    if (vpc.hostnames) e.hostnames = &*vpc.hostnames;
    e.vpc = &vpc;
    view.local_zones.push_back(*zone);
    view.table.set(z.origin, e);
  }
}

// The built-in local zones are the same for every VPC and every config: built once per process
// (thread-safe static initialisation) and shared by every view of every snapshot.
struct BuiltinZones {
  std::vector<std::shared_ptr<const private_zones::Zone>> zones;
  Errors errors;
};

const BuiltinZones& builtinZones() {
  static const BuiltinZones built = [] {
    BuiltinZones out;
    for (auto& z : builtinLocalZones()) {
      auto zone = private_zones::Zone::build(z.origin, std::move(z.records));
      if (!zone) {
        out.errors.push_back("built-in zone " + z.origin.toText() + ": " + zone.error());
        continue;
      }
      out.zones.push_back(*zone);
    }
    return out;
  }();
  return built;
}

void addBuiltinZones(View& view, Errors& errors) {
  const BuiltinZones& builtin = builtinZones();
  errors.insert(errors.end(), builtin.errors.begin(), builtin.errors.end());
  for (const auto& zone : builtin.zones) {
    PolicyEntry e;
    e.kind = PolicyEntry::Kind::kLocalZone;
    e.zone = zone.get();
    view.local_zones.push_back(zone);
    view.table.set(zone->origin(), e);
  }
}

void addHostnames(const config::Vpc& vpc, View& view, Errors& errors) {
  if (!vpc.hostnames) return;
  auto zone = private_zones::Zone::build(*vpc.hostnames, syntheticApex(*vpc.hostnames));
  if (!zone) {
    errors.push_back("VPC '" + vpc.id + "': hostnames zone: " + zone.error());
    return;
  }
  PolicyEntry e;
  e.kind = PolicyEntry::Kind::kHostnames;
  e.zone = zone->get();
  e.hostnames = &*vpc.hostnames;
  e.vpc = &vpc;
  view.local_zones.push_back(*zone);
  view.table.set(*vpc.hostnames, e);
}

// Order of set() calls is precedence on exact ties: built-in < reverse/hostnames < private zone.
View buildView(const config::Config& c,
               const std::vector<std::shared_ptr<const private_zones::Zone>>& all,
               const config::Vpc* vpc, Errors& errors) {
  View view;
  view.vpc = vpc;
  if (vpc == nullptr || vpc->local_zones) addBuiltinZones(view, errors);
  if (vpc == nullptr) return view;
  addReverseZones(c, all, *vpc, view, errors);
  addHostnames(*vpc, view, errors);
  for (size_t i = 0; i < c.zones.size(); ++i) {
    const auto& spec = c.zones[i];
    if (!all[i] || std::find(spec.vpcs.begin(), spec.vpcs.end(), vpc->id) == spec.vpcs.end()) {
      continue;
    }
    PolicyEntry e;
    e.kind = PolicyEntry::Kind::kPrivateZone;
    e.zone = all[i].get();
    e.vpc = vpc;
    view.table.set(spec.name, e);
  }
  return view;
}

// Rules go in last: a FORWARD rule replaces whatever has its exact name; a SYSTEM rule replaces
// built-in local zones but keeps a private zone or hostnames domain of the same name.
void addRules(const config::Config& c, const std::vector<ForwardRoute>& routes, View& view) {
  for (size_t i = 0; i < c.rules.size(); ++i) {
    const auto& rule = c.rules[i];
    const bool applies =
        rule.vpcs.empty() || (view.vpc != nullptr && std::find(rule.vpcs.begin(), rule.vpcs.end(),
                                                               view.vpc->id) != rule.vpcs.end());
    if (!applies) continue;
    PolicyEntry e;
    e.vpc = view.vpc;
    if (rule.type == config::RuleSpec::Type::kForward) {
      e.kind = PolicyEntry::Kind::kForward;
      e.route = &routes[i];
    } else {
      e.kind = PolicyEntry::Kind::kSystem;
      const PolicyEntry* same = view.table.find(rule.domain);
      if (same != nullptr && (same->kind == PolicyEntry::Kind::kPrivateZone ||
                              same->kind == PolicyEntry::Kind::kHostnames)) {
        continue;
      }
    }
    view.table.set(rule.domain, e);
  }
}

// The system's name servers, as c-ares reads /etc/resolv.conf.
std::vector<SocketAddress> systemNameServers() {
  std::vector<SocketAddress> out;
  ares_channel channel = nullptr;
  ares_options options{};
  if (ares_init_options(&channel, &options, 0) != ARES_SUCCESS) return out;
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) == ARES_SUCCESS) {
    for (auto* s = servers; s != nullptr; s = s->next) {
      const uint16_t port = s->udp_port != 0 ? static_cast<uint16_t>(s->udp_port) : 53;
      if (s->family == AF_INET) {
        out.emplace_back(
            IpAddress::fromBytes({reinterpret_cast<const uint8_t*>(&s->addr.addr4), 4}), port);
      } else if (s->family == AF_INET6) {
        out.emplace_back(
            IpAddress::fromBytes({reinterpret_cast<const uint8_t*>(&s->addr.addr6), 16}), port);
      }
    }
    ares_free_data(servers);
  }
  ares_destroy(channel);
  return out;
}

uint64_t routeContext(const ForwardRoute& r) {
  std::vector<std::string> keys;
  for (const auto& t : r.targets) keys.push_back(t.toString());
  std::sort(keys.begin(), keys.end());
  std::string canonical;
  for (const auto& k : keys) canonical += k + ",";
  if (r.source) canonical += "@" + r.source->toString();
  const uint64_t h = std::hash<std::string>{}(canonical);
  return h == cache::kPublicContext ? 1 : h;
}

std::vector<ForwardRoute> buildRoutes(const config::Config& c, Errors& errors) {
  std::vector<ForwardRoute> routes(c.rules.size());
  std::optional<std::vector<SocketAddress>> system;
  for (size_t i = 0; i < c.rules.size(); ++i) {
    const auto& rule = c.rules[i];
    if (rule.type != config::RuleSpec::Type::kForward) continue;
    ForwardRoute& r = routes[i];
    r.targets = rule.targets;
    if (rule.resolv_conf) {
      if (!system) system = systemNameServers();
      if (system->empty()) {
        errors.push_back(c.source + ":" + std::to_string(rule.line) + ":" +
                         std::to_string(rule.column) + ": rule for " + rule.domain.toText() +
                         ": resolv.conf lists no name servers");
      }
      for (const auto& t : *system) {
        const bool ours = std::any_of(c.server.listen.begin(), c.server.listen.end(),
                                      [&](const config::Listener& l) { return l.address == t; });
        if (ours) {
          errors.push_back(c.source + ":" + std::to_string(rule.line) + ":" +
                           std::to_string(rule.column) + ": rule for " + rule.domain.toText() +
                           ": resolv.conf names " + t.toString() +
                           ", one of our own listeners: queries would loop");
        }
        r.targets.push_back(t);
      }
    }
    const std::string& selection = rule.selection.empty() ? c.forwarding.selection : rule.selection;
    r.by_rtt = selection != "order";
    r.timeout_ms = rule.timeout_ms != 0 ? rule.timeout_ms : c.forwarding.timeout_ms;
    r.source = rule.source ? rule.source : c.forwarding.source;
    r.cache_context = routeContext(r);
  }
  return routes;
}

}  // namespace

std::string zoneFilePath(const config::Config& c, const config::ZoneSpec& z) {
  if (z.file.starts_with("/") || c.base_dir.empty()) return z.file;
  return c.base_dir + "/" + z.file;
}

const View* Snapshot::viewFor(const IpAddress& source, size_t listener_index) const {
  if (listener_index < listener_view.size() && listener_view[listener_index] >= 0) {
    return &views[static_cast<size_t>(listener_view[listener_index])];
  }
  const IpAddress ip = source.unmapped();
  const View* best = nullptr;
  int best_len = -1;
  for (size_t i = 0; i + 1 < views.size(); ++i) {
    for (const auto& p : config->vpcs[i].cidrs) {
      if (static_cast<int>(p.length()) > best_len && p.contains(ip)) {
        best = &views[i];
        best_len = static_cast<int>(p.length());
      }
    }
  }
  if (best != nullptr) return best;
  const auto& allow = config->server.allow;
  const bool allowed =
      std::any_of(allow.begin(), allow.end(), [&](const IpPrefix& p) { return p.contains(ip); });
  return allowed ? &defaultView() : nullptr;
}

Result<std::shared_ptr<const Snapshot>, std::vector<std::string>> buildSnapshot(
    std::shared_ptr<const config::Config> config) {
  Errors errors;
  std::vector<std::shared_ptr<const private_zones::Zone>> zones;
  // An inline zone's change batches live in its journal (server/zone_journal.h).
  const auto keys = config->state_dir.empty() ? std::vector<std::string>() : zoneKeys(*config);
  for (size_t i = 0; i < config->zones.size(); ++i) {
    auto zone = loadZone(*config, config->zones[i], errors);
    if (zone && config->zones[i].file.empty() && !keys.empty()) {
      auto replayed = replayJournal(*config, keys[i], std::move(zone));
      if (!replayed) errors.push_back(replayed.error());
      zone = replayed ? *replayed : nullptr;
    }
    zones.push_back(std::move(zone));
  }
  if (!errors.empty()) return fail(std::move(errors));
  return assembleSnapshot(std::move(config), std::move(zones));
}

Result<std::shared_ptr<const Snapshot>, std::vector<std::string>> assembleSnapshot(
    std::shared_ptr<const config::Config> config,
    std::vector<std::shared_ptr<const private_zones::Zone>> zones) {
  auto s = std::make_shared<Snapshot>();
  s->config = config;
  s->zones = std::move(zones);
  Errors errors;
  s->routes = buildRoutes(*config, errors);
  for (const auto& vpc : config->vpcs)
    s->views.push_back(buildView(*config, s->zones, &vpc, errors));
  s->views.push_back(buildView(*config, s->zones, nullptr, errors));
  for (auto& view : s->views) addRules(*config, s->routes, view);
  for (const auto& l : config->server.listen) {
    int index = -1;
    for (size_t i = 0; i < config->vpcs.size(); ++i) {
      if (config->vpcs[i].id == l.vpc) index = static_cast<int>(i);
    }
    s->listener_view.push_back(index);
  }
  if (!errors.empty()) return fail(std::move(errors));
  return std::shared_ptr<const Snapshot>(std::move(s));
}

}  // namespace vpcdns::server
