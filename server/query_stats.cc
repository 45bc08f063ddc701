#include "server/query_stats.h"

#include <fmt/format.h>
#include <time.h>

#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dns/types.h"

namespace vpcdns::server {

uint64_t monotonicNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

// The histogram bounds in nanoseconds, for an integer compare per query.
constexpr std::array<uint64_t, QueryStats::kBuckets.size()> kBucketNanos = [] {
  std::array<uint64_t, QueryStats::kBuckets.size()> a{};
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<uint64_t>(QueryStats::kBuckets[i] * 1e9 + 0.5);
  }
  return a;
}();

std::shared_ptr<QueryStats::VpcTable> makeTable(std::shared_ptr<const config::Config> config) {
  auto t = std::make_shared<QueryStats::VpcTable>();
  t->size = (config ? config->vpcs.size() : 0) + 1;
  t->counts = std::make_unique<Counter[]>(t->size);
  t->config = std::move(config);
  return t;
}

// The index of VPC `id` in `c`, or -1.
long vpcIndex(const config::Config& c, std::string_view id) {
  const config::Vpc* v = c.findVpc(id);
  return v == nullptr ? -1 : static_cast<long>(v - c.vpcs.data());
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::string_view label, std::string_view value,
            uint64_t n) {
  fmt::format_to(std::back_inserter(out), "{}{{{}=\"{}\"}} {}\n", name, label, value, n);
}

}  // namespace

QueryStats::QueryStats() : table_(makeTable(nullptr)) {}

QueryStats::QueryStats(std::shared_ptr<const config::Config> config)
    : table_(makeTable(std::move(config))) {}

void QueryStats::setConfig(std::shared_ptr<const config::Config> config) {
  if (config == table_->config) return;
  auto fresh = makeTable(config);
  // Carry the counts over by VPC id (the only writer is this thread: plain reads are exact).
  const VpcTable& old = *table_;
  fresh->counts[fresh->size - 1].add(old.counts[old.size - 1].get());
  if (old.config && config) {
    for (size_t i = 0; i + 1 < old.size; ++i) {
      const long j = vpcIndex(*config, old.config->vpcs[i].id);
      if (j >= 0) fresh->counts[static_cast<size_t>(j)].add(old.counts[i].get());
    }
  }
  std::lock_guard lock(mu_);
  table_ = std::move(fresh);
}

std::shared_ptr<const QueryStats::VpcTable> QueryStats::vpcTable() const {
  std::lock_guard lock(mu_);
  return table_;
}

size_t QueryStats::typeSlot(uint16_t qtype) {
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i] == qtype) return i;
  }
  return kTypes.size();
}

void QueryStats::record(const QueryEvent& e) {
  count_.add();
  by_rcode_[rcodeSlot(e.rcode)].add();
  by_type_[typeSlot(e.qtype)].add();
  by_path_[static_cast<size_t>(e.path)].add();

  const uint64_t ns = e.end_ns > e.start_ns ? e.end_ns - e.start_ns : 0;
  size_t b = 0;
  while (b < kBucketNanos.size() && ns > kBucketNanos[b]) ++b;
  buckets_[b].add();
  sum_us_.add(ns / 1000);

  // table_ is only replaced on this thread: no lock to read it here.
  VpcTable& t = *table_;
  size_t slot = t.size - 1;  // "none"
  if (e.vpc >= 0 && e.config != nullptr) {
    if (e.config == t.config.get()) {
      slot = static_cast<size_t>(e.vpc);
    } else if (t.config) {  // a reply for a query served by an older snapshot
      const long j = vpcIndex(*t.config, e.config->vpcs[static_cast<size_t>(e.vpc)].id);
      if (j < 0) return;  // its VPC is gone
      slot = static_cast<size_t>(j);
    } else {
      return;
    }
  }
  if (slot < t.size) t.counts[slot].add();
}

