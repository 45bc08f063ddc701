#include "server/changes.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/random.h"
#include "private_zones/change_batch.h"
#include "private_zones/update.h"
#include "server/change_json.h"
#include "server/zone_journal.h"

namespace vpcdns::server {
namespace {

HttpResult error(ApiError e) {
  return HttpResult{e.status, errorBody(e)};
}

// "2026-12-04T12:00:00.123Z", as Route 53's SubmittedAt (ISO 8601, UTC).
std::string nowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n) + "." + std::to_string(1000 + ms.count() % 1000).substr(1) + "Z";
}

// "C" and 13 characters of [0-9A-Z], the shape of Route 53's change ids.
std::string newId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id = "C";
  for (int i = 0; i < 13; ++i) id += kAlphabet[randomBelow(36)];
  return id;
}

std::string joinKeys(const config::Config& c, const dns::Name& name) {
  std::string out;
  for (size_t i = 0; i < c.zones.size(); ++i) {
    if (!(c.zones[i].name == name)) continue;
    if (!out.empty()) out += ", ";
    out += zoneKey(c, i);
  }
  return out;
}

}  // namespace

ChangeService::ChangeService(SnapshotHolder& holder, Updater& updater,
                             std::function<uint64_t()> served)
    : holder_(holder), updater_(updater), served_(std::move(served)) {}

HttpResult ChangeService::submit(std::string_view zone_key, std::string_view body) {
  auto parsed = parseChangeBatch(body);
  if (!parsed) return error(parsed.error());

  auto guard = updater_.lock();  // with RFC 2136 updates and reloads
  const auto snapshot = holder_.current();
  const config::Config& config = *snapshot->config;
  bool ambiguous = false;
  const auto index = findZone(config, zone_key, &ambiguous);
  if (!index) {
    if (ambiguous) {
      auto name = dns::Name::fromText(zone_key);
      return error({400,
                    "InvalidInput",
                    {"Zone " + std::string(zone_key) + " is declared for several VPCs; name " +
                     "one of: " + (name ? joinKeys(config, *name) : std::string())}});
    }
    return error(
        {404, "NoSuchHostedZone", {"No hosted zone found with ID: " + std::string(zone_key)}});
  }
  const auto& spec = config.zones[*index];
  const auto& zone = *snapshot->zones[*index];
  const std::string key = zoneKey(config, *index);
  const std::string journal = spec.file.empty() ? journalPath(config, key) : std::string();
  if (spec.file.empty() && journal.empty()) {
    return error({400,
                  "InvalidInput",
                  {"Zone " + key +
                   " has its records in the config and no "
                   "state_dir is set, so a change would not survive a restart: set state_dir "
                   "(README \"Change batches\") or give the zone a file"}});
  }

  auto result = private_zones::applyChangeBatch(zone, parsed->batch);
  if (!result.errors.empty()) {
    spdlog::info("change batch for {} refused: {}", key, result.errors.front());
    return error({400, "InvalidChangeBatch", std::move(result.errors)});
  }
  Change change{nowRfc3339(), parsed->batch.comment, holder_.generation()};
  std::string id = newId();
  if (result.changed) {
    auto rebuilt = private_zones::Zone::build(spec.name, std::move(result.records));
    if (!rebuilt) {  // applyChangeBatch built it already; kept for safety
      return error({400, "InvalidChangeBatch", {rebuilt.error()}});
    }
    // Durable first: a published change is never lost by a crash or a restart.
    std::string why;
    if (!spec.file.empty()) {
      if (!writeFileAtomically(zoneFilePath(config, spec), private_zones::zoneToText(**rebuilt),
                               why)) {
        spdlog::error("change batch for {}: {}", key, why);
        return error({500, "InternalError", {"The change could not be saved: " + why}});
      }
    } else {
      nlohmann::json line = {{"Id", id}, {"SubmittedAt", change.submitted_at}};
      std::string text = line.dump();
      text.pop_back();  // '}': the batch is spliced in as written, already compact JSON
      text += ",\"ChangeBatch\":" + parsed->json + "}";
      if (auto ok = appendJournal(journal, text); !ok) {
        spdlog::error("change batch for {}: {}", key, ok.error());
        return error({500, "InternalError", {"The change could not be saved: " + ok.error()}});
      }
    }
    auto zones = snapshot->zones;
    zones[*index] = *rebuilt;
    auto next = assembleSnapshot(snapshot->config, std::move(zones));
    if (!next) {
      spdlog::error("change batch for {}: {}", key, next.error().front());
      return error({500, "InternalError", {next.error().front()}});
    }
    change.generation = holder_.publish(*next);
    const auto* soa = std::get_if<dns::RdataSoa>(&(*rebuilt)->soa().rdata);
    spdlog::info("change {} applied to zone {}: {} change(s), serial {}", id, key,
                 parsed->batch.changes.size(), soa ? soa->serial : 0);
  }
  guard.unlock();
  remember(id, change);
  return HttpResult{200, changeInfo(id, change)};
}

HttpResult ChangeService::get(std::string_view id) {
  if (id.starts_with("/change/")) id.remove_prefix(8);
  std::lock_guard lock(mu_);
  auto it = changes_.find(std::string(id));
  if (it == changes_.end()) {
    return error({404, "NoSuchChange", {"A change with the specified change ID does not exist."}});
  }
  return HttpResult{200, changeInfo(id, it->second)};
}

void ChangeService::remember(const std::string& id, Change change) {
  std::lock_guard lock(mu_);
  if (!changes_.emplace(id, std::move(change)).second) return;  // 36^13 ids: never in practice
  order_.push_back(id);
  while (order_.size() > kHistory) {
    changes_.erase(order_.front());
    order_.pop_front();
  }
}

std::string ChangeService::changeInfo(std::string_view id, const Change& c) const {
  const uint64_t served = served_ ? served_() : 0;
  nlohmann::json info = {{"Id", "/change/" + std::string(id)},
                         {"Status", served >= c.generation ? "INSYNC" : "PENDING"},
                         {"SubmittedAt", c.submitted_at}};
  if (!c.comment.empty()) info["Comment"] = c.comment;
  return nlohmann::json{{"ChangeInfo", info}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
}

}  // namespace vpcdns::server
