// Route 53 change batches (ChangeResourceRecordSets) applied to a zone's records.
//
// A batch is a list of RRset-level changes (CREATE, DELETE, UPSERT), applied all or nothing with
// Route 53's rules and error messages (API reference: ChangeResourceRecordSets, Change,
// InvalidChangeBatch):
//  - CREATE of a set (name, type) that exists, DELETE of one that does not, or a DELETE whose TTL
//    or values differ from the current set, are errors (DELETE must name the set exactly);
//  - UPSERT creates the set or replaces its TTL and values;
//  - a name outside the zone, a CNAME with other data at its name, a CNAME at the apex, deleting
//    the apex SOA or NS, and a result that is not a valid zone (e.g. NS at a wildcard) are errors;
//  - changes apply in order, so DELETE then CREATE of one set in one batch replaces it, and a
//    second DELETE of the same set in one batch fails ("not found").
// Every change is checked and every failure reported (Route 53 lists them all). When something
// changed and the batch did not itself raise the SOA serial, the serial goes up by one (RFC 1982
// arithmetic, skipping 0), once per batch, as RFC 2136 updates do.
//
// Pure functions, no I/O: the caller builds the new Zone from `records` and publishes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "private_zones/zone.h"

namespace vpcdns::private_zones {

enum class ChangeAction : uint8_t { kCreate, kDelete, kUpsert };

// One Change element: the action and the whole resource record set it names.
struct RRsetChange {
  ChangeAction action = ChangeAction::kCreate;
  dns::Name name;  // absolute (Route 53 names are fully qualified, trailing dot optional)
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<dns::Rdata> values;  // at least one; no two equal
};

struct ChangeBatch {
  std::string comment;
  std::vector<RRsetChange> changes;  // at least one
};

struct BatchResult {
  // Route 53's InvalidChangeBatch messages, one per failed change; empty when the batch applies.
  std::vector<std::string> errors;
  std::vector<dns::Record> records;  // no errors: every record of the zone after the batch
  bool changed = false;              // no errors: whether the zone's data differs
};

BatchResult applyChangeBatch(const Zone& zone, const ChangeBatch& batch);

// "[name='x.corp.internal.', type='A']", as Route 53 names a set in its messages.
std::string describeRRset(const dns::Name& name, uint16_t type);

}  // namespace vpcdns::private_zones
