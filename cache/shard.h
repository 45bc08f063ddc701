// Internals of RecordCache: one shard's index, LRU list and accounting. Not for use outside
// cache/.
//
// Thread safety: a ShardData is only ever reached through Guarded<ShardData>::lock(), so every
// member runs under its shard's mutex; nothing here locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cache/record_cache.h"
#include "dns/name.h"

namespace vpcdns::cache::detail {

// Data bound to its lock (PowerDNS LockGuarded): the only way to the T is through a Locked
// handle, which holds the mutex for its whole life.
template <class T>
class Guarded {
 public:
  class Locked {
   public:
    Locked(std::mutex& m, T& data) : lock_(m), data_(&data) {}
    T* operator->() { return data_; }
    T& operator*() { return *data_; }

   private:
    std::unique_lock<std::mutex> lock_;
    T* data_;
  };

  template <class... Args>
  explicit Guarded(Args&&... args) : data_(std::forward<Args>(args)...) {}
  Locked lock() { return Locked(mutex_, data_); }

 private:
  std::mutex mutex_;
  T data_;
};

enum class SlotKind : uint8_t { kRecords, kNoData, kNxDomain };

// The slot type of an NXDOMAIN entry. Type 0 is reserved (RFC 6895 §3.1) and never cached as
// data, so it cannot clash with an RRset.
inline constexpr uint16_t kNxDomainType = 0;

// One RRset or negative answer at a name.
//   kRecords: data = ([u16 RDLENGTH][RDATA, names uncompressed])+
//   kNoData, kNxDomain: data = [SOA owner, wire form][u16 RDLENGTH][SOA RDATA]
struct Slot {
  uint64_t expiry = 0;  // clock seconds; live while now < expiry
  std::vector<uint8_t> data;
  uint16_t type = 0;
  uint16_t cls = 0;
  SlotKind kind = SlotKind::kRecords;
  Trust trust = Trust::kAdditional;

  bool liveAt(uint64_t now) const { return now < expiry; }
};

// Everything cached at one (context, owner name). Invariant: `slots` is never empty while the
// node is in a shard, and holds at most one slot per (type, cls).
struct Node {
  uint64_t context = 0;
  size_t hash = 0;            // RecordCache::nameHash(context, name)
  std::vector<uint8_t> name;  // owner in wire form, spelled as first cached
  std::vector<Slot> slots;
  size_t bytes = 0;  // accounted size, see nodeBytes()
};

using NodeList = std::list<Node>;
using NodeIt = NodeList::iterator;

// A lookup key for the index, so that no Node is built to search.
struct Probe {
  uint64_t context;
  std::span<const uint8_t> name;  // wire form, any case
  size_t hash;
};

struct NodeHash {
  using is_transparent = void;
  size_t operator()(NodeIt n) const { return n->hash; }
  size_t operator()(const Probe& p) const { return p.hash; }
};

// Full-key compare: the seeded hash only picks the bucket.
struct NodeEq {
  using is_transparent = void;
  bool operator()(NodeIt a, NodeIt b) const { return a == b; }
  bool operator()(const Probe& p, NodeIt n) const;
  bool operator()(NodeIt n, const Probe& p) const { return (*this)(p, n); }
};

struct Counters {
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, expired = 0, rejected = 0;
};

// What lookup() found; the pointers stay valid while the shard lock is held.
struct Found {
  const Node* node = nullptr;
  const Slot* slot = nullptr;
};

class ShardData {
 public:
  // Set once, before the shard is shared.
  void setCapacity(size_t capacity) { capacity_ = capacity; }

  // Stores `slot` at the probe's name, applying the trust and positive/negative coherence
  // rules of RecordCache::insert*(), then evicts LRU names until the shard fits its budget.
  InsertResult store(const Probe& probe, Slot slot, uint64_t now);

  // The live slot of (type, cls), else the live NXDOMAIN of cls, else nothing. Counts a hit
  // and moves the name to the LRU front, or counts a miss.
  Found lookup(const Probe& probe, uint16_t type, uint16_t cls, uint64_t now);

  size_t eraseSlot(const Probe& probe, uint16_t type, uint16_t cls);
  size_t eraseNode(const Probe& probe);
  // Removes every node of `context` at or below `apex` (wire form).
  size_t eraseBelow(uint64_t context, std::span<const uint8_t> apex);
  // Removes every node, of any context, named `name` or (subtree) at or below it.
  size_t eraseAnyContext(std::span<const uint8_t> name, bool subtree);
  size_t clear();  // returns the number of entries removed

  void addTo(CacheStats& stats) const;

 private:
  NodeIt find(const Probe& probe);
  NodeIt create(const Probe& probe);
  void remove(NodeIt node);
  void touch(NodeIt node) { lru_.splice(lru_.begin(), lru_, node); }
  // Bracket every change to a node's slots so the shard totals stay exact.
  void detach(const Node& node);
  void attach(Node& node);
  // Drops the node's expired slots; removes the node (returning false) when none is left.
  bool dropExpired(NodeIt node, uint64_t now);
  InsertResult checkTrust(const Node& node, const Slot& slot) const;
  void place(Node& node, Slot slot);
  void evictExcept(NodeIt keep);

  NodeList lru_;  // front: most recently used
  std::unordered_set<NodeIt, NodeHash, NodeEq> index_;
  size_t capacity_ = 0;
  size_t bytes_ = 0;
  size_t entries_ = 0;
  Counters counters_;
};

// Accounted size of a node: its heap blocks and the list and hash-set nodes that hold it.
size_t nodeBytes(const Node& node);
// The accounted size of a node holding only `slot`, before any mutation (for kTooLarge).
size_t singleSlotBytes(size_t name_length, const Slot& slot);
// True if wire name `name` equals `apex` or lies below it, on whole labels, ignoring case.
bool wireIsBelow(std::span<const uint8_t> name, std::span<const uint8_t> apex);

}  // namespace vpcdns::cache::detail
