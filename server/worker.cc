#include "server/worker.h"

#include "server/zone_stage.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace vpcdns::server {

Worker::Worker(size_t index, const SnapshotHolder& holder, Updater* updater,
               std::vector<ListenerFds> fds, std::shared_ptr<ResolverRuntime> runtime,
               std::shared_ptr<ForwardRuntime> forwarding, QueryLogRing* log_ring)
    : index_(index),
      config_(holder.current()->config),
      pipeline_(holder),
      thread_("worker-" + std::to_string(index)) {
  pipeline_.addStage(std::make_unique<ZoneStage>());
  if (forwarding) {
    auto stage = std::make_unique<ForwardStage>(std::move(forwarding));
    forward_stage_ = stage.get();
    pipeline_.addStage(std::move(stage));
  }
  if (runtime) {
    auto stage = std::make_unique<ResolverStage>(std::move(runtime));
    resolver_stage_ = stage.get();
    pipeline_.addStage(std::move(stage));
  }
  pipeline_.setUpdater(updater);
  pipeline_.setQueryObservers(&query_stats_, log_ring);
  for (size_t i = 0; i < fds.size(); ++i) {
    udp_.push_back(std::make_unique<UdpListener>(fds[i].udp, i, pipeline_));
    tcp_.push_back(std::make_unique<TcpListener>(fds[i].tcp, i, pipeline_, config_->server));
  }
}

Worker::~Worker() {
  stop();
  join();
}

void Worker::start() {
  thread_.start([this](uv_loop_t* loop) { onStart(loop); }, [this] { onStop(); });
}

void Worker::onStart(uv_loop_t* loop) {
  if (forward_stage_ != nullptr) forward_stage_->attach(loop);
  if (resolver_stage_ != nullptr) resolver_stage_->attach(loop);
  for (auto& l : udp_) l->start(loop);
  for (auto& l : tcp_) l->start(loop);
  spdlog::debug("worker {} serving {} listener(s)", index_, udp_.size());
}

void Worker::onStop() {
  if (forward_stage_ != nullptr) forward_stage_->detach();
  if (resolver_stage_ != nullptr) resolver_stage_->detach();
  for (auto& l : udp_) l->close();
  for (auto& l : tcp_) l->close();
}

void Worker::wake() {
  thread_.post([this] { pipeline_.refresh(); });
}

void Worker::stop() {
  thread_.stop();
}
void Worker::join() {
  thread_.join();
}

}  // namespace vpcdns::server
