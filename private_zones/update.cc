// RFC 2136 UPDATE processing on a copy of a zone's records: zone section (§3.1), prerequisites
// (§3.2), prescan (§3.4.1), updates (§3.4.2) and the SOA serial (§3.6).
#include "private_zones/update.h"

#include <algorithm>
#include <map>
#include <utility>
#include <variant>

#include "dns/types.h"

namespace vpcdns::private_zones {
namespace {

namespace rrtype = dns::rrtype;
namespace rrclass = dns::rrclass;
namespace rcode = dns::rcode;
using dns::Name;
using dns::Record;

// RRsets keyed by owner (case-insensitive, canonical order) and type.
struct Key {
  Name name;
  uint16_t type = 0;
  bool operator==(const Key&) const = default;  // names case-insensitively
};
struct KeyLess {
  bool operator()(const Key& a, const Key& b) const {
    auto c = a.name.canonicalCompare(b.name);
    return c != 0 ? c < 0 : a.type < b.type;
  }
};
using RRsets = std::map<Key, std::vector<Record>, KeyLess>;

// Meta and query types (RFC 6895 §3.1: OPT and 128-255) are never zone data.
bool isMetaType(uint16_t type) {
  return type == rrtype::kOPT || (type >= 128 && type <= 255);
}

// RFC 2136 §2.4-2.5: ANY/NONE prerequisites and deletions carry no RDATA; Message::parse keeps
// such records as empty RdataOpaque.
bool emptyRdata(const Record& r) {
  const auto* o = std::get_if<dns::RdataOpaque>(&r.rdata);
  return o && o->data.empty();
}

// RFC 1982 §3.2: s1 > s2 in 32-bit serial number arithmetic.
bool serialGreater(uint32_t s1, uint32_t s2) {
  return s1 != s2 && static_cast<uint32_t>(s1 - s2) < 0x80000000u;
}

UpdateResult failure(uint16_t code, std::string reason) {
  return UpdateResult{code, {}, std::move(reason)};
}

std::string describe(const Record& r) {
  return r.name.toText() + " " + dns::classToText(r.cls) + " " + dns::typeToText(r.type);
}

// The working copy of the zone and the update operations on it. Each operation returns whether
// it changed anything.
class Editor {
 public:
  explicit Editor(const Zone& zone) : origin_(zone.origin()) {
    for (Record& r : zone.records()) sets_[Key{r.name, r.type}].push_back(std::move(r));
  }

  const RRsets& sets() const { return sets_; }

  bool nameInUse(const Name& name) const {
    auto it = sets_.lower_bound(Key{name, 0});
    return it != sets_.end() && it->first.name == name;
  }
  const std::vector<Record>* find(const Name& name, uint16_t type) const {
    auto it = sets_.find(Key{name, type});
    return it == sets_.end() ? nullptr : &it->second;
  }

  bool add(const Record& r);
  bool deleteName(const Name& name);
  bool deleteRRset(const Name& name, uint16_t type);
  bool deleteRecord(const Record& r);
  bool bumpSerial(uint32_t old_serial);
  std::vector<Record> records() const;

 private:
  bool cnameConflict(const Record& r) const;
  bool addSoa(const Record& r);

