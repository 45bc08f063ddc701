// The shared TTL cache of RRsets and negative answers (RFC 1034 §4.3.2 step 4, RFC 2181 §5.4.1,
// RFC 2308 §5), used by the resolver and the forwarder from every worker thread.
//
// Layout (see cache/README.md): N shards, each one mutex guarding one hash index and one LRU
// list. The unit stored is a *name node* keyed by (context, owner name); a node holds the
// name's slots: one per (type, class) for RRsets and NODATA, plus one per class for NXDOMAIN.
// All data of a name lives in one shard, so a lookup, an insert and eraseName() each take
// exactly one lock once, and the positive/negative coherence rules below are applied
// atomically.
//
// Thread safety: every public member may be called concurrently from any thread. No call ever
// holds two shard locks at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cache/clock.h"
#include "dns/message.h"
#include "dns/name.h"
#include "dns/types.h"

namespace vpcdns::cache {

namespace detail {
struct Slot;
enum class SlotKind : uint8_t;
}  // namespace detail

// Resolution context of cached data. 0 is public recursive data, shared by every VPC; any other
// value names a forwarding rule's target set, so forwarded data never mixes with recursive data
// nor with data forwarded to other targets (docs: GUIDE §2, "cache keys carry the context").
inline constexpr uint64_t kPublicContext = 0;

// Credibility of cached data, RFC 2181 §5.4.1, lowest first. Zone-file and zone-transfer data
// (the top two RFC ranks) never enter this cache. RFC 2181 puts additional data and the
// authority section of non-authoritative answers on one rank; like Unbound we split it.
// The RFC also says the two lowest ranks must never be returned as answers to clients: the
// lookup reports the trust so that the resolver can enforce it.
enum class Trust : uint8_t {
  kAdditional = 1,        // additional section of any reply (glue addresses)
  kAuthorityNonAuth = 2,  // authority section of a non-authoritative reply (referral NS)
  kAnswerNonAuth = 3,     // answer section without AA (forwarders' answers, CNAME targets' data)
  kAuthorityAuth = 4,     // authority section of an AA reply (NS, SOA of negative answers)
  kAnswerAuth = 5,        // answer section of an AA reply, for the data the AA covers
};

struct Key {
  uint64_t context = kPublicContext;
  dns::Name name;  // compared ignoring ASCII case (RFC 4343)
  uint16_t type = 0;
  uint16_t cls = dns::rrclass::kIN;
};

struct CacheOptions {
  size_t max_memory_bytes = size_t{64} << 20;
  // Rounded up to a power of two and clamped to [1, 1024]. Each shard gets
  // max_memory_bytes / shards.
  size_t shards = 16;
  uint32_t min_ttl = 0;              // positive TTLs are clamped to [min_ttl, max_ttl]
  uint32_t max_ttl = 86400;          //
  uint32_t max_negative_ttl = 3600;  // RFC 2308 §5: cap on negative TTLs
};

enum class InsertResult : uint8_t {
  kStored,
  kRejectedTrust,  // live data of higher trust is in the way (RFC 2181 §5.4.1)
  kUncacheable,    // TTL 0 after clamping (RFC 1035 §3.2.1: use for this transaction only)
  kTooLarge,       // bigger than one shard's memory budget
  kInvalid,        // empty RRset, type 0, records not matching the key, SOA missing, bad RDATA
};

enum class Outcome : uint8_t { kMiss, kRecords, kNoData, kNxDomain };

struct LookupResult {
  Outcome outcome = Outcome::kMiss;
  Trust trust = Trust::kAdditional;  // valid unless kMiss
  uint32_t ttl = 0;                  // remaining lifetime in seconds, >= 1 unless kMiss
  bool hit() const { return outcome != Outcome::kMiss; }
};

// Counters summed over the shards at the time of the call (each shard read under its lock, so
// the totals are a consistent view of each shard, not one instant of the whole cache).
struct CacheStats {
  uint64_t names = 0;      // name nodes
  uint64_t entries = 0;    // RRsets + negative entries
  uint64_t bytes = 0;      // accounted bytes (see README)
  uint64_t hits = 0;       // lookups answered (records or negative)
  uint64_t misses = 0;     // lookups not answered
  uint64_t inserts = 0;    // entries stored (new or replacing)
  uint64_t evictions = 0;  // entries dropped to stay under the memory bound
  uint64_t expired = 0;    // entries dropped because their TTL ran out
  uint64_t rejected = 0;   // inserts refused for trust (kRejectedTrust)
};

class RecordCache {
 public:
  // `clock` must outlive the cache.
  explicit RecordCache(const CacheOptions& options = {}, const Clock& clock = steadyClock());
  ~RecordCache();
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // Stores an RRset at `key` for `ttl` seconds, clamped to [min_ttl, max_ttl]. Every record
  // must have the key's owner name (any case), type and class; only their RDATA is kept (the
  // RRset has one TTL, RFC 2181 §5.2). Replaces a NODATA entry at the key, and an NXDOMAIN of
  // the name (same class) whose trust is not higher. Never replaces live data of higher trust.
  InsertResult insert(const Key& key, std::span<const dns::Record> rrset, uint32_t ttl,
                      Trust trust);

