#include "resolver/server_table.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <limits>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "common/random.h"

namespace vpcdns::resolver {
namespace {

constexpr size_t kShards = 64;
constexpr uint32_t kMaxBackoffShift = 16;  // 2^16 x anything is past every sane maximum

struct Entry {
  uint32_t srtt_us = 0;
  uint32_t unknown_us = 0;  // rank of a server never heard from, drawn once (BIND's way)
  uint32_t timeouts = 0;    // consecutive
  uint64_t held_until_ms = 0;
  uint64_t no_edns_until_ms = 0;
  bool has_rtt = false;
  bool known = false;
};

// Seeded so that the addresses (chosen by whoever publishes NS records) cannot be picked to
// collide into one bucket or one shard.
struct AddressHash {
  uint64_t seed = 0;
  size_t operator()(const IpAddress& a) const {
    uint64_t w[2] = {0, 0};
    std::memcpy(w, a.bytes(), a.size());
    uint64_t h = seed ^ static_cast<uint64_t>(a.family());
    for (uint64_t x : w) {
      h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
      h *= 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 31;
    }
    return static_cast<size_t>(h);
  }
};

uint64_t steadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

// One shard: an LRU list of entries plus an index into it, so the table stays bounded
// (options.max_servers in all) however many servers the resolver meets.
struct ServerTable::Shard {
  using List = std::list<std::pair<IpAddress, Entry>>;
  std::mutex mu;
  List lru;  // most recently used first
  std::unordered_map<IpAddress, List::iterator, AddressHash> index;
  size_t capacity = 1;
  uint32_t initial_us = 0;

  // The entry of `a`, moved to the front; created (evicting the least recently used entry when
  // full) if missing. Requires `mu`.
  Entry& get(const IpAddress& a) {
    auto it = index.find(a);
    if (it != index.end()) {
      lru.splice(lru.begin(), lru, it->second);
      return it->second->second;
    }
    if (lru.size() >= capacity) {
      index.erase(lru.back().first);
      lru.pop_back();
    }
    Entry e;
    e.unknown_us = initial_us > 0 ? randomBelow(initial_us) : 0;
    lru.emplace_front(a, e);
    index.emplace(a, lru.begin());
    return lru.front().second;
  }

