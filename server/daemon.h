// Daemon: owns the workers and runs the main thread's loop, which does nothing but wait for
// signals. SIGTERM and SIGINT stop it gracefully: listeners close, replies being written finish,
// worker threads end, run() returns. SIGHUP re-reads the config file and the zone files and, if
// all of it is valid, publishes the new snapshot, which every worker serves from its next query;
// otherwise it logs every error (file:line:column) and keeps serving the old one. Listener and
// worker changes need a restart. SIGUSR1 logs the counters (one "stats:" line).
//
// Thread affinity: every method on the main thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/snapshot.h"
#include "server/updater.h"
#include "server/worker.h"

namespace vpcdns::server {

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

 private:
  void reload();
  void logStats() const;  // SIGUSR1, and at exit

  SnapshotHolder holder_;
  Updater updater_{holder_};
  std::shared_ptr<const config::Config> config_;
  std::string config_file_;
  unsigned nworkers_ = 1;
  std::vector<std::vector<ListenerFds>> fds_;  // [worker][listener]
  std::vector<std::unique_ptr<Worker>> workers_;
  std::shared_ptr<ResolverRuntime> runtime_;
  std::shared_ptr<ForwardRuntime> forwarding_;
};

// Number of worker threads for a config (workers: auto = one per core).
unsigned workerCount(const config::Config& config);

}  // namespace vpcdns::server