  // RFC 2308 §5: NODATA for (name, type, class), served with `soa` in the authority section.
  // TTL = min(SOA TTL, SOA MINIMUM), capped at max_negative_ttl. `soa` must be an SOA record
  // (RdataSoa) of key.cls, else kInvalid. Same trust rules as insert().
  InsertResult insertNoData(const Key& key, const dns::Record& soa, Trust trust);

  // RFC 2308 §5: NXDOMAIN for (name, class), any type (key.type is ignored). Drops every other
  // entry of the name in that class (the name does not exist); refused if one of them has
  // higher trust.
  InsertResult insertNxDomain(const Key& key, const dns::Record& soa, Trust trust);

  // Appends what is cached for `key` to `out`: the RRset (kRecords), or the SOA to put in the
  // authority section (kNoData, kNxDomain; an NXDOMAIN of the name answers every type). TTLs
  // are the remaining lifetime. (Data and an NXDOMAIN of one class never coexist at a name, see
  // insertNxDomain().) Expired entries are dropped on the way. Owner names keep the spelling
  // first cached.
  LookupResult lookup(const Key& key, std::vector<dns::Record>& out);

  // Removes the entry of key.type (RRset or NODATA) in key.cls. True if one was there. Type 0
  // (reserved, RFC 6895 §3.1, never cached as data) addresses the name's NXDOMAIN.
  bool erase(const Key& key);
  // Removes everything cached at `name` in `context`: every type and class, NXDOMAIN included.
  // Returns the number of entries removed. One lock, O(entries at the name).
  size_t eraseName(uint64_t context, const dns::Name& name);
  // Removes everything at or below `apex` in `context` (the root: the whole context). O(all
  // entries), one shard locked at a time: for flushes and reloads, not the query path.
  size_t eraseBelow(uint64_t context, const dns::Name& apex);
  // Removes everything; returns the number of entries removed. One shard locked at a time.
  size_t clear();

  // Admin flushes (POST /v1/cache/flush), in every context at once (public recursive data and
  // every forwarding rule's): the entries at `name`, or (subtree) at or below it. O(all
  // entries), one shard locked at a time, never two: not for the query path. Returns the
  // number of entries removed.
  size_t flushName(const dns::Name& name, bool subtree);

  CacheStats stats() const;
  const CacheOptions& options() const { return options_; }

 private:
  struct Shard;

  InsertResult store(const Key& key, detail::Slot slot, uint32_t ttl);
  InsertResult insertNegative(const Key& key, detail::SlotKind kind, uint16_t type,
                              const dns::Record& soa, Trust trust);
  size_t nameHash(uint64_t context, const dns::Name& name) const;
  Shard& shardFor(size_t hash) const;
  uint32_t clampTtl(uint32_t ttl) const;

  CacheOptions options_;
  const Clock& clock_;
  uint64_t seed_;
  size_t shard_mask_;  // shard index = (hash >> kShardBitsShift) & shard_mask_
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace vpcdns::cache
