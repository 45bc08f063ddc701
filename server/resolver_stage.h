// ResolverStage: the pipeline's last stage for names no policy entry claims (the default ".":
// recursion). A cache hit is answered at once, with no allocation; a miss goes to the worker's
// Resolver and the reply follows later through the listener (Verdict::kDeferred).
//
// ResolverRuntime: what the workers share for recursion (the record cache, the server table,
// the options and root hints), built once from the start-up config.
//
// Thread affinity: the stage is constructed on the main thread; attach(), detach() and
// answer() run on its worker's loop thread. counters() may be read from any thread.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "cache/record_cache.h"
#include "common/result.h"
#include "config/config.h"
#include "resolver/net_transport.h"
#include "resolver/resolver.h"
#include "resolver/server_table.h"
#include "server/pipeline.h"

namespace vpcdns::server {

struct ResolverRuntime {
  std::unique_ptr<cache::RecordCache> cache;
  std::unique_ptr<resolver::ServerTable> servers;
  std::shared_ptr<const resolver::ResolverShared> shared;
};

// Options from config.resolver and config.cache; the root hints file (relative paths start at
// the config's folder) is read here. Our own listener addresses are always in dont_query.
Result<std::shared_ptr<ResolverRuntime>, std::string> buildResolverRuntime(
    const config::Config& config);

class ResolverStage final : public Stage {
 public:
  explicit ResolverStage(std::shared_ptr<ResolverRuntime> runtime);
  ~ResolverStage() override;

  void attach(uv_loop_t* loop);  // creates the transport and the resolver on the loop thread
  void detach();                 // cancels what is in flight, closes the transport's handles

  Verdict answer(QueryContext& ctx) override;

  const resolver::ResolverCounters& counters() const { return counters_; }

 private:
  std::shared_ptr<ResolverRuntime> runtime_;
  resolver::ResolverCounters counters_;
  std::unique_ptr<resolver::NetTransport> transport_;
  std::unique_ptr<resolver::Resolver> resolver_;
};

}  // namespace vpcdns::server
