#include "server/zone_journal.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "private_zones/change_batch.h"
#include "server/change_json.h"

namespace vpcdns::server {
namespace {

std::string nameKey(const dns::Name& name) {
  std::string text = name.lowercased().toText();
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

bool declaredTwice(const config::Config& c, const dns::Name& name) {
  size_t n = 0;
  for (const auto& z : c.zones) n += z.name == name ? 1u : 0u;
  return n > 1;
}

std::string stateDir(const config::Config& c) {
  if (c.state_dir.empty() || c.state_dir.starts_with("/") || c.base_dir.empty()) {
    return c.state_dir;
  }
  return c.base_dir + "/" + c.state_dir;
}

// A file name from a key: letters, digits and ".-_@" as they are, other octets as %XX.
std::string fileName(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : key) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) != 0 || ch == '.' || ch == '-' || ch == '_' || ch == '@') {
      out += ch;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  if (out == "." || out == "..") out = "%2E" + out.substr(1);  // never a directory name
  return out;
}

std::string systemError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string zoneKey(const config::Config& c, size_t index) {
  const auto& z = c.zones[index];
  std::string key = nameKey(z.name);
  if (declaredTwice(c, z.name)) key += "@" + (z.vpcs.empty() ? std::string() : z.vpcs.front());
  return key;
}

std::vector<std::string> zoneKeys(const config::Config& c) {
  std::vector<std::string> keys;
  keys.reserve(c.zones.size());
  std::map<std::string, size_t> count;
  for (const auto& z : c.zones) keys.push_back(nameKey(z.name));
  for (const auto& k : keys) ++count[k];
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& vpcs = c.zones[i].vpcs;
    if (count[keys[i]] > 1) keys[i] += "@" + (vpcs.empty() ? std::string() : vpcs.front());
  }
  return keys;
}

std::optional<size_t> findZone(const config::Config& c, std::string_view key, bool* ambiguous) {
  if (ambiguous != nullptr) *ambiguous = false;
  const auto keys = zoneKeys(c);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return i;
  }
  auto name = dns::Name::fromText(key);
  if (!name) return std::nullopt;
  std::optional<size_t> found;
  for (size_t i = 0; i < c.zones.size(); ++i) {
    if (!(c.zones[i].name == *name)) continue;
    if (found) {
      if (ambiguous != nullptr) *ambiguous = true;
      return std::nullopt;
    }
    found = i;
  }
  return found;
}

std::string journalPath(const config::Config& c, std::string_view key) {
  const std::string dir = stateDir(c);
  if (dir.empty()) return {};
  return dir + "/" + fileName(key) + ".changes.jsonl";
}

Status<std::string> appendJournal(const std::string& path, std::string_view line) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return fail(systemError("mkdir", dir));
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return fail(systemError("open", path));
  std::string text(line);
  text += '\n';
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = systemError("write", path);
      ::close(fd);
      return fail(std::move(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = systemError("fsync", path);
    ::close(fd);
    return fail(std::move(e));
  }
  if (::close(fd) != 0) return fail(systemError("close", path));
  return {};
}

Result<std::shared_ptr<const private_zones::Zone>, std::string> replayJournal(
    const config::Config& c, std::string_view key, std::shared_ptr<const private_zones::Zone> zone,
    std::vector<JournalEntry>* applied) {
  const std::string path = journalPath(c, key);
  if (path.empty()) return zone;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return zone;  // no change was ever made to this zone
    return fail(systemError("cannot read journal", path));
  }
  std::ifstream in(path);
  if (!in) return fail(systemError("cannot read journal", path));
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    const auto batch = doc.is_object() ? doc.find("ChangeBatch") : doc.end();
    if (doc.is_discarded() || !doc.is_object() || batch == doc.end()) {
      // A crash in the middle of an append leaves a torn last line: that batch was never
      // acknowledged.
      spdlog::warn("{}not a journal entry; skipped", where);
      continue;
    }
    const auto id_it = doc.find("Id");
    const std::string id =
        id_it != doc.end() && id_it->is_string() ? id_it->get<std::string>() : "";
    auto parsed = parseChangeBatch(batch->dump());
    if (!parsed) {
      spdlog::warn("{}change {} skipped: {}", where, id, parsed.error().messages.front());
      continue;
    }
    auto result = private_zones::applyChangeBatch(*zone, parsed->batch);
    if (!result.errors.empty()) {
      spdlog::warn("{}change {} no longer applies to zone {} and is skipped: {}", where, id,
                   zone->origin().toText(), result.errors.front());
      continue;
    }
    if (result.changed) {
      auto rebuilt = private_zones::Zone::build(zone->origin(), std::move(result.records));
      if (!rebuilt) {
        spdlog::warn("{}change {} skipped: {}", where, id, rebuilt.error());
        continue;
      }
      zone = *rebuilt;
    }
    if (applied != nullptr) {
      const auto at = doc.find("SubmittedAt");
      applied->push_back({id, at != doc.end() && at->is_string() ? at->get<std::string>() : ""});
    }
  }
  return zone;
}

}  // namespace vpcdns::server
