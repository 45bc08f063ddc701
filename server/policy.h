// The per-VPC policy table (GUIDE §2): one longest-suffix table per VPC naming what answers a
// name: a private zone, a built-in local zone, synthesized instance hostnames, a FORWARD rule or
// a SYSTEM rule, or (no entry) the default "." (recursion). On an exact tie a FORWARD rule beats
// a zone (Route 53); a SYSTEM rule keeps a private zone of the same name ("resolve here").
//
// Matching is on whole labels, case-insensitive; the most specific name wins. Lookup costs one
// hash probe per label of the query name and makes no heap allocation.
//
// Thread affinity: built once per config snapshot, then immutable and shared by all workers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dns/name.h"

namespace vpcdns::private_zones {
class Zone;
}
namespace vpcdns::config {
struct Vpc;
}

namespace vpcdns::server {

struct ForwardRoute;

struct PolicyEntry {
  enum class Kind : uint8_t {
    kPrivateZone,  // a private zone associated with the VPC: answers authoritatively
    kLocalZone,    // localhost, RFC 6303 reverse zones: answered here, never sent upstream
    kHostnames,    // ip-a-b-c-d.<domain> synthesized from the VPC's CIDRs
    kForward,      // a FORWARD rule: sent to the rule's targets
    kSystem,       // a SYSTEM rule: resolved here (recursion), even under a FORWARD rule
  };
  Kind kind = Kind::kPrivateZone;
  const private_zones::Zone* zone = nullptr;  // its data (for kHostnames: just the SOA)
  const dns::Name* hostnames = nullptr;       // ip-a-b-c-d.<*hostnames> names are synthesized
  const config::Vpc* vpc = nullptr;           // whose CIDRs bound the synthesized names
  const ForwardRoute* route = nullptr;        // kForward: where to (in the snapshot)
  dns::Name apex;                             // the entry's name
};

class PolicyTable {
 public:
  // Adds or replaces the entry for `name`. Replacing is how a more important kind wins an exact
  // tie (a private zone replaces a local zone of the same name).
  void set(const dns::Name& name, PolicyEntry entry);

  // The entry of the longest suffix of `qname` in the table, or nullptr (the default ".").
  const PolicyEntry* match(const dns::Name& qname) const;
  // The entry for exactly `name`, or nullptr.
  const PolicyEntry* find(const dns::Name& name) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Keyed by the lowercased wire form of the name.
  std::unordered_map<std::string, PolicyEntry, Hash, std::equal_to<>> entries_;
  size_t max_labels_ = 0;  // no entry is deeper: skip probing longer suffixes
};

}  // namespace vpcdns::server
