// Route 53 change batches on a copy of a zone's RRsets. Messages follow Route 53's wording so
// that scripts matching on them keep working.
#include "private_zones/change_batch.h"

#include <algorithm>
#include <map>
#include <utility>
#include <variant>

#include "dns/types.h"

namespace vpcdns::private_zones {
namespace {

namespace rrtype = dns::rrtype;
using dns::Name;
using dns::Record;

struct Key {
  Name name;
  uint16_t type = 0;
};
struct KeyLess {
  bool operator()(const Key& a, const Key& b) const {
    auto c = a.name.canonicalCompare(b.name);
    return c != 0 ? c < 0 : a.type < b.type;
  }
};
using Sets = std::map<Key, std::vector<Record>, KeyLess>;  // each set non-empty, one TTL

// RFC 1982 §3.2: s1 > s2 in 32-bit serial number arithmetic.
bool serialGreater(uint32_t s1, uint32_t s2) {
  return s1 != s2 && static_cast<uint32_t>(s1 - s2) < 0x80000000u;
}

// The same TTL and the same values, in any order (Route 53 compares a DELETE this way).
bool sameSet(const std::vector<Record>& have, const RRsetChange& c) {
  if (have.size() != c.values.size() || have.front().ttl != c.ttl) return false;
  return std::all_of(c.values.begin(), c.values.end(), [&](const dns::Rdata& v) {
    return std::any_of(have.begin(), have.end(), [&](const Record& r) { return r.rdata == v; });
  });
}

std::vector<Record> toRecords(const RRsetChange& c) {
  std::vector<Record> out;
  out.reserve(c.values.size());
  for (const auto& v : c.values) out.push_back(Record{c.name, c.type, dns::rrclass::kIN, c.ttl, v});
  return out;
}

class Applier {
 public:
  explicit Applier(const Zone& zone) : origin_(zone.origin()) {
    for (Record& r : zone.records()) sets_[Key{r.name, r.type}].push_back(std::move(r));
  }

  const Sets& sets() const { return sets_; }

  // Applies one change, or returns why it cannot be (then nothing changed).
  std::string apply(const RRsetChange& c) {
    if (!c.name.isSubdomainOf(origin_)) {
      return "RRSet with DNS name " + c.name.toText() + " is not permitted in zone " + zoneText();
    }
    if (c.values.empty()) {
      return "Invalid Resource Record: FATAL problem: no value for resource record set " +
             describeRRset(c.name, c.type);
    }
    if (c.action == ChangeAction::kDelete) return erase(c);
    if (auto why = checkShape(c); !why.empty()) return why;
    auto it = sets_.find(Key{c.name, c.type});
    if (c.action == ChangeAction::kCreate && it != sets_.end()) {
      return "Tried to create resource record set " + describeRRset(c.name, c.type) +
             " but it already exists";
    }
    if (auto why = checkCname(c); !why.empty()) return why;
    sets_[Key{c.name, c.type}] = toRecords(c);
    return {};
  }

 private:
  std::string zoneText() const { return origin_.toText(); }

  std::string erase(const RRsetChange& c) {
    auto it = sets_.find(Key{c.name, c.type});
    const std::string set = describeRRset(c.name, c.type);
    if (it == sets_.end()) {
      return "Tried to delete resource record set " + set + " but it was not found";
    }
    if (c.name == origin_ && c.type == rrtype::kSOA) {
      return "A HostedZone must contain exactly one SOA record.";
    }
    if (c.name == origin_ && c.type == rrtype::kNS) {
      return "A HostedZone must contain at least one NS record for the zone itself.";
    }
    if (!sameSet(it->second, c)) {
      return "Tried to delete resource record set " + set +
             " but the values provided do not match the current values";
    }
    sets_.erase(it);
    return {};
  }

  // Types that hold exactly one record, and the SOA's place.
  std::string checkShape(const RRsetChange& c) const {
    if ((c.type == rrtype::kCNAME || c.type == rrtype::kSOA) && c.values.size() > 1) {
      return "Invalid Resource Record: FATAL problem: RRSet of type " + dns::typeToText(c.type) +
             " with DNS name " + c.name.toText() + " contains more than one value";
    }
    if (c.type == rrtype::kSOA && !(c.name == origin_)) {
      return "RRSet of type SOA with DNS name " + c.name.toText() +
             " is not permitted because SOA records are only permitted at the apex of zone " +
             zoneText();
    }
    return {};
  }

  // RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME has its name to itself (RRSIG and NSEC aside,
  // RFC 4035 §2.5), and is never at the apex.
  std::string checkCname(const RRsetChange& c) const {
    const std::string what =
        "RRSet of type " + dns::typeToText(c.type) + " with DNS name " + c.name.toText();
    if (c.type == rrtype::kCNAME && c.name == origin_) {
      return what + " is not permitted at apex in zone " + zoneText();
    }
    auto coexists = [](uint16_t t) { return t == rrtype::kRRSIG || t == rrtype::kNSEC; };
    if (coexists(c.type)) return {};
    for (auto it = sets_.lower_bound(Key{c.name, 0}); it != sets_.end() && it->first.name == c.name;
         ++it) {
      const uint16_t t = it->first.type;
      if (c.type == rrtype::kCNAME && t != rrtype::kCNAME && !coexists(t)) {
        return what +
               " is not permitted as it conflicts with other records with the same DNS name " +
               "in zone " + zoneText();
      }
      if (c.type != rrtype::kCNAME && t == rrtype::kCNAME) {
        return what + " is not permitted because a conflicting RRSet of type CNAME with the same " +
               "DNS name already exists in zone " + zoneText();
      }
    }
    return {};
  }

 public:
  // RFC 2136 §3.6 behaviour for a batch: +1 unless the batch raised the serial itself.
  void bumpSerial(uint32_t old_serial) {
    auto it = sets_.find(Key{origin_, rrtype::kSOA});
    if (it == sets_.end()) return;
    auto* soa = std::get_if<dns::RdataSoa>(&it->second.front().rdata);
    if (soa == nullptr || serialGreater(soa->serial, old_serial)) return;
    soa->serial = old_serial + 1;
    if (soa->serial == 0) soa->serial = 1;
  }

  std::vector<Record> records() const {
    std::vector<Record> out;
    for (const auto& [key, set] : sets_) out.insert(out.end(), set.begin(), set.end());
    return out;
  }

 private:
  Name origin_;
  Sets sets_;
};

bool equalSets(const Sets& a, const Sets& b) {
  if (a.size() != b.size()) return false;
  auto ib = b.begin();
  for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
    if (!(ia->first.name == ib->first.name) || ia->first.type != ib->first.type) return false;
    if (ia->second.size() != ib->second.size()) return false;
    // Values compare as sets with their TTL; owner case differences are no change.
    for (const Record& r : ia->second) {
      auto same = [&](const Record& z) { return z.rdata == r.rdata && z.ttl == r.ttl; };
      if (std::none_of(ib->second.begin(), ib->second.end(), same)) return false;
    }
  }
  return true;
}

}  // namespace

std::string describeRRset(const dns::Name& name, uint16_t type) {
  return "[name='" + name.toText() + "', type='" + dns::typeToText(type) + "']";
}

BatchResult applyChangeBatch(const Zone& zone, const ChangeBatch& batch) {
  BatchResult result;
  if (batch.changes.empty()) {
    result.errors.push_back("A change batch must contain at least one change");
    return result;
  }
  Applier applier(zone);
  const Sets before = applier.sets();
  for (const RRsetChange& c : batch.changes) {
    if (auto why = applier.apply(c); !why.empty()) result.errors.push_back(std::move(why));
  }
  if (!result.errors.empty()) return result;
  result.changed = !equalSets(before, applier.sets());
  if (result.changed) {
    const auto* soa = std::get_if<dns::RdataSoa>(&zone.soa().rdata);
    if (soa != nullptr) applier.bumpSerial(soa->serial);
  }
  result.records = applier.records();
  if (result.changed) {
    // The zone must stay valid (e.g. no NS at a wildcard, RFC 4592 §4.2).
    auto built = Zone::build(zone.origin(), result.records);
    if (!built) {
      result.errors.push_back("The change batch would make zone " + zone.origin().toText() +
                              " invalid: " + built.error());
      result.records.clear();
      result.changed = false;
    }
  }
  return result;
}

}  // namespace vpcdns::private_zones
