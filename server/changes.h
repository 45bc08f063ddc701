// ChangeService: private zone changes as Route 53 change batches, for the admin API
//   POST /v1/zones/{zone}/changes   ChangeResourceRecordSets -> ChangeInfo (PENDING or INSYNC)
//   GET  /v1/changes/{id}           GetChange -> ChangeInfo
// (README "Change batches"; parsing in server/change_json.h, the rules in
// private_zones/change_batch.h, journals of inline zones in server/zone_journal.h).
//
// A batch applies all or nothing to the newest snapshot's zone, is made durable first (a file
// zone's file is rewritten atomically as RFC 2136 updates are; an inline zone's journal gets the
// batch appended and fsync'd), and is then published as a new snapshot. Its change is INSYNC
// once every worker serves a snapshot of that generation or newer (workers are woken on each
// publish, so this needs no traffic), PENDING until then. The last kHistory change ids are
// remembered (ids older than that, and ids from before a restart, give NoSuchChange).
//
// Thread affinity: submit() and get() from any thread (the admin server's). Batches, RFC 2136
// updates and reloads are serialised by Updater::lock(); the history has its own mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/admin.h"
#include "server/snapshot.h"
#include "server/updater.h"

namespace vpcdns::server {

class ChangeService {
 public:
  static constexpr size_t kHistory = 10000;

  // `served` returns the lowest snapshot generation the workers serve (Worker::
  // servedGeneration); 0 when no worker runs. `holder` and `updater` must outlive the service.
  ChangeService(SnapshotHolder& holder, Updater& updater, std::function<uint64_t()> served);

  // ChangeResourceRecordSets on zone `zone` (as zoneKey() names it, or its name alone when
  // unique; trailing dot optional). 200 with {"ChangeInfo":{...}}, or an error (errorBody):
  // 404 NoSuchHostedZone, 400 InvalidInput / InvalidChangeBatch, 413, 500 InternalError when the
  // change cannot be made durable (then nothing changed).
  HttpResult submit(std::string_view zone, std::string_view body);

  // GetChange: `id` as returned ("/change/C..." or "C..."). 404 NoSuchChange when unknown.
  HttpResult get(std::string_view id);

 private:
  struct Change {
    std::string submitted_at;
    std::string comment;
    uint64_t generation = 0;  // INSYNC once every worker serves this generation
  };

  void remember(const std::string& id, Change change);  // takes mu_; forgets the oldest
  std::string changeInfo(std::string_view id, const Change& c) const;

  SnapshotHolder& holder_;
  Updater& updater_;
  std::function<uint64_t()> served_;
  std::mutex mu_;  // guards the history
  std::unordered_map<std::string, Change> changes_;
  std::deque<std::string> order_;  // oldest first, at most kHistory
};

}  // namespace vpcdns::server
