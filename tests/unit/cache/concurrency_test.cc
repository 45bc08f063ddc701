// Several threads on one cache: no torn RRsets, counters add up, the memory bound holds. Meant
// to run under ASan/UBSan and TSan as well (README: build-cache-tsan).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "cache/record_cache.h"

namespace vpcdns::cache {
namespace {

constexpr int kThreads = 4;
constexpr int kIterations = 20000;
constexpr int kSharedNames = 64;
constexpr size_t kMaxMemory = size_t{256} << 10;

dns::Name name(const std::string& text) {
  return dns::Name::fromText(text).value();
}

// Thread t writes RRsets of t + 1 records 192.0.2.(10t), 192.0.2.(10t + 1), ... so a reader can
// tell a whole RRset from a mix of two writers' data.
std::vector<dns::Record> rrsetOf(int thread, const dns::Name& owner) {
  std::vector<dns::Record> set;
  for (int i = 0; i <= thread; ++i) {
    auto last = static_cast<uint8_t>(10 * thread + i);
    set.push_back({owner, dns::rrtype::kA, dns::rrclass::kIN, 60, dns::RdataA{{192, 0, 2, last}}});
  }
  return set;
}

bool isWholeRRset(const std::vector<dns::Record>& records) {
  if (records.empty()) return false;
  int writer = std::get<dns::RdataA>(records[0].rdata).addr[3] / 10;
  if (records.size() != static_cast<size_t>(writer + 1)) return false;
  for (size_t i = 0; i < records.size(); ++i) {
    if (std::get<dns::RdataA>(records[i].rdata).addr[3] != 10 * writer + static_cast<int>(i)) {
      return false;
    }
  }
  return true;
}

dns::Record soaOf(const dns::Name& zone) {
  dns::RdataSoa rd{name("ns.example."), name("host.example."), 1, 2, 3, 4, 30};
  return {zone, dns::rrtype::kSOA, dns::rrclass::kIN, 30, rd};
}

struct Tally {
  uint64_t lookups = 0;
  uint64_t torn = 0;
  uint64_t negative = 0;
};

void worker(RecordCache& cache, ManualClock& clock, int t, Tally& tally) {
  std::vector<dns::Record> out;
  const uint64_t context = (t % 2 == 0) ? kPublicContext : 7;
  for (int i = 0; i < kIterations; ++i) {
    // Distinct: this thread's own names; shared: every thread writes and reads the same ones.
    Key own{context, name("t" + std::to_string(t) + "-" + std::to_string(i % 1500) + ".example."),
            dns::rrtype::kA, dns::rrclass::kIN};
    Key shared{kPublicContext, name("shared" + std::to_string(i % kSharedNames) + ".example."),
               dns::rrtype::kA, dns::rrclass::kIN};
    (void)cache.insert(own, rrsetOf(t, own.name), 60, Trust::kAnswerAuth);
    (void)cache.insert(shared, rrsetOf(t, shared.name), 60,
                       (i % 3 == 0) ? Trust::kAdditional : Trust::kAnswerNonAuth);
    for (const Key* k : {&own, &shared}) {
      out.clear();
      LookupResult r = cache.lookup(*k, out);
      ++tally.lookups;
      if (r.outcome == Outcome::kRecords && !isWholeRRset(out)) ++tally.torn;
      if (r.outcome == Outcome::kNxDomain) ++tally.negative;
    }
    if (i % 97 == 0)
      (void)cache.insertNxDomain(shared, soaOf(name("example.")), Trust::kAnswerAuth);
    if (i % 101 == 0) cache.eraseName(kPublicContext, shared.name);
    if (i % 211 == 0) cache.erase(own);
    if (t == 0 && i % 1000 == 0) clock.advance(20);
    if (t == 1 && i % 5000 == 0) (void)cache.stats();
  }
}

TEST(RecordCacheConcurrency, FourThreadsDistinctAndSharedKeys) {
  ManualClock clock;
  RecordCache cache({.max_memory_bytes = kMaxMemory, .shards = 16}, clock);
  std::array<Tally, kThreads> tallies{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(worker, std::ref(cache), std::ref(clock), t,
                         std::ref(tallies[static_cast<size_t>(t)]));
  }
  for (std::thread& th : threads) th.join();

  uint64_t lookups = 0;
  for (const Tally& tally : tallies) {
    EXPECT_EQ(tally.torn, 0u);
    lookups += tally.lookups;
  }
  CacheStats s = cache.stats();
  EXPECT_EQ(s.hits + s.misses, lookups);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LE(s.bytes, kMaxMemory);

  // The structure is still sound: every entry can be flushed and the totals return to zero.
  cache.eraseBelow(kPublicContext, dns::Name());
  cache.eraseBelow(7, dns::Name());
  s = cache.stats();
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

}  // namespace
}  // namespace vpcdns::cache
