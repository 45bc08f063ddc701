// Micro-benchmarks of cache/: lookup hit and miss, insert, two threads mixing lookups and
// inserts on one cache (shard locks under contention), and the admin flush's scan.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cache/record_cache.h"

namespace vpcdns::cache {
namespace {

constexpr size_t kNames = 100000;

Key keyOf(size_t i, const char* prefix = "host") {
  std::string text = prefix + std::to_string(i) + ".svc.example.com.";
  return Key{kPublicContext, dns::Name::fromText(text).value(), dns::rrtype::kA, dns::rrclass::kIN};
}

// A typical answer: two A records.
std::vector<dns::Record> rrsetOf(const Key& key, size_t i) {
  auto b = static_cast<uint8_t>(i);
  return {{key.name, dns::rrtype::kA, dns::rrclass::kIN, 300, dns::RdataA{{10, 0, b, 1}}},
          {key.name, dns::rrtype::kA, dns::rrclass::kIN, 300, dns::RdataA{{10, 0, b, 2}}}};
}

std::vector<Key> keys(const char* prefix) {
  std::vector<Key> out;
  out.reserve(kNames);
  for (size_t i = 0; i < kNames; ++i) out.push_back(keyOf(i, prefix));
  return out;
}

// 100,000 names in a 256 MiB cache, and the keys to find them (and to miss).
struct Fixture {
  ManualClock clock;
  RecordCache cache{{.max_memory_bytes = size_t{256} << 20}, clock};
  std::vector<Key> present = keys("host");
  std::vector<Key> absent = keys("none");

  Fixture() {
    for (size_t i = 0; i < kNames; ++i) {
      (void)cache.insert(present[i], rrsetOf(present[i], i), 300, Trust::kAnswerAuth);
    }
  }
};

Fixture& fixture() {
  static Fixture f;  // built once, thread-safe (magic static)
  return f;
}

// The argument is the working set: how many distinct names the loop cycles through (1,000 stay
// in the CPU caches; 100,000 pay DRAM latency on the key, the bucket, the node and its data).
void BM_LookupHit(benchmark::State& state) {
  Fixture& f = fixture();
  auto working_set = static_cast<size_t>(state.range(0));
  std::vector<dns::Record> out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(f.cache.lookup(f.present[i], out));
    i = (i + 7919) % working_set;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupHit)->Arg(1000)->Arg(kNames);

void BM_LookupMiss(benchmark::State& state) {
  Fixture& f = fixture();
  auto working_set = static_cast<size_t>(state.range(0));
  std::vector<dns::Record> out;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.cache.lookup(f.absent[i], out));
    i = (i + 7919) % working_set;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupMiss)->Arg(1000)->Arg(kNames);

// Inserts (new names, then replacements once every key was used) into a cache of its own.
void BM_Insert(benchmark::State& state) {
  Fixture& f = fixture();
  ManualClock clock;
  RecordCache cache({.max_memory_bytes = size_t{256} << 20}, clock);
  std::vector<std::vector<dns::Record>> sets;
  for (size_t i = 0; i < kNames; ++i) sets.push_back(rrsetOf(f.present[i], i));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.insert(f.present[i], sets[i], 300, Trust::kAnswerAuth));
    i = (i + 7919) % kNames;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Insert);

// Each thread: 9 lookups (hits) for 1 insert (a replacement), on the shared fixture cache.
void BM_Mixed(benchmark::State& state) {
  Fixture& f = fixture();
  std::vector<dns::Record> out;
  auto i = static_cast<size_t>(state.thread_index()) * 50000;
  std::vector<dns::Record> set = rrsetOf(f.present[0], 0);
  unsigned n = 0;
  for (auto _ : state) {
    const Key& k = f.present[i];
    if (++n % 10 == 0) {
      for (dns::Record& r : set) r.name = k.name;
      benchmark::DoNotOptimize(f.cache.insert(k, set, 300, Trust::kAnswerAuth));
    } else {
      out.clear();
      benchmark::DoNotOptimize(f.cache.lookup(k, out));
    }
    i = (i + 7919) % kNames;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Mixed)->Threads(1)->Threads(2)->UseRealTime();

// An admin flush by name (POST /v1/cache/flush) walks every shard, one lock at a time: the cost
// of one over 100,000 names, for a name that matches nothing (argument: subtree or not).
void BM_FlushNameScan(benchmark::State& state) {
  Fixture& f = fixture();
  const dns::Name& absent = f.absent[0].name;
  for (auto _ : state) benchmark::DoNotOptimize(f.cache.flushName(absent, state.range(0) != 0));
}
BENCHMARK(BM_FlushNameScan)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vpcdns::cache

BENCHMARK_MAIN();
