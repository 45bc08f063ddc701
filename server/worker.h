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
  Worker(size_t index, const SnapshotHolder& holder, Updater* updater, std::vector<ListenerFds> fds,
         std::shared_ptr<ResolverRuntime> runtime,
         std::shared_ptr<ForwardRuntime> forwarding = nullptr);
  ~Worker();

  void start();
  void stop();  // asynchronous; join() waits
  void join();

  // Valid after join().
  const PipelineStats& stats() const { return pipeline_.stats(); }
  // Readable from any thread at any time; null without recursion.
  const resolver::ResolverCounters* resolverCounters() const {
    return resolver_stage_ ? &resolver_stage_->counters() : nullptr;
  }
  const ForwardCounters* forwardCounters() const {
    return forward_stage_ ? &forward_stage_->counters() : nullptr;
  }

 private:
  void onStart(uv_loop_t* loop);
  void onStop();

  size_t index_;
  std::shared_ptr<const config::Config> config_;  // the start-up config: listeners and limits
  Pipeline pipeline_;
  ResolverStage* resolver_stage_ = nullptr;  // owned by pipeline_
  ForwardStage* forward_stage_ = nullptr;    // owned by pipeline_
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;
  io::LoopThread thread_;
};

}  // namespace vpcdns::server
