// Updater: dynamic updates (RFC 2136) of private zones, authenticated with TSIG (RFC 8945).
//
// A zone accepts updates when its config has `update: {keys, allow}`: the request must come from
// `allow`, be signed with one of `keys`, and name (in its zone section) a private zone that the
// client's VPC sees. Prerequisites and updates are applied all or nothing
// (private_zones::applyUpdate); a change bumps the SOA serial, is written back to the zone's
// file (write to a temporary file, fsync, rename), and is published as a new snapshot, which the
// next query on every worker serves. A rejected update changes nothing.
//
// Thread affinity: handle() runs on any worker thread; updates (and reloads, through lock())
// are serialised by one mutex. Updates are rare administrative events, not the query path.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>

#include "server/pipeline.h"
#include "server/snapshot.h"

namespace vpcdns::server {

// Writes `text` to a temporary file next to `path`, fsyncs it and renames it over `path`, so a
// crash leaves the old or the new content, never half of it. Also used for change batches
// (server/changes.h). On failure `error` names the file and the reason.
bool writeFileAtomically(const std::string& path, const std::string& text, std::string& error);

class Updater {
 public:
  explicit Updater(SnapshotHolder& holder) : holder_(holder) {}

  // Answers an UPDATE message; returns the reply size in `out` (0: nothing to send).
  size_t handle(std::span<const uint8_t> packet, const ClientInfo& client, std::span<uint8_t> out);

  // Held by the daemon while it reloads, so a reload and an update never interleave.
  std::unique_lock<std::mutex> lock() { return std::unique_lock(mu_); }

 private:
  SnapshotHolder& holder_;
  std::mutex mu_;
};

}  // namespace vpcdns::server
