// Micro-benchmarks of the dns/ hot paths: query parsing, response parsing and encoding, names.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "dns/message.h"
#include "dns/writer.h"

namespace vpcdns::dns {
namespace {

Name mustName(std::string_view text) {
  return Name::fromText(text).value();
}

// "www.example.com. IN A" with EDNS (udp 1232, DO), as a stub resolver sends it.
std::vector<uint8_t> typicalQuery() {
  Message m;
  m.header.id = 0x1234;
  m.header.rd = true;
  m.questions.push_back({mustName("www.example.com."), rrtype::kA, rrclass::kIN});
  m.edns = Edns{};
  m.edns->do_bit = true;
  return m.encode();
}

// The answer to it: a CNAME and 4 A records, with EDNS.
Message typicalResponse() {
  Message m;
  m.header.id = 0x1234;
  m.header.qr = m.header.rd = m.header.ra = true;
  m.questions.push_back({mustName("www.example.com."), rrtype::kA, rrclass::kIN});
  m.answer.push_back({mustName("www.example.com."), rrtype::kCNAME, rrclass::kIN, 300,
                      RdataName{mustName("web.cdn.example.net.")}});
  for (uint8_t i = 1; i <= 4; ++i) {
    m.answer.push_back(
        {mustName("web.cdn.example.net."), rrtype::kA, rrclass::kIN, 60, RdataA{{192, 0, 2, i}}});
  }
  m.edns = Edns{};
  return m;
}

void BM_ParseQuery(benchmark::State& state) {
  auto packet = typicalQuery();
  for (auto _ : state) {
    auto q = parseQuery(packet);
    benchmark::DoNotOptimize(q);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(packet.size()));
}
BENCHMARK(BM_ParseQuery);

void BM_ParseResponse(benchmark::State& state) {
  auto packet = typicalResponse().encode();
  for (auto _ : state) {
    auto m = Message::parse(packet);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(packet.size()));
}
BENCHMARK(BM_ParseResponse);

void BM_WriteResponse(benchmark::State& state) {
  Message m = typicalResponse();
  std::array<uint8_t, 1232> buf{};
  for (auto _ : state) {
    MessageWriter w(buf, buf.size());
    w.setHeader(m.header);
    (void)w.setEdns(*m.edns);
    (void)w.addQuestion(m.questions[0]);
    (void)w.addRecord(Section::kAnswer, m.answer[0]);
    (void)w.addRRset(Section::kAnswer, std::span<const Record>(m.answer).subspan(1));
    benchmark::DoNotOptimize(w.finish());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_WriteResponse);

void BM_NameFromText(benchmark::State& state) {
  for (auto _ : state) {
    auto n = Name::fromText("www.Example.COM.");
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_NameFromText);

void BM_NameHash(benchmark::State& state) {
  Name n = mustName("www.Example.COM.");
  uint64_t seed = 0x0123456789abcdefULL;
  for (auto _ : state) {
    benchmark::DoNotOptimize(n.hash(seed));
  }
}
BENCHMARK(BM_NameHash);

}  // namespace
}  // namespace vpcdns::dns

BENCHMARK_MAIN();
