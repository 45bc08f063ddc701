// Snapshot: everything a query needs that comes from the configuration, built once per config
// load (start-up, SIGHUP) off the query path: the config itself, the loaded private zones, and
// one view per VPC (its policy table and local zones), plus the default view for admitted
// clients that belong to no VPC.
//
// Immutable once built; workers hold a shared_ptr to the snapshot they serve with, and a reload
// hands each worker the new one on its own thread (no lock on the query path).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/net.h"
#include "common/result.h"
#include "config/config.h"
#include "server/policy.h"

namespace vpcdns::server {

// Where a FORWARD rule sends queries: its targets (resolv.conf expanded), how to choose among
// them, and the cache context its answers live in.
struct ForwardRoute {
  std::vector<SocketAddress> targets;
  bool by_rtt = true;  // else in order (primary/backup)
  uint32_t timeout_ms = 1000;
  std::optional<IpAddress> source;
  // Cache key of the target set (never 0, the public recursive context): two rules or VPCs
  // forwarding the same name to different servers never share answers.
  uint64_t cache_context = 1;
};

struct View {
  const config::Vpc* vpc = nullptr;  // nullptr: the default view (no private zones)
  PolicyTable table;
  std::vector<std::shared_ptr<const private_zones::Zone>> local_zones;  // owned here
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<std::shared_ptr<const private_zones::Zone>> zones;  // config->zones, in order
  std::vector<View> views;           // views[i] is config->vpcs[i]; the last is the default view
  std::vector<int> listener_view;    // per listener: its bound VPC's view, or -1
  std::vector<ForwardRoute> routes;  // routes[i] for config->rules[i] (SYSTEM rules: no targets)

  // The view a client belongs to: its listener's VPC, else the VPC whose CIDRs match its source
  // most specifically, else the default view if `allow` admits it, else nullptr (REFUSED).
  const View* viewFor(const IpAddress& source, size_t listener_index) const;
  const View& defaultView() const { return views.back(); }
};

// Publishes snapshots to the workers with no lock on the query path: a worker compares the
// generation (one atomic load per query) and copies the pointer under the mutex only when it
// changed, so a published snapshot serves the next query on every worker.
// Thread-safe.
class SnapshotHolder {
 public:
  explicit SnapshotHolder(std::shared_ptr<const Snapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  // Returns the generation of `snapshot` (what workers report once they serve it).
  uint64_t publish(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard lock(mu_);
    if (snapshot_) retired_.push_back(std::move(snapshot_));
    snapshot_ = std::move(snapshot);
    const uint64_t g = generation_.fetch_add(1, std::memory_order_release) + 1;
    if (on_publish_) on_publish_();
    return g;
  }
  // Called after each publish, under the holder's lock (so once cleared it is never called
  // again): the daemon wakes idle workers with it, so that they serve the new snapshot without
  // waiting for a query. It must not block nor call back into the holder.
  void setOnPublish(std::function<void()> f) {
    std::lock_guard lock(mu_);
    on_publish_ = std::move(f);
  }
  // Frees, on the calling thread, the snapshots that publish() replaced and that no worker
  // holds any more (a worker drops its reference on its next query or wake-up). The daemon's
  // main loop calls it every second: freeing a snapshot of 10,000 zones takes a good fraction
  // of a second, which must not be spent on a worker's query path. Returns how many it freed.
  size_t collectRetired() {
    std::vector<std::shared_ptr<const Snapshot>> unused;
    size_t in_use = 0;
    {
      std::lock_guard lock(mu_);
      for (auto& s : retired_) {
        // Nobody can take a new reference to a replaced snapshot: a count of 1 (ours) is final.
        if (s.use_count() == 1) {
          unused.push_back(std::move(s));
        } else {
          retired_[in_use++] = std::move(s);
        }
      }
      retired_.resize(in_use);
    }
    return unused.size();  // `unused` is freed here, outside the lock
  }
  std::shared_ptr<const Snapshot> current() const {
    std::lock_guard lock(mu_);
    return snapshot_;
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::shared_ptr<const Snapshot>> retired_;  // replaced; freed by collectRetired()
  std::atomic<uint64_t> generation_{1};
  std::function<void()> on_publish_;
};

// Where a zone's file is: relative paths start at the config file's folder.
std::string zoneFilePath(const config::Config& c, const config::ZoneSpec& z);

// Loads zone files and builds the views. Errors are complete lines for the log, each naming
// file:line:column (a zone file's own position, or the zone's entry in the config).
Result<std::shared_ptr<const Snapshot>, std::vector<std::string>> buildSnapshot(
    std::shared_ptr<const config::Config> config);

// The same from zones already loaded (zones[i] is config->zones[i]): for a dynamic update,
// which replaces one zone and keeps the rest.
Result<std::shared_ptr<const Snapshot>, std::vector<std::string>> assembleSnapshot(
    std::shared_ptr<const config::Config> config,
    std::vector<std::shared_ptr<const private_zones::Zone>> zones);

}  // namespace vpcdns::server