  // The entry of `a` or nullptr, without creating or reordering. Requires `mu`.
  const Entry* find(const IpAddress& a) const {
    auto it = index.find(a);
    return it == index.end() ? nullptr : &it->second->second;
  }
};

ServerTable::ServerTable(ServerTableOptions options)
    : options_(std::move(options)), shards_(std::make_unique<Shard[]>(kShards)) {
  if (!options_.now_ms) options_.now_ms = steadyMs;
  options_.min_timeout_ms = std::max<uint32_t>(options_.min_timeout_ms, 1);
  options_.max_timeout_ms = std::max(options_.max_timeout_ms, options_.min_timeout_ms);
  const AddressHash hash{random64()};
  const size_t per_shard = std::max<size_t>(1, (options_.max_servers + kShards - 1) / kShards);
  const uint64_t initial_us = static_cast<uint64_t>(options_.initial_timeout_ms) * 1000;
  for (size_t i = 0; i < kShards; ++i) {
    shards_[i].index = decltype(Shard::index)(0, hash);
    shards_[i].capacity = per_shard;
    shards_[i].initial_us =
        static_cast<uint32_t>(std::min<uint64_t>(initial_us, std::numeric_limits<uint32_t>::max()));
  }
}

ServerTable::~ServerTable() = default;

ServerTable::Shard& ServerTable::shardOf(const IpAddress& a) const {
  // The same seeded hash as the maps, but its high bits, so shard and bucket are independent.
  const size_t h = shards_[0].index.hash_function()(a);
  return shards_[(h >> 40) % kShards];
}

size_t ServerTable::choose(std::span<const IpAddress> candidates) const {
  const size_t n = candidates.size();
  if (n <= 1) return 0;
  const uint64_t now = options_.now_ms();
  const bool explore = randomBelow(100) < options_.explore_percent;

  // One pass: the best usable and the best overall (for when all are held down), and, when
  // exploring, a uniformly random one of each kind by reservoir sampling (no allocation).
  size_t best_usable = n, best_any = n, pick_usable = n, pick_any = n;
  uint64_t best_usable_score = 0, best_any_score = 0;
  uint32_t usable = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t score = 0;
    bool held = false;
    {
      Shard& shard = shardOf(candidates[i]);
      std::lock_guard lock(shard.mu);
      const Entry& e = shard.get(candidates[i]);
      held = e.held_until_ms > now;
      // A server that timed out is known to take at least about its timeout: the random draw
      // no longer applies. Each consecutive timeout doubles the rank, as it does the timeout.
      const uint64_t base = e.has_rtt        ? e.srtt_us
                            : e.timeouts > 0 ? shard.initial_us
                                             : e.unknown_us;
      score = base << std::min(e.timeouts, kMaxBackoffShift);
    }
    if (best_any == n || score < best_any_score) {
      best_any = i;
      best_any_score = score;
    }
    if (explore && randomBelow(static_cast<uint32_t>(i + 1)) == 0) pick_any = i;
    if (held) continue;
    ++usable;
    if (best_usable == n || score < best_usable_score) {
      best_usable = i;
      best_usable_score = score;
    }
    if (explore && randomBelow(usable) == 0) pick_usable = i;
  }
  if (usable == 0) return explore ? pick_any : best_any;
  return explore ? pick_usable : best_usable;
}

uint32_t ServerTable::timeoutMs(const IpAddress& server) const {
  uint64_t base = options_.initial_timeout_ms;
  uint32_t timeouts = 0;
  {
    Shard& shard = shardOf(server);
    std::lock_guard lock(shard.mu);
    if (const Entry* e = shard.find(server)) {
      if (e->has_rtt) base = 2 * static_cast<uint64_t>(e->srtt_us) / 1000 + 50;
      timeouts = e->timeouts;
    }
  }
  const uint64_t t = base << std::min(timeouts, kMaxBackoffShift);
  return static_cast<uint32_t>(
      std::clamp<uint64_t>(t, options_.min_timeout_ms, options_.max_timeout_ms));
}

void ServerTable::reportRtt(const IpAddress& server, uint32_t rtt_us) {
  Shard& shard = shardOf(server);
  std::lock_guard lock(shard.mu);
  Entry& e = shard.get(server);
  // Unbound and BIND: srtt = 7/8 srtt + 1/8 sample; the first sample is taken as is.
  e.srtt_us = e.has_rtt ? static_cast<uint32_t>((7 * static_cast<uint64_t>(e.srtt_us) + rtt_us) / 8)
                        : rtt_us;
  e.has_rtt = true;
  e.known = true;
  e.timeouts = 0;
  e.held_until_ms = 0;
}

void ServerTable::reportTimeout(const IpAddress& server) {
  const uint64_t now = options_.now_ms();
  Shard& shard = shardOf(server);
  std::lock_guard lock(shard.mu);
  Entry& e = shard.get(server);
  e.known = true;
  if (e.timeouts < std::numeric_limits<uint32_t>::max()) ++e.timeouts;
  if (options_.holddown_after > 0 && e.timeouts >= options_.holddown_after) {
    e.held_until_ms = now + options_.holddown_ms;
  }
}

void ServerTable::reportFailure(const IpAddress& server) {
  const uint64_t now = options_.now_ms();
  Shard& shard = shardOf(server);
  std::lock_guard lock(shard.mu);
  Entry& e = shard.get(server);
  e.known = true;
  e.held_until_ms = now + options_.holddown_ms;
}

void ServerTable::reportNoEdns(const IpAddress& server) {
  const uint64_t now = options_.now_ms();
  Shard& shard = shardOf(server);
  std::lock_guard lock(shard.mu);
  Entry& e = shard.get(server);
  e.known = true;
  e.no_edns_until_ms = now + options_.no_edns_ms;
}

ServerInfo ServerTable::info(const IpAddress& server) const {
  const uint64_t now = options_.now_ms();
  Shard& shard = shardOf(server);
  std::lock_guard lock(shard.mu);
  ServerInfo info;
  if (const Entry* e = shard.find(server)) {
    info.known = e->known;
    info.srtt_us = e->has_rtt ? e->srtt_us : 0;
    info.timeouts = e->timeouts;
    info.held_down = e->held_until_ms > now;
    info.no_edns = e->no_edns_until_ms > now;
  }
  return info;
}

}  // namespace vpcdns::resolver
