// An authoritative zone held in memory, immutable after build(), and its lookup (RFC 1034
// §4.3.2 steps 3a-3c, RFC 4592 wildcards, RFC 2308 negative answers, RFC 2181 §5.2 RRsets).
//
// Layout: one hash table from owner name (case-insensitive, with a per-zone random hash seed) to
// a node holding the RRsets at that name, sorted by type. build() adds empty non-terminals
// (RFC 8020: a name with nothing but descendants exists, so it is NODATA, not NXDOMAIN), marks
// every node at or below a zone cut, and finds each cut's glue. A lookup is then at most
// labels(qname) - labels(origin) + 1 hash probes, whatever the zone's size, and allocates
// nothing: results point into the zone.
//
// Thread safety: a built Zone is never modified; share it (shared_ptr<const Zone>) freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "dns/message.h"
#include "dns/name.h"

namespace vpcdns::private_zones {

// All records of one owner and type. Every record has the same owner (in the case of the first
// record seen for that name), type, class IN and TTL (the smallest given, RFC 2181 §5.2); no two
// have equal RDATA.
struct RRset {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<dns::Record> records;  // never empty

  const dns::Name& owner() const { return records.front().name; }
};

enum class LookupKind : uint8_t {
  kAnswer,      // rrsets: the RRset of qtype (one), or for qtype ANY every RRset at the name
  kCname,       // rrsets: the CNAME RRset (one); the caller restarts at its target
  kNoData,      // the name exists without data of qtype; soa for the authority section
  kNxDomain,    // the name does not exist; soa for the authority section
  kDelegation,  // the name is at or below a zone cut: rrsets is the cut's NS RRset, glue its
                // in-zone addresses (referral; the answer is not authoritative)
  kNotInZone,   // qname is not at or below the origin
};

struct Lookup {
  LookupKind kind = LookupKind::kNotInZone;
  std::span<const RRset> rrsets;
  // For kDelegation: A then AAAA RRsets of the NS targets that are in this zone (glue, RFC 1034
  // §4.2.1), in NS order, each at most once. Empty otherwise.
  std::span<const RRset* const> glue;
  // For kNoData and kNxDomain: the SOA to put in the authority section, its TTL already
  // min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). Null otherwise.
  const dns::Record* soa = nullptr;
  // The answer was synthesised from a wildcard (RFC 4592): `rrsets` are owned by "*.<closest
  // encloser>" and must be written with the query name as owner. Then owner_override points at
  // the qname given to lookup() (so it lives as long as that); pass it to
  // MessageWriter::addRRset(section, rrset.records, owner_override). Null when not a wildcard.
  bool wildcard = false;
  const dns::Name* owner_override = nullptr;

  const RRset& rrset() const { return rrsets.front(); }  // requires !rrsets.empty()
};

class Zone {
 public:
  // Builds a zone from `records` (any order). Errors, as one line each:
  //  - a record outside `origin`, of a class other than IN, or of a meta type (OPT, 128-255);
  //  - RDATA of the wrong shape for its type (e.g. RdataTxt in an A record);
  //  - no SOA at the apex, more than one, or an SOA elsewhere;
  //  - a CNAME with other data at its name (RRSIG and NSEC allowed, RFC 1034 §3.6.2, RFC 2181
  //    §10.1, RFC 4035 §2.5), more than one CNAME at a name, or a CNAME at the apex;
  //  - NS at a wildcard name (RFC 4592 §4.2).
  // Records of one owner and type merge into an RRset (smallest TTL; exact duplicates dropped).
  static Result<std::shared_ptr<const Zone>, std::string> build(dns::Name origin,
                                                                std::vector<dns::Record> records);

  // Answers qname/qtype from this zone. qtype ANY gives every RRset at the name (not the RFC
  // 8482 minimal form; the caller may cut it down). A query for DS at a zone cut is answered
  // from this (the parent) side (RFC 4035 §3.1.4.1). DNAME records are data only: no DNAME
  // substitution. Allocates nothing; O(labels in qname) hash probes.
  Lookup lookup(const dns::Name& qname, uint16_t qtype) const;

  const dns::Name& origin() const { return origin_; }
  const dns::Record& soa() const { return *soa_; }
  // The SOA with TTL min(SOA TTL, MINIMUM), as negative answers carry it (RFC 2308 §3).
  const dns::Record& negativeSoa() const { return negative_soa_; }

  // Data as stored, regardless of zone cuts; null when there is none. Case-insensitive.
  const RRset* findRRset(const dns::Name& name, uint16_t type) const;
  const std::vector<dns::Record>* find(const dns::Name& name, uint16_t type) const;
  // Whether `name` exists (has data or descendants: empty non-terminals exist).
  bool contains(const dns::Name& name) const { return nodes_.contains(name); }

  // Calls f(const RRset&) for every RRset, in no particular order.
  template <class F>
  void forEachRRset(F&& f) const {
    for (const auto& [name, node] : nodes_) {
      for (const RRset& s : node.rrsets) f(s);
    }
  }

  // Every record, in canonical order (RFC 4034 §6.1 by owner, then by type), enough to rebuild
  // an equal zone with build().
  std::vector<dns::Record> records() const;

  size_t rrsetCount() const { return rrset_count_; }
  size_t nodeCount() const { return nodes_.size(); }  // names with data and empty non-terminals

 private:
  struct Node {
    std::vector<RRset> rrsets;       // sorted by type; empty for an empty non-terminal
    const Node* cut = nullptr;       // the highest zone cut at or above this node (not apex)
    std::vector<const RRset*> glue;  // for a cut: its NS targets' in-zone addresses
    const RRset* find(uint16_t type) const;
  };
  struct SeededHash {
    uint64_t seed = 0;
    size_t operator()(const dns::Name& n) const { return n.hash(seed); }
  };
  using NodeMap = std::unordered_map<dns::Name, Node, SeededHash>;

  explicit Zone(dns::Name origin);
  Zone(const Zone&) = delete;  // nodes point into each other and soa_ into the table
  Zone& operator=(const Zone&) = delete;

  Status<std::string> add(dns::Record r);
  Status<std::string> validate();
  void finishRRsets();
  void addEmptyNonTerminals();
  void markCuts();
  void collectGlue(Node& cut);
  Lookup answerAt(const Node& node, uint16_t qtype, const dns::Name* owner_override) const;
  Lookup delegation(const Node& cut) const;
  Lookup negative(LookupKind kind) const;

  dns::Name origin_;
  NodeMap nodes_;
  std::vector<NodeMap::value_type*> order_;  // names with data, first seen first (for errors)
  const dns::Record* soa_ = nullptr;
  dns::Record negative_soa_;
  size_t rrset_count_ = 0;
};

}  // namespace vpcdns::private_zones
