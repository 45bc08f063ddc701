#include "cache/record_cache.h"

#include <algorithm>
#include <bit>
#include <variant>

#include "cache/shard.h"
#include "common/random.h"
#include "dns/rdata.h"

namespace vpcdns::cache {
namespace {

using detail::Slot;
using detail::SlotKind;

constexpr size_t kMaxShards = 1024;
// The shard comes from bits 40.. of the hash; the shard's hash set uses the low bits.
constexpr unsigned kShardBitsShift = 40;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void putU16(std::vector<uint8_t>& out, size_t at, size_t value) {
  out[at] = static_cast<uint8_t>(value >> 8);
  out[at + 1] = static_cast<uint8_t>(value & 0xFF);
}

uint16_t getU16(std::span<const uint8_t> in, size_t at) {
  return static_cast<uint16_t>((in[at] << 8) | in[at + 1]);
}

// Appends [u16 RDLENGTH][RDATA]; false if the RDATA has no wire form.
bool appendRdata(const dns::Rdata& rdata, std::vector<uint8_t>& out) {
  size_t at = out.size();
  out.resize(at + 2);
  if (!dns::appendRdataWire(rdata, out)) return false;
  putU16(out, at, out.size() - at - 2);
  return true;
}

// The stored RDATA back in typed form. RDATA that was given opaque for a known type and does
// not parse as that type comes back opaque, as it went in.
dns::Rdata readStored(uint16_t type, std::span<const uint8_t> data, size_t at, uint16_t len) {
  auto rdata = dns::readRdata(type, data, at, len);
  if (rdata) return std::move(rdata).value();
  auto bytes = data.subspan(at, len);
  return dns::RdataOpaque{{bytes.begin(), bytes.end()}};
}

bool encodeRRset(const Key& key, std::span<const dns::Record> rrset, std::vector<uint8_t>& out) {
  if (rrset.empty() || key.type == detail::kNxDomainType) return false;
  for (const dns::Record& r : rrset) {
    if (r.type != key.type || r.cls != key.cls || !(r.name == key.name)) return false;
    if (!appendRdata(r.rdata, out)) return false;
  }
  return true;
}

bool encodeSoa(const Key& key, const dns::Record& soa, std::vector<uint8_t>& out) {
  if (soa.type != dns::rrtype::kSOA || soa.cls != key.cls) return false;
  if (!std::holds_alternative<dns::RdataSoa>(soa.rdata)) return false;
  auto owner = soa.name.wire();
  out.assign(owner.begin(), owner.end());
  return appendRdata(soa.rdata, out);
}

void decodeRecords(const detail::Node& node, const Slot& slot, uint32_t ttl,
                   std::vector<dns::Record>& out) {
  size_t offset = 0;
  dns::Name owner = dns::Name::fromWire(node.name, offset).value();  // stored valid
  std::span<const uint8_t> data = slot.data;
  for (size_t at = 0; at + 2 <= data.size();) {
    uint16_t len = getU16(data, at);
    out.push_back({owner, slot.type, slot.cls, ttl, readStored(slot.type, data, at + 2, len)});
    at += 2u + len;
  }
}

void decodeSoa(const Slot& slot, uint32_t ttl, std::vector<dns::Record>& out) {
  std::span<const uint8_t> data = slot.data;
  size_t at = 0;
  dns::Name owner = dns::Name::fromWire(data, at).value();  // stored valid
  uint16_t len = getU16(data, at);
  out.push_back(
      {owner, dns::rrtype::kSOA, slot.cls, ttl, readStored(dns::rrtype::kSOA, data, at + 2, len)});
}

Outcome outcomeOf(SlotKind kind) {
  switch (kind) {
    case SlotKind::kRecords:
      return Outcome::kRecords;
    case SlotKind::kNoData:
      return Outcome::kNoData;
    case SlotKind::kNxDomain:
      return Outcome::kNxDomain;
  }
  return Outcome::kMiss;
}

Slot makeSlot(uint16_t type, uint16_t cls, SlotKind kind, Trust trust) {
  Slot slot;
  slot.type = type;
  slot.cls = cls;
  slot.kind = kind;
  slot.trust = trust;
  return slot;
}

detail::Probe probeOf(uint64_t context, const dns::Name& name, size_t hash) {
  return {context, name.wire(), hash};
}

}  // namespace

// Padded to a cache line so that two shards' mutexes never share one.
struct alignas(64) RecordCache::Shard {
  detail::Guarded<detail::ShardData> data;
};

RecordCache::RecordCache(const CacheOptions& options, const Clock& clock)
    : options_(options), clock_(clock), seed_(random64()) {
  options_.shards = std::bit_ceil(std::clamp<size_t>(options_.shards, 1, kMaxShards));
  shard_mask_ = options_.shards - 1;
  shards_.reset(new Shard[options_.shards]);
  size_t capacity = options_.max_memory_bytes / options_.shards;
  for (size_t i = 0; i < options_.shards; ++i) shards_[i].data.lock()->setCapacity(capacity);
}

RecordCache::~RecordCache() = default;

// Seeded (per cache, from getrandom) so that names chosen by clients cannot pile into one
// bucket or one shard; the index still compares full keys.
size_t RecordCache::nameHash(uint64_t context, const dns::Name& name) const {
  return static_cast<size_t>(mix(name.hash(seed_) ^ mix(context ^ seed_)));
}

RecordCache::Shard& RecordCache::shardFor(size_t hash) const {
  return shards_[(hash >> kShardBitsShift) & shard_mask_];
}

uint32_t RecordCache::clampTtl(uint32_t ttl) const {
  return std::min(std::max(ttl, options_.min_ttl), options_.max_ttl);
}

InsertResult RecordCache::store(const Key& key, detail::Slot slot, uint32_t ttl) {
  if (ttl == 0) return InsertResult::kUncacheable;
  uint64_t now = clock_.nowSeconds();
  slot.expiry = now + ttl;
  slot.data.shrink_to_fit();
  size_t hash = nameHash(key.context, key.name);
  auto shard = shardFor(hash).data.lock();
  return shard->store(probeOf(key.context, key.name, hash), std::move(slot), now);
}

InsertResult RecordCache::insert(const Key& key, std::span<const dns::Record> rrset, uint32_t ttl,
                                 Trust trust) {
  Slot slot = makeSlot(key.type, key.cls, SlotKind::kRecords, trust);
  if (!encodeRRset(key, rrset, slot.data)) return InsertResult::kInvalid;
  return store(key, std::move(slot), clampTtl(ttl));
}

InsertResult RecordCache::insertNegative(const Key& key, SlotKind kind, uint16_t type,
                                         const dns::Record& soa, Trust trust) {
  Slot slot = makeSlot(type, key.cls, kind, trust);
  if (!encodeSoa(key, soa, slot.data)) return InsertResult::kInvalid;
  // RFC 2308 §5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM field.
  uint32_t ttl = std::min(soa.ttl, std::get<dns::RdataSoa>(soa.rdata).minimum);
  return store(key, std::move(slot), std::min(ttl, options_.max_negative_ttl));
}

InsertResult RecordCache::insertNoData(const Key& key, const dns::Record& soa, Trust trust) {
  if (key.type == detail::kNxDomainType) return InsertResult::kInvalid;
  return insertNegative(key, SlotKind::kNoData, key.type, soa, trust);
}

InsertResult RecordCache::insertNxDomain(const Key& key, const dns::Record& soa, Trust trust) {
  return insertNegative(key, SlotKind::kNxDomain, detail::kNxDomainType, soa, trust);
}

LookupResult RecordCache::lookup(const Key& key, std::vector<dns::Record>& out) {
  uint64_t now = clock_.nowSeconds();
  size_t hash = nameHash(key.context, key.name);
  auto shard = shardFor(hash).data.lock();
  detail::Found found = shard->lookup(probeOf(key.context, key.name, hash), key.type, key.cls, now);
  if (found.slot == nullptr) return {};
  const Slot& slot = *found.slot;
  LookupResult result{outcomeOf(slot.kind), slot.trust, static_cast<uint32_t>(slot.expiry - now)};
  // Decoded under the lock: the slot may be replaced or evicted as soon as it is released.
  if (slot.kind == SlotKind::kRecords) {
    decodeRecords(*found.node, slot, result.ttl, out);
  } else {
    decodeSoa(slot, result.ttl, out);
  }
  return result;
}

bool RecordCache::erase(const Key& key) {
  size_t hash = nameHash(key.context, key.name);
  auto shard = shardFor(hash).data.lock();
  return shard->eraseSlot(probeOf(key.context, key.name, hash), key.type, key.cls) > 0;
}

size_t RecordCache::eraseName(uint64_t context, const dns::Name& name) {
  size_t hash = nameHash(context, name);
  auto shard = shardFor(hash).data.lock();
  return shard->eraseNode(probeOf(context, name, hash));
}

size_t RecordCache::eraseBelow(uint64_t context, const dns::Name& apex) {
  size_t removed = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    removed += shards_[i].data.lock()->eraseBelow(context, apex.wire());
  }
  return removed;
}

size_t RecordCache::clear() {
  size_t removed = 0;
  for (size_t i = 0; i < options_.shards; ++i) removed += shards_[i].data.lock()->clear();
  return removed;
}

size_t RecordCache::flushName(const dns::Name& name, bool subtree) {
  size_t removed = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    removed += shards_[i].data.lock()->eraseAnyContext(name.wire(), subtree);
  }
  return removed;
}

CacheStats RecordCache::stats() const {
  CacheStats stats;
  for (size_t i = 0; i < options_.shards; ++i) shards_[i].data.lock()->addTo(stats);
  return stats;
}

}  // namespace vpcdns::cache
