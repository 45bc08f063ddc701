#include "server/daemon.h"

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "common/sd_notify.h"
#include "server/socket.h"

namespace vpcdns::server {

namespace {

// Tells the service manager (systemd Type=notify, sd_notify(3)) what we are doing; nothing
// happens without $NOTIFY_SOCKET. Any thread.
void notifyManager(const std::string& state) {
  if (auto r = sdNotify(state); !r) spdlog::warn("sd_notify: {}", r.error());
}

// CPU time of the calling thread: what a reload costs, whatever else the machine runs.
double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

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

ReloadOutcome Daemon::reload() {
  std::lock_guard lock(reload_mutex_);
  notifyManager("RELOADING=1\nSTATUS=reloading\n" + sdMonotonicUsec());
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = threadCpuSeconds();
  ReloadOutcome out = reloadLocked();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = threadCpuSeconds() - cpu_start;
  last_reload_micros_.store(static_cast<uint64_t>(out.seconds * 1e6), std::memory_order_relaxed);
  last_reload_ok_.store(out.ok, std::memory_order_relaxed);
  (out.ok ? reloads_ok_ : reloads_error_).fetch_add(1, std::memory_order_relaxed);
  if (out.ok) {
    spdlog::info("reload done in {:.3f} s (cpu {:.3f} s)", out.seconds, cpu);
  } else {
    for (const auto& e : out.errors) spdlog::error("reload: {}", e);
    spdlog::error(
        "reload rejected in {:.3f} s (cpu {:.3f} s): {} error(s); still serving the previous "
        "config",
        out.seconds, cpu, out.errors.size());
  }
  notifyManager(out.ok ? "READY=1\nSTATUS=serving; reloaded"
                       : "READY=1\nSTATUS=serving the previous config; reload rejected (" +
                             std::to_string(out.errors.size()) + " error(s))");
  return out;
}

ReloadStats Daemon::reloadStats() const {
  ReloadStats s;
  s.ok = reloads_ok_.load(std::memory_order_relaxed);
  s.error = reloads_error_.load(std::memory_order_relaxed);
  s.last_seconds = static_cast<double>(last_reload_micros_.load(std::memory_order_relaxed)) / 1e6;
  s.last_ok = last_reload_ok_.load(std::memory_order_relaxed);
  return s;
}

ReloadOutcome Daemon::reloadLocked() {
  ReloadOutcome out;
  if (config_file_.empty()) {
    out.errors.push_back("running on the embedded default config: there is no file to re-read");
    return out;
  }
  auto guard = updater_.lock();  // the files are read while no update writes them
  auto loaded = config::loadFile(config_file_);
  if (!loaded) {
    for (const auto& e : loaded.error()) out.errors.push_back(e.toString());
    return out;
  }
  auto built = buildSnapshot(std::make_shared<const config::Config>(std::move(loaded).value()));
  if (!built) {
    out.errors = built.error();
    return out;
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
  if (fresh->config->server.uid != config_->server.uid ||
      fresh->config->server.gid != config_->server.gid ||
      fresh->config->server.user.empty() != config_->server.user.empty()) {
    spdlog::warn("reload: server.user and server.group take effect after a restart");
  }
  if (!(fresh->config->admin == config_->admin)) {
    spdlog::warn("reload: admin settings (listen, token) take effect after a restart");
  }
  if (!(fresh->config->resolver == config_->resolver) ||
      !(fresh->config->cache == config_->cache)) {
    spdlog::warn(
        "reload: resolver and cache settings take effect after a restart (the cache is "
        "kept)");
  }
  const auto& fw_was = config_->forwarding;
  const auto& fw_now = fresh->config->forwarding;
  if (fw_was.failure_threshold != fw_now.failure_threshold ||
      fw_was.probe_interval_ms != fw_now.probe_interval_ms || fw_was.cache != fw_now.cache) {
    spdlog::warn(
        "reload: forwarding.failure_threshold, probe_interval_ms and cache take effect after a "
        "restart (rules, targets, selection, timeout_ms and source change now)");
  }
  reloadQueryLog(*fresh->config);
  holder_.publish(fresh);
  spdlog::info("reloaded {}: {} zone(s), {} rule(s), {} VPC(s)", config_file_, fresh->zones.size(),
               fresh->config->rules.size(), fresh->config->vpcs.size());
  out.ok = true;
  return out;
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
    listener_names_.push_back(addr.toString());
  }
  if (auto opened = openQueryLog(); !opened) return opened;
  return bindAdmin();
}

Result<bool, std::string> Daemon::openQueryLog() {
  query_log_config_ = config_->query_log;
  if (!config_->query_log) return true;
  query_log_ =
      std::make_unique<QueryLogWriter>(*config_->query_log, config_->base_dir, listener_names_);
  auto opened = query_log_->open();
  if (opened) spdlog::info("query log: {}", query_log_->path());
  return opened;
}

void Daemon::reloadQueryLog(const config::Config& fresh) {
  if (query_log_) query_log_->reopenLater();  // logrotate's "create" mode moves the file away
  const auto& now = fresh.query_log;
  if (now == query_log_config_) return;
  if (now && !query_log_) {
    spdlog::warn("reload: the query log starts after a restart (it was off at start)");
  } else if (!now && query_log_) {
    spdlog::info("reload: query_log removed: no query is logged until it returns");
  } else if (now && query_log_) {
    if (now->file != config_->query_log->file || now->queue != config_->query_log->queue) {
      spdlog::warn(
          "reload: query_log.file and query_log.queue take effect after a restart; "
          "still writing {}",
          query_log_->path());
    }
    query_log_->apply(*now);
    spdlog::info("reload: query log settings applied ({} VPC(s) logged)",
                 now->vpcs ? std::to_string(now->vpcs->size()) : std::string("all"));
  }
  query_log_config_ = now;
}

uint64_t Daemon::servedGeneration() const {
  uint64_t lowest = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    const uint64_t g = workers_[i]->servedGeneration();
    if (i == 0 || g < lowest) lowest = g;
  }
  return lowest;
}

int Daemon::run() {
  uv_loop_t loop;
  uv_loop_init(&loop);
  signal(SIGPIPE, SIG_IGN);  // a client closing mid-write is handled by the write callback

  for (unsigned w = 0; w < nworkers_; ++w) {
    QueryLogRing* ring = query_log_ ? query_log_->addRing() : nullptr;
    workers_.push_back(std::make_unique<Worker>(w, holder_, &updater_, std::move(fds_[w]), runtime_,
                                                forwarding_, ring));
    fds_[w].clear();  // owned by the worker now
  }
  if (query_log_) query_log_->start();
  for (auto& w : workers_) w->start();
  // Each publish (reload, RFC 2136 update, change batch) wakes the workers, so that an idle one
  // serves the new snapshot at once and a change batch reaches INSYNC without traffic.
  holder_.setOnPublish([this] {
    for (auto& w : workers_) w->wake();
  });
  serving_.store(true, std::memory_order_relaxed);
  if (admin_) admin_->start();  // after workers_ is complete: the handlers read it
  spdlog::info("vpcdns ready: {} worker(s)", nworkers_);
  notifyManager("READY=1\nSTATUS=serving on " + std::to_string(config_->server.listen.size()) +
                " listener(s) with " + std::to_string(nworkers_) + " worker(s)");

  uv_signal_t sigterm, sigint, sighup, sigusr1;
  auto on_signal = [](uv_signal_t* h, int signum) noexcept {
    auto* self = static_cast<Daemon*>(h->data);
    spdlog::info("signal {}: shutting down", signum);
    notifyManager("STOPPING=1\nSTATUS=shutting down");
    self->serving_.store(false, std::memory_order_relaxed);
    self->holder_.setOnPublish(nullptr);  // no wake-up may reach a stopping worker
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
  // Replaced snapshots are freed here, on the main thread, once no worker uses them.
  uv_timer_t retire;
  uv_timer_init(&loop, &retire);
  retire.data = this;
  uv_timer_start(
      &retire,
      [](uv_timer_t* t) noexcept {
        // glibc keeps freed memory for reuse; a freed snapshot is worth handing back.
        if (const size_t freed = static_cast<Daemon*>(t->data)->holder_.collectRetired()) {
          malloc_trim(0);
          spdlog::debug("freed {} replaced snapshot(s)", freed);
        }
      },
      1000, 1000);
  uv_signal_init(&loop, &sigusr1);
  sigusr1.data = this;
  uv_signal_start(
      &sigusr1, [](uv_signal_t* h, int) noexcept { static_cast<Daemon*>(h->data)->logStats(); },
      SIGUSR1);
  uv_run(&loop, UV_RUN_DEFAULT);

  uv_close(reinterpret_cast<uv_handle_t*>(&retire), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigusr1), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sighup), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
  while (uv_run(&loop, UV_RUN_DEFAULT) != 0) {
  }
  uv_loop_close(&loop);
  if (admin_) admin_->stop();  // before the workers go: its handlers read them

  PipelineStats total;
  for (auto& w : workers_) {
    w->join();
    const auto& s = w->stats();
    total.queries.add(s.queries.get());
    total.dropped.add(s.dropped.get());
    total.formerr.add(s.formerr.get());
    total.refused.add(s.refused.get());
    total.servfail.add(s.servfail.get());
  }
  logStats();
  if (query_log_) {
    query_log_->stop();  // the workers have joined: their rings are drained one last time
    uint64_t dropped = 0;
    for (const auto& w : workers_) dropped += w->queryStats().logDropped();
    spdlog::info("query log: {} line(s) written, {} dropped (queue full)", query_log_->written(),
                 dropped);
  }
  spdlog::info("stopped: queries={} dropped={} formerr={} refused={} servfail={}",
               total.queries.get(), total.dropped.get(), total.formerr.get(), total.refused.get(),
               total.servfail.get());
  return 0;
}

}  // namespace vpcdns::server
