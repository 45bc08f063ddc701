// QueryStats: per-worker counters of the queries answered, for Prometheus (`/metrics`): by
// RCODE, by query type (a fixed list plus "other"), by the client's VPC, by answering path, and
// a latency histogram; plus the query-log records dropped because the worker's ring was full.
//
// Thread affinity: one QueryStats per worker; record(), setConfig() and countLogDrop() run only
// on that worker's loop thread (single writer: every counter is a common/counter.h Counter, an
// increment is a relaxed load+store). appendQueryMetrics() may run on any thread at any time.
//
// VPCs and reloads: the counters by VPC are sized by the worker's current snapshot config. When
// a reload publishes a new config, setConfig() builds a new table and carries the counts of the
// VPC ids that still exist over; counts of removed VPCs are forgotten. Readers get the table
// under a mutex that the writer takes only at that swap (never per query).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "common/counter.h"
#include "config/config.h"
#include "server/query_event.h"

namespace vpcdns::server {

class QueryStats {
 public:
  // The query types counted by name; everything else is "other".
  static constexpr std::array<uint16_t, 12> kTypes = {1, 28, 5, 15, 2, 12, 6, 33, 16, 65, 64, 255};
  static constexpr std::array<std::string_view, 13> kTypeNames = {
      "A",   "AAAA", "CNAME", "MX",   "NS",  "PTR",  "SOA",
      "SRV", "TXT",  "HTTPS", "SVCB", "ANY", "other"};
  // RCODEs counted by value (0..23: everything IANA names for replies); higher ones together.
  static constexpr size_t kRcodes = 24;
  // Latency histogram upper bounds in seconds (Prometheus buckets; +Inf is implicit).
  static constexpr std::array<double, 15> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

  // A VPC table: the config whose vpcs it counts, one counter per VPC plus "none" (last).
  struct VpcTable {
    std::shared_ptr<const config::Config> config;
    std::unique_ptr<Counter[]> counts;  // config->vpcs.size() + 1
    size_t size = 0;
  };

  QueryStats();
  explicit QueryStats(std::shared_ptr<const config::Config> config);

  // Worker thread: a new snapshot's config (no-op if it is the current one).
  void setConfig(std::shared_ptr<const config::Config> config);
  // Worker thread: one reply sent.
  void record(const QueryEvent& e);
  // Worker thread: a query-log record that found the ring full.
  void countLogDrop() { log_dropped_.add(); }

  // Any thread.
  uint64_t queries() const { return count_.get(); }
  uint64_t byRcode(uint16_t rcode) const { return by_rcode_[rcodeSlot(rcode)].get(); }
  uint64_t byType(size_t slot) const { return by_type_[slot].get(); }
  uint64_t byPath(AnswerPath p) const { return by_path_[static_cast<size_t>(p)].get(); }
  uint64_t rcodeOther() const { return by_rcode_[kRcodes].get(); }
  uint64_t logDropped() const { return log_dropped_.get(); }
  uint64_t bucket(size_t i) const { return buckets_[i].get(); }  // non-cumulative; last: +Inf
  uint64_t latencySumMicros() const { return sum_us_.get(); }
  // The current VPC table (shared: stays valid while held).
  std::shared_ptr<const VpcTable> vpcTable() const;

  static size_t typeSlot(uint16_t qtype);
  static size_t rcodeSlot(uint16_t rcode) { return rcode < kRcodes ? rcode : kRcodes; }

 private:
  std::array<Counter, kRcodes + 1> by_rcode_;
  std::array<Counter, kTypeNames.size()> by_type_;
  std::array<Counter, kAnswerPathCount> by_path_;
  std::array<Counter, kBuckets.size() + 1> buckets_;
  Counter sum_us_;
  Counter count_;
  Counter log_dropped_;

  std::shared_ptr<VpcTable> table_;  // written by the worker; read by others under mu_
  mutable std::mutex mu_;
};

// Appends the query metrics of every worker (summed) in the Prometheus text format 0.0.4:
// vpcdns_queries_total{rcode}, vpcdns_queries_by_type_total{qtype},
// vpcdns_queries_by_vpc_total{vpc} (the VPCs of `config`, plus "none"),
// vpcdns_queries_by_path_total{path}, vpcdns_query_duration_seconds (histogram) and
// vpcdns_query_log_dropped_total. Any thread.
void appendQueryMetrics(std::span<const QueryStats* const> per_worker, const config::Config& config,
                        std::string& out);

}  // namespace vpcdns::server
