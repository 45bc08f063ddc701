// Worker: one thread with its own event loop, pipeline, and a UDP and a TCP socket for every
// configured listener (each bound with SO_REUSEPORT to the shared address).
//
// Thread affinity: constructed, started, stopped and destroyed by the daemon on the main thread;
// the listeners and the pipeline live on the worker's loop thread in between.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "io/loop_thread.h"
#include "server/forward_stage.h"
#include "server/pipeline.h"
#include "server/query_stats.h"
#include "server/resolver_stage.h"
#include "server/tcp_listener.h"
#include "server/udp_listener.h"

namespace vpcdns::server {

struct ListenerFds {
  int udp = -1;
  int tcp = -1;
};

class Worker {
 public:
  // Takes ownership of the fds (one pair per config listener, in order).
  // `holder` must outlive the worker; its current snapshot's config sets listeners and limits.
  // `updater` (may be null: UPDATE gets NOTIMP) too.
  // `runtime` (may be null: no recursion, misses get SERVFAIL) and `forwarding` (may be null:
  // FORWARD rules get SERVFAIL) are shared by all workers.
  // `log_ring` (may be null: no query log) is this worker's ring of the QueryLogWriter, which
  // must outlive the worker.
  Worker(size_t index, const SnapshotHolder& holder, Updater* updater, std::vector<ListenerFds> fds,
         std::shared_ptr<ResolverRuntime> runtime,
         std::shared_ptr<ForwardRuntime> forwarding = nullptr, QueryLogRing* log_ring = nullptr);
  ~Worker();

  void start();
  void stop();  // asynchronous; join() waits
  void join();

  // The generation of the snapshot this worker serves (see Pipeline::servedGeneration). Any
  // thread.
  uint64_t servedGeneration() const { return pipeline_.servedGeneration(); }
  // Makes the worker take the newest snapshot now, even with no query coming (a change batch
  // reaches INSYNC without traffic). Any thread; runs on the loop thread through the
  // LoopThread's uv_async; ignored once stopping.
  void wake();

  // Readable from any thread at any time (Counters).
  const PipelineStats& stats() const { return pipeline_.stats(); }
  // Readable from any thread at any time; null without recursion.
  const resolver::ResolverCounters* resolverCounters() const {
    return resolver_stage_ ? &resolver_stage_->counters() : nullptr;
  }
  const ForwardCounters* forwardCounters() const {
    return forward_stage_ ? &forward_stage_->counters() : nullptr;
  }
  // Per-query counters (by rcode, qtype, VPC, path; latency). Readable from any thread.
  const QueryStats& queryStats() const { return query_stats_; }

 private:
  void onStart(uv_loop_t* loop);
  void onStop();

  size_t index_;
  std::shared_ptr<const config::Config> config_;  // the start-up config: listeners and limits
  QueryStats query_stats_;                        // written on the loop thread only
  Pipeline pipeline_;
  ResolverStage* resolver_stage_ = nullptr;  // owned by pipeline_
  ForwardStage* forward_stage_ = nullptr;    // owned by pipeline_
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;
  io::LoopThread thread_;
};

}  // namespace vpcdns::server
