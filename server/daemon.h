// Daemon: owns the workers and runs the main thread's loop, which does nothing but wait for
// signals. SIGTERM and SIGINT stop it gracefully: listeners close, replies being written finish,
// worker threads end, run() returns. SIGHUP (and POST /v1/reload) re-reads the config file and
// the zone files and, if all of it is valid, publishes the new snapshot, which every worker
// serves from its next query (the cache is kept); otherwise it logs every error
// (file:line:column) and keeps serving the old one. Listener, worker, resolver and cache changes
// need a restart. A 1 s timer on the main loop frees replaced snapshots once no worker holds
// them (SnapshotHolder::collectRetired). SIGUSR1 logs the counters (one "stats:" line).
//
// Thread affinity: every method on the main thread, except reload() and reloadStats(), which any
// thread may call (the admin API's POST /v1/reload calls reload() from its own thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/admin.h"
#include "server/changes.h"
#include "server/query_log.h"
#include "server/snapshot.h"
#include "server/updater.h"
#include "server/worker.h"

namespace vpcdns::server {

// The result of one reload. `errors` are the messages that refused it (file:line:column first);
// `seconds` is the wall time of the whole reload (read, validate, build, publish).
struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;
  double seconds = 0;
};

// Counters of reloads since start, for /metrics (vpcdns_reloads_total{result=...}).
struct ReloadStats {
  uint64_t ok = 0;
  uint64_t error = 0;
  double last_seconds = 0;  // duration of the last reload, whatever its result; 0 before any
  bool last_ok = false;
};

class Daemon {
 public:
  // `config_file` is re-read on SIGHUP; empty for the embedded default (nothing to re-read).
  // `runtime` (may be null) is the recursion state shared by the workers (cache, server table).
  Daemon(std::shared_ptr<const Snapshot> snapshot, std::string config_file,
         std::shared_ptr<ResolverRuntime> runtime = nullptr,
         std::shared_ptr<ForwardRuntime> forwarding = nullptr);
  ~Daemon();

  // Opens every listening socket (one UDP and one TCP per listener per worker). On failure
  // returns a message naming the address; nothing is left open.
  Result<bool, std::string> bind();

  // Starts the workers and blocks until SIGTERM/SIGINT. Returns the process exit code.
  int run();

  // Re-reads the config file and every zone file, validates all of it and, if it is valid,
  // publishes the new snapshot (each worker serves it from its next query; the cache is kept).
  // Otherwise nothing changes. Any thread; concurrent calls are serialised (one runs at a time).
  // SIGHUP calls it on the main loop. Logs the outcome and its duration.
  ReloadOutcome reload();
  // Any thread.
  ReloadStats reloadStats() const;

 private:
  ReloadOutcome reloadLocked();
  // The query log (server/query_log.h): opened by bind() (an unwritable file fails the start),
  // its thread started before the workers and stopped after they have joined.
  Result<bool, std::string> openQueryLog();
  // A reload's query_log section: the VPC filter follows the snapshot by itself; account_id,
  // region, max_size and max_files are applied here; file and queue need a restart.
  void reloadQueryLog(const config::Config& fresh);
  void logStats() const;  // SIGUSR1, and at exit
  // The lowest snapshot generation the workers serve; 0 before they start. Any thread (workers_
  // is fixed between run()'s start and the end of the admin API).
  uint64_t servedGeneration() const;

  // The admin API (server/daemon_admin.cc). bindAdmin() from bind(): reads the token (file),
  // binds the listener; no-op without admin.listen. The handlers run on the admin threads and
  // read only atomics, the shared cache and registries, and workers_ (fixed while it runs).
  Result<bool, std::string> bindAdmin();
  AdminHandlers adminHandlers();
  void appendMetrics(std::string& out) const;
  HttpResult flushCache(const FlushRequest& request);
  HttpResult forwardersStatus() const;
  HttpResult reloadForApi();

  SnapshotHolder holder_;
  Updater updater_{holder_};
  // Route 53 change batches; INSYNC once every worker serves the change's snapshot.
  ChangeService changes_{holder_, updater_, [this] { return servedGeneration(); }};
  std::shared_ptr<const config::Config> config_;
  std::string config_file_;
  unsigned nworkers_ = 1;
  std::vector<std::vector<ListenerFds>> fds_;  // [worker][listener]
  std::vector<std::unique_ptr<Worker>> workers_;
  std::shared_ptr<ResolverRuntime> runtime_;
  std::shared_ptr<ForwardRuntime> forwarding_;
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_error_{0};
  std::atomic<uint64_t> last_reload_micros_{0};
  std::atomic<bool> last_reload_ok_{false};
  std::unique_ptr<AdminServer> admin_;         // null without admin.listen
  std::vector<std::string> listener_names_;    // "ADDR:PORT" as bound, by listener index
  std::unique_ptr<QueryLogWriter> query_log_;  // null without query_log at start
  std::optional<config::QueryLogSection> query_log_config_;  // in force (under reload_mutex_)
  std::atomic<bool> serving_{false};  // workers started and no stop signal yet (/healthz)
};

// Number of worker threads for a config (workers: auto = one per core).
unsigned workerCount(const config::Config& config);

}  // namespace vpcdns::server
