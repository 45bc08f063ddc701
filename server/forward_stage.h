// ForwardStage: answers names whose policy entry is a FORWARD rule (the hybrid forwarder and the
// sidecar's "."). A cached answer for the rule's target set is written at once with no
// allocation; otherwise the question goes to the worker's Forwarder (c-ares, target health) and
// the upstream's reply reaches the client later, with the client's ID, question and EDNS, and
// is cached under the rule's target set (cache context).
//
// ForwardRuntime: what the workers share: the target health registry and the record cache.
//
// Thread affinity: the stage is constructed on the main thread; attach(), detach() and
// answer() run on its worker's loop thread. counters() may be read from any thread.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

#include "cache/record_cache.h"
#include "common/counter.h"
#include "config/config.h"
#include "forwarder/forwarder.h"
#include "forwarder/health.h"
#include "server/pipeline.h"

namespace vpcdns::server {

struct ForwardRuntime {
  std::unique_ptr<forwarder::HealthRegistry> health;
  cache::RecordCache* cache = nullptr;  // null: forwarded answers are not cached
};

// Health options from config.forwarding; `cache` (shared with the resolver) is used when
// forwarding.cache is on.
std::shared_ptr<ForwardRuntime> buildForwardRuntime(const config::Config& config,
                                                    cache::RecordCache* cache);

struct ForwardCounters {
  Counter queries;     // questions a FORWARD rule claimed
  Counter cache_hits;  // answered from the cache
  Counter forwarded;   // sent upstream
  Counter all_down;    // SERVFAIL at once: every target of the rule down
  Counter failed;      // SERVFAIL: every target tried failed, or an unusable reply
  forwarder::UpstreamCounters upstream;  // the worker's Forwarder: replies, timeouts, RTT
};

class ForwardStage final : public Stage {
 public:
  explicit ForwardStage(std::shared_ptr<ForwardRuntime> runtime);
  ~ForwardStage() override;

  void attach(uv_loop_t* loop);
  void detach();

  Verdict answer(QueryContext& ctx) override;

  const ForwardCounters& counters() const { return counters_; }

 private:
  std::shared_ptr<ForwardRuntime> runtime_;
  ForwardCounters counters_;
  std::unique_ptr<forwarder::Forwarder> forwarder_;
  std::vector<dns::Record> scratch_;
};

}  // namespace vpcdns::server
