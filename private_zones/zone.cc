// Zone: build-time validation and indexing, and the lookup (RFC 1034 §4.3.2, RFC 4592,
// RFC 2308).
//
// Invariants after build(): every ancestor of a node, up to the origin, is a node (empty
// non-terminals included), so the closest encloser of any in-zone name is found by stripping
// labels; nodes_ is never modified again, so the pointers between nodes (cut, glue) and soa_
// stay valid for the zone's life.
#include "private_zones/zone.h"

#include <algorithm>
#include <array>
#include <variant>

#include "common/random.h"
#include "dns/types.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

constexpr std::array<uint8_t, 1> kWildcardLabel = {'*'};

bool isMetaType(uint16_t type) {
  return type == 0 || type == rrtype::kOPT || (type >= 128 && type <= 255);
}

// Whether `rdata` has the alternative dns/ gives RDATA of `type`.
bool shapeMatches(uint16_t type, const dns::Rdata& rdata) {
  switch (type) {
    case rrtype::kA:
      return std::holds_alternative<dns::RdataA>(rdata);
    case rrtype::kAAAA:
      return std::holds_alternative<dns::RdataAAAA>(rdata);
    case rrtype::kNS:
    case rrtype::kCNAME:
    case rrtype::kDNAME:
    case rrtype::kPTR:
      return std::holds_alternative<dns::RdataName>(rdata);
    case rrtype::kSOA:
      return std::holds_alternative<dns::RdataSoa>(rdata);
    case rrtype::kMX:
      return std::holds_alternative<dns::RdataMx>(rdata);
    case rrtype::kTXT:
      return std::holds_alternative<dns::RdataTxt>(rdata);
    case rrtype::kSRV:
      return std::holds_alternative<dns::RdataSrv>(rdata);
    case rrtype::kCAA:
      return std::holds_alternative<dns::RdataCaa>(rdata);
    default:
      return std::holds_alternative<dns::RdataOpaque>(rdata);
  }
}

bool isWildcard(const Name& n) {
  if (n.isRoot()) return false;
  auto l = n.label(0);
  return l.size() == 1 && l[0] == '*';
}

// Types that may share a name with a CNAME (RFC 4035 §2.5).
bool mayAccompanyCname(uint16_t type) {
  return type == rrtype::kCNAME || type == rrtype::kRRSIG || type == rrtype::kNSEC;
}

std::string describe(const dns::Record& r) {
  return r.name.toText() + ' ' + dns::typeToText(r.type);
}

}  // namespace

