// The query log: one JSON object per line in Route 53 Resolver's query-log format
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-format.html:
// version, account_id, region, vpc_id, query_timestamp, query_name, query_type, query_class,
// rcode, answers[{Rdata,Type,Class}], srcaddr, srcport, transport, srcids), plus our "path"
// (which part answered) and "latency_us".
//
// The query path never waits on disk:
//  - QueryLogRing: one per worker, a single-producer single-consumer ring of bytes preallocated
//    at start. A record (the event's header fields, the VPC id and a copy of the reply) is
//    copied in with one memcpy per part; no heap allocation. A full ring drops the record (the
//    caller counts it); nothing blocks.
//  - QueryLogWriter: one thread that drains every ring, parses each reply, formats the JSON
//    line, and writes with buffered I/O (write(2) of up to 64 KiB), flushing whenever the rings
//    are empty and at least every 100 ms, and at stop(). It rotates by size: file -> file.1 ->
//    ... -> file.N (max_files), keeping at most max_size bytes per file.
//
// Thread affinity: QueryLogRing::push on its worker's thread only, drain on the writer thread
// only. QueryLogWriter: constructed, started and stopped on the main thread; apply() and the
// counters from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "common/net.h"
#include "common/result.h"
#include "config/config.h"
#include "server/query_event.h"

namespace vpcdns::server {

// One record as the writer sees it (borrowed from the ring until the drain callback returns).
struct QueryLogRecord {
  uint64_t start_ns = 0;  // steady clock
  uint64_t end_ns = 0;
  SocketAddress client;
  Transport transport = Transport::kUdp;
  AnswerPath path = AnswerPath::kError;
  uint32_t listener_index = 0;
  std::string_view vpc_id;         // "" for clients in no VPC
  std::span<const uint8_t> reply;  // the whole reply, as sent
};

class QueryLogRing {
 public:
  // Room for about `records` records of average size (kAverageRecord bytes); at least enough
  // for two of the largest.
  explicit QueryLogRing(size_t records);
  QueryLogRing(const QueryLogRing&) = delete;
  QueryLogRing& operator=(const QueryLogRing&) = delete;

  static constexpr size_t kAverageRecord = 256;
  static constexpr size_t kMaxVpcId = 255;  // longer ids are cut (they are not in practice)

  // Producer thread. False when the ring has no room (the record is dropped).
  bool push(const QueryEvent& e, std::string_view vpc_id);

  // Consumer thread: calls fn(const QueryLogRecord&) for every record pushed so far, oldest
  // first, then frees their room. Returns how many.
  template <class F>
  size_t drain(F&& fn);

  size_t capacity() const { return capacity_; }

 private:
  struct Head;  // the fixed part of a record, see query_log.cc
  const uint8_t* at(uint64_t pos) const { return buf_.get() + (pos & (capacity_ - 1)); }
  // Reads the record at `pos` into `out`; returns its size in the ring (0: a wrap marker, skip
  // to the next lap).
  size_t read(uint64_t pos, QueryLogRecord& out) const;

  size_t capacity_;  // a power of two
  std::unique_ptr<uint8_t[]> buf_;
  alignas(64) std::atomic<uint64_t> head_{0};  // written by the producer
  alignas(64) std::atomic<uint64_t> tail_{0};  // written by the consumer
  uint64_t cached_tail_ = 0;                   // producer's last view of tail_
};

template <class F>
size_t QueryLogRing::drain(F&& fn) {
  const uint64_t head = head_.load(std::memory_order_acquire);
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  size_t n = 0;
  while (tail != head) {
    QueryLogRecord rec;
    const size_t size = read(tail, rec);
    if (size == 0) {  // wrap marker: the record continues at the start of the buffer
      tail = (tail | (capacity_ - 1)) + 1;
      continue;
    }
    fn(static_cast<const QueryLogRecord&>(rec));
    tail += size;
    ++n;
  }
  tail_.store(tail, std::memory_order_release);
  return n;
}

// The fields every line carries that come from the config.
struct QueryLogFormat {
  std::string account_id = "000000000000";
  std::string region = "local";
  std::vector<std::string> listeners;  // "ADDR:PORT" by listener index, for srcids.listener
};

// Appends one JSON line (with its '\n') for `rec` to `out`. `realtime_offset_ns` turns the
// steady clock into the wall clock (CLOCK_REALTIME - CLOCK_MONOTONIC). Returns false (and
// appends nothing) if the reply cannot be parsed or carries no question.
bool formatQueryLogLine(const QueryLogRecord& rec, const QueryLogFormat& format,
                        int64_t realtime_offset_ns, std::string& out);

// Appends `text` as a JSON string body (no quotes): ", \ and control characters escaped.
void appendJsonEscaped(std::string_view text, std::string& out);

// "2026-12-04T11:20:33.123Z" for a CLOCK_REALTIME time in nanoseconds.
std::string rfc3339Millis(int64_t realtime_ns);

class QueryLogWriter {
 public:
  // `section`: the config's query_log; `base_dir`: where a relative file name starts;
  // `listeners`: "ADDR:PORT" of each listener, by index.
  QueryLogWriter(const config::QueryLogSection& section, const std::string& base_dir,
                 std::vector<std::string> listeners);
  ~QueryLogWriter();  // stop()s

  // Opens (appends to) the file; an error names it. Before start().
  Result<bool, std::string> open();
  // One ring per worker, created before start(); owned by the writer.
  QueryLogRing* addRing();
  void start();
  // Drains every ring one last time, flushes, closes. Call after the workers have stopped.
  void stop();

  // A reload: new account_id, region, max_size, max_files (the file and queue stay). Any thread.
  void apply(const config::QueryLogSection& section);
  // Asks the writer thread to close and reopen the file (logrotate moved it away). Any thread.
  void reopenLater() { reopen_.store(true, std::memory_order_relaxed); }

  const std::string& path() const { return path_; }
  uint64_t written() const { return written_.get(); }        // lines
  uint64_t unreadable() const { return unreadable_.get(); }  // records that could not be parsed
  uint64_t writeErrors() const { return write_errors_.get(); }

 private:
  void run();
  size_t drainAll();
  void appendLine(const QueryLogRecord& rec);
  void flush();
  void rotate();
  bool reopen();

  std::string path_;
  std::vector<std::unique_ptr<QueryLogRing>> rings_;
  size_t queue_;
  int fd_ = -1;
  uint64_t file_size_ = 0;  // bytes in the current file, buffer excluded
  std::string buffer_;      // whole lines not yet written
  std::string line_;        // scratch for one line
  int64_t realtime_offset_ns_ = 0;

  std::mutex format_mu_;  // guards format_, max_size_, max_files_ against apply()
  QueryLogFormat format_;
  uint64_t max_size_;
  uint32_t max_files_;

  Counter written_;
  Counter unreadable_;
  Counter write_errors_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> reopen_{false};
  std::thread thread_;
};

// Appends the writer's counters in the Prometheus text format 0.0.4:
// vpcdns_query_log_lines_total, vpcdns_query_log_unreadable_total,
// vpcdns_query_log_write_errors_total (the drops are in appendQueryMetrics). Any thread.
void appendQueryLogMetrics(const QueryLogWriter& writer, std::string& out);

}  // namespace vpcdns::server