  Name origin_;
  RRsets sets_;
};

// RFC 2136 §3.4.2.2, RFC 2181 §10.1, RFC 4035 §2.5: a CNAME and other data (but RRSIG and NSEC)
// do not share a name.
bool Editor::cnameConflict(const Record& r) const {
  auto coexists = [](uint16_t t) {
    return t == rrtype::kCNAME || t == rrtype::kRRSIG || t == rrtype::kNSEC;
  };
  if (coexists(r.type) && r.type != rrtype::kCNAME) return false;
  for (auto it = sets_.lower_bound(Key{r.name, 0}); it != sets_.end() && it->first.name == r.name;
       ++it) {
    if (r.type == rrtype::kCNAME ? !coexists(it->first.type) : it->first.type == rrtype::kCNAME) {
      return true;
    }
  }
  return false;
}

// An SOA replaces the apex SOA only when its serial is greater (RFC 2136 §3.4.2.2).
bool Editor::addSoa(const Record& r) {
  auto it = sets_.find(Key{r.name, rrtype::kSOA});
  if (it == sets_.end()) return false;
  const auto& old_soa = std::get<dns::RdataSoa>(it->second.front().rdata);
  const auto* new_soa = std::get_if<dns::RdataSoa>(&r.rdata);
  if (!new_soa || !serialGreater(new_soa->serial, old_soa.serial)) return false;
  it->second = {r};
  return true;
}

bool Editor::add(const Record& r) {
  if (cnameConflict(r)) return false;
  if (r.type == rrtype::kSOA) return addSoa(r);
  auto& set = sets_[Key{r.name, r.type}];
  if (r.type == rrtype::kCNAME && !set.empty() && !(set.front() == r)) {
    set = {r};  // a CNAME replaces the CNAME
    return true;
  }
  auto same =
      std::find_if(set.begin(), set.end(), [&](const Record& z) { return z.rdata == r.rdata; });
  const bool ttl_same = !set.empty() && set.front().ttl == r.ttl;
  if (same != set.end() && ttl_same) return false;  // a duplicate
  if (same == set.end()) set.push_back(r);
  for (Record& z : set) z.ttl = r.ttl;  // one TTL per RRset (RFC 2181 §5.2)
  return true;
}

// Class ANY, type ANY (RFC 2136 §3.4.2.3): every RRset at the name; at the apex all but SOA/NS.
bool Editor::deleteName(const Name& name) {
  const bool apex = name == origin_;
  bool changed = false;
  for (auto it = sets_.lower_bound(Key{name, 0}); it != sets_.end() && it->first.name == name;) {
    if (apex && (it->first.type == rrtype::kSOA || it->first.type == rrtype::kNS)) {
      ++it;
      continue;
    }
    it = sets_.erase(it);
    changed = true;
  }
  return changed;
}

// Class ANY, type T (RFC 2136 §3.4.2.3): the RRset, except the apex SOA and NS.
bool Editor::deleteRRset(const Name& name, uint16_t type) {
  if (name == origin_ && (type == rrtype::kSOA || type == rrtype::kNS)) return false;
  return sets_.erase(Key{name, type}) > 0;
}

// Class NONE (RFC 2136 §3.4.2.4): one RR; never an SOA nor the last NS at the apex.
bool Editor::deleteRecord(const Record& r) {
  if (r.type == rrtype::kSOA) return false;
  auto it = sets_.find(Key{r.name, r.type});
  if (it == sets_.end()) return false;
  auto& set = it->second;
  auto same =
      std::find_if(set.begin(), set.end(), [&](const Record& z) { return z.rdata == r.rdata; });
  if (same == set.end()) return false;
  if (r.type == rrtype::kNS && r.name == origin_ && set.size() == 1) return false;
  set.erase(same);
  if (set.empty()) sets_.erase(it);
  return true;
}

// RFC 2136 §3.6 with RFC 1982 arithmetic: the serial goes up by one unless the update already
// raised it. 0 is skipped on wrap-around (as BIND does: some software treats 0 specially).
bool Editor::bumpSerial(uint32_t old_serial) {
  auto it = sets_.find(Key{origin_, rrtype::kSOA});
  if (it == sets_.end()) return false;
  auto& soa = std::get<dns::RdataSoa>(it->second.front().rdata);
  if (serialGreater(soa.serial, old_serial)) return false;
  soa.serial = old_serial + 1;
  if (soa.serial == 0) soa.serial = 1;
  return true;
}

std::vector<Record> Editor::records() const {
  std::vector<Record> out;
  for (const auto& [key, set] : sets_) out.insert(out.end(), set.begin(), set.end());
  return out;
}

// §3.1: one zone entry, type SOA, class IN, naming this zone.
UpdateResult checkZoneSection(const Zone& zone, const dns::Message& update) {
  if (update.questions.size() != 1) return failure(rcode::kFormErr, "zone section count != 1");
  const dns::Question& q = update.questions.front();
  if (q.type != rrtype::kSOA) return failure(rcode::kFormErr, "zone section type is not SOA");
  if (q.cls != rrclass::kIN) return failure(rcode::kFormErr, "zone section class is not IN");
  if (!(q.name == zone.origin())) {
    return failure(rcode::kNotAuth, "not authoritative for " + q.name.toText());
  }
  return {};
}

// §3.2.5: the class-IN prerequisites of one name and type, against the zone's RRset.
bool rrsetMatches(const std::vector<Record>* zone_set, const std::vector<const Record*>& want) {
  if (!zone_set) return false;
  std::vector<const dns::Rdata*> distinct;
  for (const Record* r : want) {
    auto same = [&](const dns::Rdata* d) { return *d == r->rdata; };
    if (std::none_of(distinct.begin(), distinct.end(), same)) distinct.push_back(&r->rdata);
  }
  if (distinct.size() != zone_set->size()) return false;
  return std::all_of(distinct.begin(), distinct.end(), [&](const dns::Rdata* d) {
    return std::any_of(zone_set->begin(), zone_set->end(),
                       [&](const Record& z) { return z.rdata == *d; });
  });
}

// One class ANY or NONE prerequisite (§3.2.1-§3.2.2).
UpdateResult checkPresence(const Editor& zone, const Record& r) {
  if (!emptyRdata(r)) return failure(rcode::kFormErr, "prerequisite with RDATA: " + describe(r));
  const bool any = r.cls == rrclass::kANY;
  const bool exists =
      r.type == rrtype::kANY ? zone.nameInUse(r.name) : zone.find(r.name, r.type) != nullptr;
  if (any && !exists) {
    return failure(r.type == rrtype::kANY ? rcode::kNXDomain : rcode::kNXRRSet,
                   "prerequisite failed: " + describe(r));
  }
  if (!any && exists) {
    return failure(r.type == rrtype::kANY ? rcode::kYXDomain : rcode::kYXRRSet,
                   "prerequisite failed: " + describe(r));
  }
  return {};
}

// §3.2: every prerequisite, in order; the first failure is the answer.
UpdateResult checkPrerequisites(const Editor& zone, const Name& origin,
                                const std::vector<Record>& prereqs) {
  std::map<Key, std::vector<const Record*>, KeyLess> value_sets;
  for (const Record& r : prereqs) {
    if (r.ttl != 0) return failure(rcode::kFormErr, "prerequisite TTL != 0: " + describe(r));
    if (!r.name.isSubdomainOf(origin)) {
      return failure(rcode::kNotZone, "prerequisite outside the zone: " + describe(r));
    }
    if (r.cls == rrclass::kANY || r.cls == rrclass::kNONE) {
      if (auto res = checkPresence(zone, r); res.rcode != rcode::kNoError) return res;
    } else if (r.cls == rrclass::kIN && !isMetaType(r.type)) {
      value_sets[Key{r.name, r.type}].push_back(&r);
    } else {
      return failure(rcode::kFormErr, "bad prerequisite: " + describe(r));
    }
  }
  for (const auto& [key, want] : value_sets) {
    if (!rrsetMatches(zone.find(key.name, key.type), want)) {
      return failure(rcode::kNXRRSet, "prerequisite RRset differs: " + describe(*want.front()));
    }
  }
  return {};
}

// §3.4.1.3: the shape of one update RR.
bool updateWellFormed(const Record& r) {
  switch (r.cls) {
    case rrclass::kIN:
      return !isMetaType(r.type);
    case rrclass::kANY:
      return r.ttl == 0 && emptyRdata(r) && (r.type == rrtype::kANY || !isMetaType(r.type));
    case rrclass::kNONE:
      return r.ttl == 0 && !isMetaType(r.type);
    default:
      return false;
  }
}

// §3.4.1: every update RR is checked before any is applied.
UpdateResult prescan(const Name& origin, const std::vector<Record>& updates) {
  for (const Record& r : updates) {
    if (!r.name.isSubdomainOf(origin)) {
      return failure(rcode::kNotZone, "update outside the zone: " + describe(r));
    }
    if (!updateWellFormed(r)) return failure(rcode::kFormErr, "bad update RR: " + describe(r));
  }
  return {};
}

bool applyOne(Editor& editor, const Record& r) {
  if (r.cls == rrclass::kIN) return editor.add(r);
  if (r.cls == rrclass::kANY) {
    return r.type == rrtype::kANY ? editor.deleteName(r.name) : editor.deleteRRset(r.name, r.type);
  }
  return editor.deleteRecord(r);
}

}  // namespace

UpdateResult applyUpdate(const Zone& zone, const dns::Message& update, bool* changed) {
  if (changed) *changed = false;
  if (auto res = checkZoneSection(zone, update); res.rcode != rcode::kNoError) return res;
  Editor editor(zone);
  if (auto res = checkPrerequisites(editor, zone.origin(), update.answer);
      res.rcode != rcode::kNoError) {
    return res;
  }
  if (auto res = prescan(zone.origin(), update.authority); res.rcode != rcode::kNoError) {
    return res;
  }
  const RRsets before = editor.sets();
  for (const Record& r : update.authority) applyOne(editor, r);
  // Compared as a whole, so that an add undone by a later delete is no change.
  const bool any = editor.sets() != before;
  if (any) editor.bumpSerial(std::get<dns::RdataSoa>(zone.soa().rdata).serial);
  UpdateResult result{rcode::kNoError, editor.records(), {}};
  if (any) {
    // The zone must stay valid (e.g. no NS at a wildcard, RFC 4592 §4.2).
    auto built = Zone::build(zone.origin(), result.records);
    if (!built) return failure(rcode::kRefused, "update would break the zone: " + built.error());
  }
  if (changed) *changed = any;
  return result;
}

std::string zoneToText(const Zone& zone) {
  std::string out = "$ORIGIN " + zone.origin().toText() + "\n";
  out += dns::recordToText(zone.soa()) + "\n";
  for (const Record& r : zone.records()) {
    if (r.type == rrtype::kSOA) continue;
    out += dns::recordToText(r) + "\n";
  }
  return out;
}

}  // namespace vpcdns::private_zones
