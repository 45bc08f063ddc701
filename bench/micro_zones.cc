// Micro-benchmarks of private_zones/: Zone::lookup() in a zone of 10 names and in one of
// 100,000, for each result kind. The cost is a few hash probes per qname label, so both sizes
// should show about the same time per lookup (cache misses aside).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dns/types.h"
#include "private_zones/zone.h"

namespace vpcdns::private_zones {
namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

Name mustName(const std::string& text) {
  return Name::fromText(text).value();
}

// "example.": SOA, NS, a wildcard "*.w", a CNAME, and `n` names "hostN.example." with an A each.
std::shared_ptr<const Zone> zoneWith(size_t n) {
  const Name origin = mustName("example.");
  std::vector<dns::Record> records;
  records.push_back({origin, rrtype::kSOA, dns::rrclass::kIN, 300,
                     dns::RdataSoa{mustName("ns1.example."), mustName("hostmaster.example."), 1,
                                   7200, 3600, 1209600, 300}});
  records.push_back(
      {origin, rrtype::kNS, dns::rrclass::kIN, 300, dns::RdataName{mustName("ns1.example.")}});
  records.push_back(
      {mustName("*.w.example."), rrtype::kA, dns::rrclass::kIN, 300, dns::RdataA{{192, 0, 2, 1}}});
  records.push_back({mustName("alias.example."), rrtype::kCNAME, dns::rrclass::kIN, 300,
                     dns::RdataName{mustName("host0.example.")}});
  for (size_t i = 0; i < n; ++i) {
    records.push_back({mustName("host" + std::to_string(i) + ".example."), rrtype::kA,
                       dns::rrclass::kIN, 300,
                       dns::RdataA{{10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                                    static_cast<uint8_t>(i)}}});
  }
  return Zone::build(origin, std::move(records)).value();
}

const Zone& zoneOfSize(size_t n) {
  static const auto small = zoneWith(10);
  static const auto large = zoneWith(100000);
  return n <= 10 ? *small : *large;
}

// Looks up `qname`/`qtype` in the zone of state.range(0) names.
void runLookup(benchmark::State& state, const std::string& qname, uint16_t qtype) {
  const Zone& zone = zoneOfSize(static_cast<size_t>(state.range(0)));
  const Name name = mustName(qname);
  for (auto _ : state) {
    Lookup r = zone.lookup(name, qtype);
    benchmark::DoNotOptimize(r);
  }
}

void BM_LookupAnswer(benchmark::State& state) {
  runLookup(state, "host7.example.", rrtype::kA);
}
void BM_LookupNoData(benchmark::State& state) {
  runLookup(state, "host7.example.", rrtype::kAAAA);
}
void BM_LookupNxDomain(benchmark::State& state) {
  runLookup(state, "a.b.nothere.example.", rrtype::kA);
}
void BM_LookupWildcard(benchmark::State& state) {
  runLookup(state, "x.y.w.example.", rrtype::kA);
}
void BM_LookupCname(benchmark::State& state) {
  runLookup(state, "alias.example.", rrtype::kA);
}

// Many different names, so the large zone's table does not stay in cache.
void BM_LookupSpread(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Zone& zone = zoneOfSize(n);
  std::vector<Name> names;
  for (size_t i = 0; i < 1024; ++i) {
    names.push_back(mustName("host" + std::to_string((i * 7919) % n) + ".example."));
  }
  size_t i = 0;
  for (auto _ : state) {
    Lookup r = zone.lookup(names[i++ & 1023], rrtype::kA);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_LookupAnswer)->Arg(10)->Arg(100000);
BENCHMARK(BM_LookupNoData)->Arg(10)->Arg(100000);
BENCHMARK(BM_LookupNxDomain)->Arg(10)->Arg(100000);
BENCHMARK(BM_LookupWildcard)->Arg(10)->Arg(100000);
BENCHMARK(BM_LookupCname)->Arg(10)->Arg(100000);
BENCHMARK(BM_LookupSpread)->Arg(10)->Arg(100000);

}  // namespace
}  // namespace vpcdns::private_zones

BENCHMARK_MAIN();
