#include "server/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "server/socket.h"

namespace vpcdns::server {

unsigned workerCount(const config::Config& config) {
  if (config.server.workers > 0) return config.server.workers;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Daemon::Daemon(std::shared_ptr<const Snapshot> snapshot, std::string config_file,
               std::shared_ptr<ResolverRuntime> runtime, std::shared_ptr<ForwardRuntime> forwarding)
    : holder_(snapshot),
      config_(snapshot->config),
      config_file_(std::move(config_file)),
      nworkers_(workerCount(*config_)),
      runtime_(std::move(runtime)),
      forwarding_(std::move(forwarding)) {}

void Daemon::logStats() const {
  uint64_t queries = 0, hits = 0, upstream = 0, tcp = 0, timeouts = 0, errors = 0, ignored = 0,
           resolutions = 0, joined = 0, servfail = 0;
  for (const auto& w : workers_) {
    const auto* c = w->resolverCounters();
    if (c == nullptr) continue;
    queries += c->queries.get();
    hits += c->cache_hits.get();
    upstream += c->upstream_queries.get();
    tcp += c->upstream_tcp.get();
    timeouts += c->upstream_timeouts.get();
    errors += c->upstream_errors.get();
    ignored += c->upstream_ignored.get();
    resolutions += c->resolutions.get();
    joined += c->joined.get();
    servfail += c->servfail.get();
  }
  uint64_t fwd_queries = 0, fwd_hits = 0, fwd_sent = 0, fwd_down = 0, fwd_failed = 0;
  for (const auto& w : workers_) {
    const auto* f = w->forwardCounters();
    if (f == nullptr) continue;
    fwd_queries += f->queries.get();
    fwd_hits += f->cache_hits.get();
    fwd_sent += f->forwarded.get();
    fwd_down += f->all_down.get();
    fwd_failed += f->failed.get();
  }
  cache::CacheStats cs;
  if (runtime_) cs = runtime_->cache->stats();
  spdlog::info(
      "stats: queries={} cache_hits={} upstream_queries={} upstream_tcp={} upstream_timeouts={} "
      "upstream_ignored={} resolutions={} joined={} servfail={} cache_bytes={} cache_entries={} "
      "cache_evictions={} upstream_errors={} forward_queries={} forward_cache_hits={} "
      "forwarded={} forward_all_down={} forward_failed={}",
      queries, hits, upstream, tcp, timeouts, ignored, resolutions, joined, servfail, cs.bytes,
      cs.entries, cs.evictions, errors, fwd_queries, fwd_hits, fwd_sent, fwd_down, fwd_failed);
}

void Daemon::reload() {
  if (config_file_.empty()) {
    spdlog::info("reload: running on the embedded default config; nothing to re-read");
    return;
  }
  auto guard = updater_.lock();  // the files are read while no update writes them
  auto loaded = config::loadFile(config_file_);
  if (!loaded) {
    for (const auto& e : loaded.error()) spdlog::error("reload: {}", e.toString());
    spdlog::error("reload rejected: {} error(s); still serving the previous config",
                  loaded.error().size());
    return;
  }
  auto built = buildSnapshot(std::make_shared<const config::Config>(std::move(loaded).value()));
  if (!built) {
    for (const auto& e : built.error()) spdlog::error("reload: {}", e);
    spdlog::error("reload rejected: {} error(s); still serving the previous config",
                  built.error().size());
    return;
  }
  const auto& fresh = *built;
  const auto& was = config_->server.listen;
  const auto& now = fresh->config->server.listen;
  const bool same_listeners = was.size() == now.size() &&
                              std::equal(was.begin(), was.end(), now.begin(),
                                         [](auto& a, auto& b) { return a.address == b.address; });
  if (!same_listeners || workerCount(*fresh->config) != nworkers_) {
    spdlog::warn("reload: listener and worker changes take effect after a restart");
  }
  if (!(fresh->config->resolver == config_->resolver) ||
      !(fresh->config->cache == config_->cache)) {
    spdlog::warn(
        "reload: resolver and cache settings take effect after a restart (the cache is "
        "kept)");
  }
  holder_.publish(fresh);
  spdlog::info("reloaded {}: {} zone(s), {} VPC(s)", config_file_, fresh->zones.size(),
               fresh->config->vpcs.size());
}

Daemon::~Daemon() {
  workers_.clear();
  for (auto& per_worker : fds_) {
    for (auto& f : per_worker) {
      if (f.udp >= 0) ::close(f.udp);
      if (f.tcp >= 0) ::close(f.tcp);
    }
  }
}

Result<bool, std::string> Daemon::bind() {
  fds_.assign(nworkers_, std::vector<ListenerFds>(config_->server.listen.size()));
  SocketOptions opts;
  opts.recv_buffer = static_cast<int>(config_->server.udp_recv_buffer);
  for (size_t l = 0; l < config_->server.listen.size(); ++l) {
    // Port 0 asks the kernel for a port: the first socket gets it, the others reuse it.
    SocketAddress addr = config_->server.listen[l].address;
    for (unsigned w = 0; w < nworkers_; ++w) {
      auto udp = openListeningSocket(SocketKind::kUdp, addr, opts);
      if (!udp) return fail(udp.error());
      fds_[w][l].udp = *udp;
      if (addr.port() == 0) addr = boundAddress(*udp);
      auto tcp = openListeningSocket(SocketKind::kTcp, addr, opts);
      if (!tcp) return fail(tcp.error());
      fds_[w][l].tcp = *tcp;
    }
    spdlog::info("listening on {} (udp+tcp, {} socket(s) each)", addr.toString(), nworkers_);
  }
  return true;
}

int Daemon::run() {
  uv_loop_t loop;
  uv_loop_init(&loop);
  signal(SIGPIPE, SIG_IGN);  // a client closing mid-write is handled by the write callback

  for (unsigned w = 0; w < nworkers_; ++w) {
    workers_.push_back(
        std::make_unique<Worker>(w, holder_, &updater_, std::move(fds_[w]), runtime_, forwarding_));
    fds_[w].clear();  // owned by the worker now
  }
  for (auto& w : workers_) w->start();
  spdlog::info("vpcdns ready: {} worker(s)", nworkers_);

  uv_signal_t sigterm, sigint, sighup, sigusr1;
  auto on_signal = [](uv_signal_t* h, int signum) noexcept {
    auto* self = static_cast<Daemon*>(h->data);
    spdlog::info("signal {}: shutting down", signum);
    for (auto& w : self->workers_) w->stop();
    uv_stop(h->loop);
  };
  for (auto [h, sig] : {std::pair{&sigterm, SIGTERM}, std::pair{&sigint, SIGINT}}) {
    uv_signal_init(&loop, h);
    h->data = this;
    uv_signal_start(h, on_signal, sig);
  }
  uv_signal_init(&loop, &sighup);
  sighup.data = this;
  uv_signal_start(
      &sighup,
      [](uv_signal_t* h, int) noexcept {
        spdlog::info("SIGHUP: reloading");
        static_cast<Daemon*>(h->data)->reload();
      },
      SIGHUP);
  uv_signal_init(&loop, &sigusr1);
  sigusr1.data = this;
  uv_signal_start(
      &sigusr1, [](uv_signal_t* h, int) noexcept { static_cast<Daemon*>(h->data)->logStats(); },
      SIGUSR1);
  uv_run(&loop, UV_RUN_DEFAULT);

  uv_close(reinterpret_cast<uv_handle_t*>(&sigusr1), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sighup), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
  while (uv_run(&loop, UV_RUN_DEFAULT) != 0) {
  }
  uv_loop_close(&loop);

  PipelineStats total;
  for (auto& w : workers_) {
    w->join();
    const auto& s = w->stats();
    total.queries += s.queries;
    total.dropped += s.dropped;
    total.formerr += s.formerr;
    total.refused += s.refused;
    total.servfail += s.servfail;
  }
  logStats();
  spdlog::info("stopped: queries={} dropped={} formerr={} refused={} servfail={}", total.queries,
               total.dropped, total.formerr, total.refused, total.servfail);
  return 0;
}

}  // namespace vpcdns::server