const RRset* Zone::Node::find(uint16_t type) const {
  for (const RRset& s : rrsets) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

Zone::Zone(Name origin) : origin_(origin), nodes_(0, SeededHash{random64()}) {}

Result<std::shared_ptr<const Zone>, std::string> Zone::build(Name origin,
                                                             std::vector<dns::Record> records) {
  std::shared_ptr<Zone> zone(new Zone(origin));
  zone->nodes_.reserve(records.size() + 1);
  for (dns::Record& r : records) {
    if (auto s = zone->add(std::move(r)); !s) return fail(s.error());
  }
  if (auto s = zone->validate(); !s) return fail(s.error());
  zone->finishRRsets();
  zone->addEmptyNonTerminals();
  zone->markCuts();
  zone->negative_soa_ = *zone->soa_;
  zone->negative_soa_.ttl =
      std::min(zone->soa_->ttl, std::get<dns::RdataSoa>(zone->soa_->rdata).minimum);
  return std::shared_ptr<const Zone>(std::move(zone));
}

Status<std::string> Zone::add(dns::Record r) {
  if (r.cls != dns::rrclass::kIN) {
    return fail(describe(r) + ": class " + dns::classToText(r.cls) + " (only IN is supported)");
  }
  if (!r.name.isSubdomainOf(origin_)) {
    return fail(describe(r) + ": out of zone " + origin_.toText());
  }
  if (isMetaType(r.type)) return fail(describe(r) + ": not a type for zone data");
  std::vector<uint8_t> wire;
  if (!shapeMatches(r.type, r.rdata) || !dns::appendRdataWire(r.rdata, wire)) {
    return fail(describe(r) + ": RDATA of the wrong form for the type");
  }
  if (r.type == rrtype::kSOA && !(r.name == origin_)) {
    return fail(describe(r) + ": SOA record not at the zone apex " + origin_.toText());
  }
  auto [it, inserted] = nodes_.try_emplace(r.name);
  if (inserted) order_.push_back(&*it);
  r.name = it->first;  // one spelling per name: the first seen
  Node& node = it->second;
  for (RRset& s : node.rrsets) {
    if (s.type != r.type) continue;
    s.ttl = std::min(s.ttl, r.ttl);  // RFC 2181 §5.2
    for (const dns::Record& existing : s.records) {
      if (existing.rdata == r.rdata) return {};
    }
    s.records.push_back(std::move(r));
    return {};
  }
  node.rrsets.push_back(RRset{r.type, r.ttl, {}});
  node.rrsets.back().records.push_back(std::move(r));
  return {};
}

Status<std::string> Zone::validate() {
  auto apex = nodes_.find(origin_);
  const RRset* soa = apex == nodes_.end() ? nullptr : apex->second.find(rrtype::kSOA);
  if (soa == nullptr) return fail("no SOA record at the zone apex " + origin_.toText());
  if (soa->records.size() != 1) {
    return fail("more than one SOA record at the zone apex " + origin_.toText());
  }
  soa_ = &soa->records.front();
  for (const auto* entry : order_) {
    const Name& name = entry->first;
    const Node& node = entry->second;
    if (isWildcard(name) && node.find(rrtype::kNS) != nullptr) {
      return fail(name.toText() + ": NS records at a wildcard name (RFC 4592 §4.2)");
    }
    const RRset* cname = node.find(rrtype::kCNAME);
    if (cname == nullptr) continue;
    if (name == origin_) return fail(name.toText() + ": CNAME at the zone apex");
    if (cname->records.size() > 1) {
      return fail(name.toText() + ": more than one CNAME record (RFC 2181 §10.1)");
    }
    for (const RRset& s : node.rrsets) {
      if (!mayAccompanyCname(s.type)) {
        return fail(name.toText() + ": CNAME and other data (" + dns::typeToText(s.type) +
                    ") at the same name (RFC 1034 §3.6.2)");
      }
    }
  }
  return {};
}

void Zone::finishRRsets() {
  for (auto* entry : order_) {
    auto& rrsets = entry->second.rrsets;
    std::sort(rrsets.begin(), rrsets.end(),
              [](const RRset& a, const RRset& b) { return a.type < b.type; });
    for (RRset& s : rrsets) {
      for (dns::Record& r : s.records) r.ttl = s.ttl;
    }
    rrset_count_ += rrsets.size();
  }
  // The SOA moved with the sort: point at it again.
  if (const RRset* soa = findRRset(origin_, rrtype::kSOA); soa != nullptr) {
    soa_ = &soa->records.front();
  }
}

void Zone::addEmptyNonTerminals() {
  // A name that is already a node has had (or will have, being in order_) its ancestors added,
  // so each walk stops at the first existing one: O(names) in all. Inserting does not move
  // existing elements of an unordered_map, so order_ stays valid.
  for (const auto* entry : order_) {
    for (Name n = entry->first.parent(); n.labelCount() > origin_.labelCount(); n = n.parent()) {
      if (!nodes_.try_emplace(n).second) break;
    }
  }
}

void Zone::markCuts() {
  std::vector<Node*> cuts;
  for (auto* entry : order_) {
    if (!(entry->first == origin_) && entry->second.find(rrtype::kNS) != nullptr) {
      cuts.push_back(&entry->second);
    }
  }
  if (cuts.empty()) return;
  for (auto& [name, node] : nodes_) {
    // The highest NS owner strictly below the apex, at or above the node, is its cut.
    for (Name n = name; n.labelCount() > origin_.labelCount(); n = n.parent()) {
      auto it = nodes_.find(n);
      if (it != nodes_.end() && it->second.find(rrtype::kNS) != nullptr) node.cut = &it->second;
    }
  }
  for (Node* cut : cuts) {
    if (cut->cut == cut) collectGlue(*cut);  // nested cuts are occluded: no referral to them
  }
}

void Zone::collectGlue(Node& cut) {
  const RRset* ns_rrset = cut.find(rrtype::kNS);
  if (ns_rrset == nullptr) return;
  for (const dns::Record& ns : ns_rrset->records) {
    auto it = nodes_.find(std::get<dns::RdataName>(ns.rdata).name);
    if (it == nodes_.end()) continue;
    for (uint16_t type : {rrtype::kA, rrtype::kAAAA}) {
      const RRset* s = it->second.find(type);
      if (s != nullptr && std::find(cut.glue.begin(), cut.glue.end(), s) == cut.glue.end()) {
        cut.glue.push_back(s);
      }
    }
  }
}

Lookup Zone::lookup(const Name& qname, uint16_t qtype) const {
  if (!qname.isSubdomainOf(origin_)) return Lookup{};
  if (auto it = nodes_.find(qname); it != nodes_.end()) {
    const Node& node = it->second;
    // RFC 1034 §4.3.2 step 3b; DS at the cut itself belongs to this side (RFC 4035 §3.1.4.1).
    if (node.cut != nullptr && !(node.cut == &node && qtype == rrtype::kDS)) {
      return delegation(*node.cut);
    }
    return answerAt(node, qtype, nullptr);
  }
  // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor (the apex at worst);
  // the source of synthesis is "*." + closest encloser.
  const size_t below = qname.labelCount() - origin_.labelCount();
  for (size_t strip = 1; strip <= below; ++strip) {
    const Name encloser = qname.stripLeft(strip);
    auto it = nodes_.find(encloser);
    if (it == nodes_.end()) continue;
    if (it->second.cut != nullptr) return delegation(*it->second.cut);
    if (auto wild = encloser.prepend(kWildcardLabel); wild) {
      if (auto w = nodes_.find(*wild); w != nodes_.end()) return answerAt(w->second, qtype, &qname);
    }
    break;
  }
  return negative(LookupKind::kNxDomain);
}

Lookup Zone::answerAt(const Node& node, uint16_t qtype, const Name* owner_override) const {
  Lookup r;
  if (qtype == rrtype::kANY && !node.rrsets.empty()) {
    r.kind = LookupKind::kAnswer;
    r.rrsets = node.rrsets;
  } else if (const RRset* s = node.find(qtype); s != nullptr) {
    r.kind = LookupKind::kAnswer;
    r.rrsets = {s, 1};
  } else if (const RRset* c = node.find(rrtype::kCNAME); c != nullptr) {
    r.kind = LookupKind::kCname;
    r.rrsets = {c, 1};
  } else {
    r = negative(LookupKind::kNoData);
  }
  r.wildcard = owner_override != nullptr;
  if (!r.rrsets.empty()) r.owner_override = owner_override;
  return r;
}

Lookup Zone::delegation(const Node& cut) const {
  Lookup r;
  r.kind = LookupKind::kDelegation;
  r.rrsets = {cut.find(rrtype::kNS), 1};
  r.glue = cut.glue;
  return r;
}

Lookup Zone::negative(LookupKind kind) const {
  Lookup r;
  r.kind = kind;
  r.soa = &negative_soa_;
  return r;
}

const RRset* Zone::findRRset(const Name& name, uint16_t type) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second.find(type);
}

const std::vector<dns::Record>* Zone::find(const Name& name, uint16_t type) const {
  const RRset* s = findRRset(name, type);
  return s == nullptr ? nullptr : &s->records;
}

std::vector<dns::Record> Zone::records() const {
  std::vector<const RRset*> sets;
  sets.reserve(rrset_count_);
  forEachRRset([&](const RRset& s) { sets.push_back(&s); });
  std::sort(sets.begin(), sets.end(), [](const RRset* a, const RRset* b) {
    auto c = a->owner().canonicalCompare(b->owner());
    return c != 0 ? c < 0 : a->type < b->type;
  });
  std::vector<dns::Record> out;
  for (const RRset* s : sets) out.insert(out.end(), s->records.begin(), s->records.end());
  return out;
}

}  // namespace vpcdns::private_zones