void appendQueryMetrics(std::span<const QueryStats* const> per_worker, const config::Config& config,
                        std::string& out) {
  auto sum = [&](auto&& get) {
    uint64_t n = 0;
    for (const QueryStats* s : per_worker) {
      if (s != nullptr) n += get(*s);
    }
    return n;
  };

  constexpr std::string_view kByRcode = "vpcdns_queries_total";
  header(out, kByRcode, "counter", "Replies sent to queries, by RCODE.");
  for (uint16_t r = 0; r < QueryStats::kRcodes; ++r) {
    const uint64_t n = sum([&](const QueryStats& s) { return s.byRcode(r); });
    // The common ones always (so rates start at 0), the rare ones once seen.
    if (n > 0 || r <= dns::rcode::kRefused) sample(out, kByRcode, "rcode", dns::rcodeToText(r), n);
  }
  if (const uint64_t n = sum([](const QueryStats& s) { return s.rcodeOther(); }); n > 0) {
    sample(out, kByRcode, "rcode", "other", n);
  }

  constexpr std::string_view kByType = "vpcdns_queries_by_type_total";
  header(out, kByType, "counter", "Replies sent to queries, by query type.");
  for (size_t i = 0; i < QueryStats::kTypeNames.size(); ++i) {
    sample(out, kByType, "qtype", QueryStats::kTypeNames[i],
           sum([&](const QueryStats& s) { return s.byType(i); }));
  }

  constexpr std::string_view kByVpc = "vpcdns_queries_by_vpc_total";
  header(out, kByVpc, "counter", "Replies sent to queries, by the client's VPC (none: no VPC).");
  std::vector<uint64_t> by_vpc(config.vpcs.size() + 1, 0);
  std::unordered_map<std::string_view, size_t> index;
  for (const QueryStats* s : per_worker) {
    if (s == nullptr) continue;
    auto t = s->vpcTable();
    by_vpc.back() += t->counts[t->size - 1].get();
    if (!t->config) continue;
    if (t->config.get() == &config) {
      for (size_t i = 0; i + 1 < t->size; ++i) by_vpc[i] += t->counts[i].get();
      continue;
    }
    if (index.empty()) {
      for (size_t i = 0; i < config.vpcs.size(); ++i) index.emplace(config.vpcs[i].id, i);
    }
    for (size_t i = 0; i + 1 < t->size; ++i) {
      auto it = index.find(t->config->vpcs[i].id);
      if (it != index.end()) by_vpc[it->second] += t->counts[i].get();
    }
  }
  for (size_t i = 0; i < config.vpcs.size(); ++i) {
    sample(out, kByVpc, "vpc", config.vpcs[i].id, by_vpc[i]);
  }
  sample(out, kByVpc, "vpc", "none", by_vpc.back());

  constexpr std::string_view kByPath = "vpcdns_queries_by_path_total";
  header(out, kByPath, "counter", "Replies sent to queries, by the part that answered.");
  for (size_t p = 0; p < kAnswerPathCount; ++p) {
    sample(out, kByPath, "path", kAnswerPathNames[p],
           sum([&](const QueryStats& s) { return s.byPath(static_cast<AnswerPath>(p)); }));
  }

  constexpr std::string_view kDuration = "vpcdns_query_duration_seconds";
  header(out, kDuration, "histogram",
         "Time from receiving a query to handing its reply to the socket.");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= QueryStats::kBuckets.size(); ++b) {
    cumulative += sum([&](const QueryStats& s) { return s.bucket(b); });
    if (b < QueryStats::kBuckets.size()) {
      fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", kDuration,
                     QueryStats::kBuckets[b], cumulative);
    } else {
      fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n", kDuration,
                     cumulative);
    }
  }
  const uint64_t sum_us = sum([](const QueryStats& s) { return s.latencySumMicros(); });
  fmt::format_to(std::back_inserter(out), "{}_sum {}\n{}_count {}\n", kDuration,
                 static_cast<double>(sum_us) / 1e6, kDuration, cumulative);

  constexpr std::string_view kDropped = "vpcdns_query_log_dropped_total";
  header(out, kDropped, "counter", "Query-log records dropped because a worker's queue was full.");
  fmt::format_to(std::back_inserter(out), "{} {}\n", kDropped,
                 sum([](const QueryStats& s) { return s.logDropped(); }));
}

}  // namespace vpcdns::server
