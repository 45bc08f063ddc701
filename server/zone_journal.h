// Naming private zones in the admin API, and the journals that make change batches to inline
// zones (records written in the YAML) survive restarts and reloads.
//
// A zone written with `file:` keeps its changes in that file (written back as RFC 2136 updates
// are). A zone written inline has no file of its own, so each batch applied to it is appended,
// as one JSON line {"Id","SubmittedAt","ChangeBatch"}, to STATE_DIR/<zone key>.changes.jsonl
// (fsync'd before the change is published), and every config load (start-up, reload) replays
// the journal over the records of the YAML, in order. A batch that no longer applies because
// the YAML changed since is skipped with a warning naming the journal's file:line; the YAML's
// own edits and the API's changes both stay. The journal is never rewritten by vpcdns: to fold
// it into the config, copy the records into the YAML and delete the file.
//
// Thread affinity: any thread; the callers serialise writers and loads with Updater::lock().
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "private_zones/zone.h"

namespace vpcdns::server {

// The zone's name in the API (POST /v1/zones/{zone}/changes) and in its journal's file name:
// the name in lower case without the trailing dot ("corp.internal"), followed by "@" and its
// first VPC id ("corp.internal@vpc-data") when the name is declared more than once (split
// horizon). The root zone is ".".
std::string zoneKey(const config::Config& c, size_t index);
// Every zone's key, in config order, in O(zones log zones) (zoneKey alone is O(zones)).
std::vector<std::string> zoneKeys(const config::Config& c);

// The zone a key names: the exact key, or the name alone (trailing dot optional, any case) when
// only one zone has that name. nullopt: no such zone, or an ambiguous name (`ambiguous` set).
std::optional<size_t> findZone(const config::Config& c, std::string_view key,
                               bool* ambiguous = nullptr);

// STATE_DIR/<key>.changes.jsonl; empty when the config has no state_dir.
std::string journalPath(const config::Config& c, std::string_view key);

// Appends one line (a newline is added) and fsyncs; creates STATE_DIR if missing. Errors name
// the file and the system's reason.
Status<std::string> appendJournal(const std::string& path, std::string_view line);

// One applied change as recorded.
struct JournalEntry {
  std::string id;
  std::string submitted_at;
};

// Replays the journal of the inline zone whose key is `key` over `zone` (built from the YAML).
// Returns the zone with every batch that applies; logs (warn) each one that does not, naming
// file:line. Appends the ids it applied to `applied` when given. An unreadable journal (other than
// a missing one) is an error: refusing the config is better than serving the zone without its
// changes.
Result<std::shared_ptr<const private_zones::Zone>, std::string> replayJournal(
    const config::Config& c, std::string_view key, std::shared_ptr<const private_zones::Zone> zone,
    std::vector<JournalEntry>* applied = nullptr);

}  // namespace vpcdns::server
