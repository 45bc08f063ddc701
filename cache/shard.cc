#include "cache/shard.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace vpcdns::cache::detail {
namespace {

// Per heap block: glibc's chunk header plus rounding, on average.
constexpr size_t kHeapOverhead = 16;
// A std::list node (two links) and an unordered_set node (next, value, cached hash) plus
// its bucket pointer, each a heap block.
constexpr size_t kContainerOverhead =
    2 * sizeof(void*) + 3 * sizeof(void*) + sizeof(void*) + 2 * kHeapOverhead;

uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

// Wire names compared ignoring ASCII case. Label length octets are <= 63 and so never change
// under lower(), which keeps this a whole-name comparison.
bool equalFold(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (std::memcmp(a.data(), b.data(), a.size()) == 0) return true;  // same spelling: common
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

size_t heapBlock(size_t capacity) {
  return capacity == 0 ? 0 : capacity + kHeapOverhead;
}

}  // namespace

bool NodeEq::operator()(const Probe& p, NodeIt n) const {
  return p.hash == n->hash && p.context == n->context && equalFold(p.name, n->name);
}

size_t nodeBytes(const Node& node) {
  size_t bytes = sizeof(Node) + kContainerOverhead + heapBlock(node.name.capacity()) +
                 heapBlock(node.slots.capacity() * sizeof(Slot));
  for (const Slot& s : node.slots) bytes += heapBlock(s.data.capacity());
  return bytes;
}

size_t singleSlotBytes(size_t name_length, const Slot& slot) {
  return sizeof(Node) + kContainerOverhead + heapBlock(name_length) + heapBlock(sizeof(Slot)) +
         heapBlock(slot.data.size());
}

bool wireIsBelow(std::span<const uint8_t> name, std::span<const uint8_t> apex) {
  if (apex.size() > name.size()) return false;
  size_t skip = name.size() - apex.size();
  size_t pos = 0;  // walk whole labels so the suffix starts on a label boundary
  while (pos < skip) pos += 1u + name[pos];
  return pos == skip && equalFold(name.subspan(skip), apex);
}

NodeIt ShardData::find(const Probe& probe) {
  auto it = index_.find(probe);
  return it == index_.end() ? lru_.end() : *it;
}

NodeIt ShardData::create(const Probe& probe) {
  lru_.emplace_front();
  NodeIt node = lru_.begin();
  node->context = probe.context;
  node->hash = probe.hash;
  node->name.assign(probe.name.begin(), probe.name.end());
  index_.insert(node);
  return node;
}

void ShardData::remove(NodeIt node) {
  detach(*node);
  index_.erase(node);
  lru_.erase(node);
}

void ShardData::detach(const Node& node) {
  bytes_ -= node.bytes;
  entries_ -= node.slots.size();
}

void ShardData::attach(Node& node) {
  node.bytes = nodeBytes(node);
  bytes_ += node.bytes;
  entries_ += node.slots.size();
}

bool ShardData::dropExpired(NodeIt node, uint64_t now) {
  auto expired = [now](const Slot& s) { return !s.liveAt(now); };
  if (std::none_of(node->slots.begin(), node->slots.end(), expired)) return true;
  detach(*node);
  auto dead = std::remove_if(node->slots.begin(), node->slots.end(), expired);
  counters_.expired += static_cast<uint64_t>(std::distance(dead, node->slots.end()));
  node->slots.erase(dead, node->slots.end());
  attach(*node);
  if (!node->slots.empty()) return true;
  remove(node);
  return false;
}

// RFC 2181 §5.4.1: live data is never replaced by data of lower trust. NXDOMAIN contradicts
// every entry of its class at the name, and every entry contradicts an NXDOMAIN, so those pairs
// are weighed the same way. Expects expired slots to be gone already.
InsertResult ShardData::checkTrust(const Node& node, const Slot& slot) const {
  for (const Slot& s : node.slots) {
    if (s.cls != slot.cls || s.trust <= slot.trust) continue;
    bool same = s.type == slot.type;
    bool contradicts = slot.kind == SlotKind::kNxDomain || s.kind == SlotKind::kNxDomain;
    if (same || contradicts) return InsertResult::kRejectedTrust;
  }
  return InsertResult::kStored;
}

// Replaces the slot of (type, cls) and whatever the new slot contradicts (checked by
// checkTrust() to be of no higher trust), or appends.
void ShardData::place(Node& node, Slot slot) {
  auto contradicted = [&slot](const Slot& s) {
    if (s.cls != slot.cls) return false;
    return s.type == slot.type || slot.kind == SlotKind::kNxDomain || s.kind == SlotKind::kNxDomain;
  };
  node.slots.erase(std::remove_if(node.slots.begin(), node.slots.end(), contradicted),
                   node.slots.end());
  node.slots.push_back(std::move(slot));
}

InsertResult ShardData::store(const Probe& probe, Slot slot, uint64_t now) {
  if (singleSlotBytes(probe.name.size(), slot) > capacity_) return InsertResult::kTooLarge;
  NodeIt node = find(probe);
  if (node != lru_.end() && dropExpired(node, now)) {
    if (InsertResult r = checkTrust(*node, slot); r != InsertResult::kStored) {
      ++counters_.rejected;
      return r;
    }
  } else {
    node = create(probe);
  }
  detach(*node);
  place(*node, std::move(slot));
  attach(*node);
  touch(node);
  ++counters_.inserts;
  evictExcept(node);
  if (node->bytes > capacity_) {  // a name with so many types that it alone exceeds the budget
    counters_.evictions += node->slots.size();
    remove(node);
    return InsertResult::kTooLarge;
  }
  return InsertResult::kStored;
}

void ShardData::evictExcept(NodeIt keep) {
  while (bytes_ > capacity_ && lru_.size() > 1) {
    NodeIt victim = std::prev(lru_.end());
    if (victim == keep) victim = std::prev(victim);
    counters_.evictions += victim->slots.size();
    remove(victim);
  }
}

Found ShardData::lookup(const Probe& probe, uint16_t type, uint16_t cls, uint64_t now) {
  NodeIt node = find(probe);
  if (node == lru_.end() || !dropExpired(node, now)) {
    ++counters_.misses;
    return {};
  }
  const Slot* exact = nullptr;
  const Slot* nxdomain = nullptr;
  for (const Slot& s : node->slots) {
    if (s.cls != cls) continue;
    if (s.type == type) exact = &s;
    if (s.kind == SlotKind::kNxDomain) nxdomain = &s;
  }
  const Slot* slot = exact != nullptr ? exact : nxdomain;
  if (slot == nullptr) {
    ++counters_.misses;
    return {};
  }
  ++counters_.hits;
  touch(node);
  return {&*node, slot};
}

size_t ShardData::eraseSlot(const Probe& probe, uint16_t type, uint16_t cls) {
  NodeIt node = find(probe);
  if (node == lru_.end()) return 0;
  detach(*node);
  size_t before = node->slots.size();
  std::erase_if(node->slots, [&](const Slot& s) { return s.type == type && s.cls == cls; });
  size_t removed = before - node->slots.size();
  attach(*node);
  if (node->slots.empty()) remove(node);
  return removed;
}

size_t ShardData::eraseNode(const Probe& probe) {
  NodeIt node = find(probe);
  if (node == lru_.end()) return 0;
  size_t removed = node->slots.size();
  remove(node);
  return removed;
}

size_t ShardData::eraseBelow(uint64_t context, std::span<const uint8_t> apex) {
  size_t removed = 0;
  for (NodeIt it = lru_.begin(); it != lru_.end();) {
    NodeIt next = std::next(it);
    if (it->context == context && wireIsBelow(it->name, apex)) {
      removed += it->slots.size();
      remove(it);
    }
    it = next;
  }
  return removed;
}

size_t ShardData::eraseAnyContext(std::span<const uint8_t> name, bool subtree) {
  size_t removed = 0;
  for (NodeIt it = lru_.begin(); it != lru_.end();) {
    NodeIt next = std::next(it);
    // At or below `name` with the same length means the name itself (wire names, whole labels).
    if (wireIsBelow(it->name, name) && (subtree || it->name.size() == name.size())) {
      removed += it->slots.size();
      remove(it);
    }
    it = next;
  }
  return removed;
}

size_t ShardData::clear() {
  const size_t removed = entries_;
  index_.clear();
  lru_.clear();
  bytes_ = 0;
  entries_ = 0;
  return removed;
}

void ShardData::addTo(CacheStats& stats) const {
  stats.names += lru_.size();
  stats.entries += entries_;
  stats.bytes += bytes_;
  stats.hits += counters_.hits;
  stats.misses += counters_.misses;
  stats.inserts += counters_.inserts;
  stats.evictions += counters_.evictions;
  stats.expired += counters_.expired;
  stats.rejected += counters_.rejected;
}

}  // namespace vpcdns::cache::detail
