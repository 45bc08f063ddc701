// The query pipeline: what happens to one query, from bytes in to bytes out.
//
//   parse (dns::parseQuery) ─ drop if the header is unreadable or QR is set
//     └─ FORMERR / NOTIMP / BADVERS for malformed, non-QUERY or EDNS version > 0
//   admission: the client's view (its VPC by listener or source CIDR, else the default view if
//     server.allow admits it); REFUSED without one
//   stages, in order, each answers or passes (CoreDNS's chain):
//       private zones and local zones (the VPC's policy table)
//       → cache and iterative resolution (resolver stage)  → forwarding rules (later issue)
//   no stage answered: SERVFAIL
//
// A stage may answer later (a cache miss going upstream): it takes a PendingReply from the
// context and returns kDeferred; the reply is then written and sent through the listener's
// ReplySink, on the same loop thread, when the answer is known.
//
// Thread affinity: one Pipeline per worker thread; handle() is called only on that thread.
// It shares the immutable snapshot with the other workers; setSnapshot() swaps it on this thread.
// handle() makes no heap allocation for the queries answered here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/counter.h"
#include "common/net.h"
#include "config/config.h"
#include "dns/message.h"
#include "dns/writer.h"
#include "server/query_event.h"
#include "server/snapshot.h"

namespace vpcdns::server {

class Updater;
class Pipeline;
class QueryStats;
class QueryLogRing;

struct ClientInfo;

// Where a reply completed after handle() returned goes: the listener that received the query.
// Loop thread only.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Sends `reply` to `client` (UDP: to its address; TCP: on connection `client.connection`, or
  // nowhere if that connection has closed meanwhile).
  virtual void sendLater(const ClientInfo& client, std::span<const uint8_t> reply) = 0;
};

struct ClientInfo {
  SocketAddress address;
  Transport transport = Transport::kUdp;
  size_t listener_index = 0;  // into Config::server.listen
  ReplySink* sink = nullptr;  // null: the listener cannot take late replies (they are dropped)
  uint64_t connection = 0;    // TCP: the connection's serial number within its listener
};

// Everything needed to answer a query later, copied out of the packet: the reply's header
// (ID, opcode, RD, CD mirrored), the question as the client spelled it, its EDNS and size limit.
struct PendingReply {
  ClientInfo client;
  dns::Header header;
  dns::Question question;
  bool has_edns = false;
  bool do_bit = false;
  uint16_t our_udp_size = dns::kDefaultEdnsUdpPayload;
  size_t size_limit = dns::kMinUdpPayload;

  // For the query log and metrics (QueryEvent): who reports the reply, when the query came,
  // which part answers, and the VPC (index into config->vpcs, -1: none; `config` keeps the id
  // alive across a reload).
  Pipeline* pipeline = nullptr;
  uint64_t start_ns = 0;
  AnswerPath path = AnswerPath::kRecursion;
  int vpc = -1;
  bool log = false;
  std::shared_ptr<const config::Config> config;

  // Starts a reply in `buf` (header, question, OPT): the caller adds records and finishes.
  dns::MessageWriter startReply(std::span<uint8_t> buf) const;
  // Hands a finished reply to the listener, and reports it (query log, metrics).
  void send(std::span<const uint8_t> reply) const;
};

// Per-worker counters: written on the worker's loop thread, readable from any thread.
struct PipelineStats {
  Counter queries;
  Counter dropped;  // unreadable header, or a response sent to us
  Counter formerr;
  Counter notimp;
  Counter refused;
  Counter badvers;
  Counter servfail;
  Counter answered;  // by a stage, at once
  Counter deferred;  // to be answered later by a stage
  Counter truncated;
};

// What a stage sees: the parsed query, the client, and the writer for the reply, whose header,
// question and OPT are already set.
struct QueryContext {
  const dns::QueryView& query;
  std::span<const uint8_t> packet;
  const ClientInfo& client;
  const Snapshot& snapshot;
  const View& view;  // the client's VPC (or the default view)
  dns::MessageWriter& reply;
  size_t size_limit = 0;  // the reply's limit (TCP 65535; UDP the client's EDNS size or 512)
  // Which part answers: a stage that answers or defers sets it first (query log, metrics).
  AnswerPath path = AnswerPath::kError;
  uint64_t start_ns = 0;  // monotonicNanos() when the query was received
  int vpc = -1;           // the view's index in config->vpcs; -1: no VPC
  bool log = false;       // the query log wants this VPC
  Pipeline* pipeline = nullptr;

  // What a stage keeps to answer later (see Verdict::kDeferred); set `path` before.
  PendingReply defer() const;
};

enum class Verdict : uint8_t {
  kPass,      // not mine: the writer is untouched, the next stage sees the query
  kAnswered,  // the reply is complete in the writer
  kDeferred,  // the stage took a PendingReply and will send the reply itself (or drop it)
};

// One step of the chain.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual Verdict answer(QueryContext& ctx) = 0;
};

class Pipeline {
 public:
  // A fixed snapshot (tests).
  explicit Pipeline(std::shared_ptr<const Snapshot> snapshot);
  // Follows what `holder` publishes (reloads, updates) from the next query on.
  explicit Pipeline(const SnapshotHolder& holder);

  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }

  // Where UPDATE messages go (RFC 2136); without one they get NOTIMP.
  void setUpdater(Updater* updater) { updater_ = updater; }

  // Appends a stage; stages run in the order added.
  void addStage(std::unique_ptr<Stage> stage);

  // Handles one query in `packet` and writes the reply into `out` (at least 65535 bytes are
  // expected for TCP; UDP replies are cut to the client's size). Returns the reply's size, or 0
  // when nothing must be sent now (dropped, or deferred: see Stage).
  size_t handle(std::span<const uint8_t> packet, const ClientInfo& client, std::span<uint8_t> out);

  const PipelineStats& stats() const { return stats_; }

  // Where every reply's QueryEvent goes: the worker's counters and, with a query log, its ring
  // (either may be null). Before the first query.
  void setQueryObservers(QueryStats* stats, QueryLogRing* log);
  // Reports one reply sent (handle() for immediate ones, PendingReply::send for later ones).
  void report(const QueryEvent& e);

  // The generation (SnapshotHolder::publish) of the snapshot the next query will use; 0 with a
  // fixed snapshot. Any thread: the admin API's change status (INSYNC) reads it.
  uint64_t servedGeneration() const { return served_generation_.load(std::memory_order_acquire); }
  // Takes a newly published snapshot now, without waiting for a query (loop thread; an idle
  // worker woken by a publish calls it).
  void refresh() { refreshSnapshot(); }

 private:
  // Sets *qtype when the question could be read (and is copied into the reply).
  size_t replyError(std::span<const uint8_t> packet, uint16_t rcode, std::span<uint8_t> out,
                    uint16_t* qtype);
  size_t sizeLimit(const dns::QueryView& q, const ClientInfo& client, size_t out_size) const;

  void refreshSnapshot();
  void onNewSnapshot();  // recomputes log_views_, tells query_stats_
  size_t process(std::span<const uint8_t> packet, const ClientInfo& client, std::span<uint8_t> out,
                 QueryEvent& e);

  const SnapshotHolder* holder_ = nullptr;
  Updater* updater_ = nullptr;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> served_generation_{0};  // generation_, for other threads
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::unique_ptr<Stage>> stages_;
  PipelineStats stats_;
  QueryStats* query_stats_ = nullptr;
  QueryLogRing* log_ring_ = nullptr;
  std::vector<uint8_t> log_views_;  // per view of snapshot_: 1 if the query log wants it
};

}  // namespace vpcdns::server
