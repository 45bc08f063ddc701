// Document level: reading the file, parsing YAML (config/yaml_tree.h), reporting every problem as
// a ConfigError.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/config.h"
#include "config/schema.h"
#include "config/yaml_tree.h"

namespace vpcdns::config {
namespace {

// A config (even with inline zones) is far smaller; this stops `--check-config /dev/zero`.
constexpr size_t kMaxFileSize = 64u << 20;

// Returns an error text, or nullopt with the file's content in `out`.
std::optional<std::string> readWholeFile(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  std::optional<std::string> error;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileSize) {
      error = "larger than " + std::to_string(kMaxFileSize >> 20) + " MiB";
      break;
    }
  }
  ::close(fd);
  return error;
}

// Checks that run after a map or list is read (missing keys, several documents) would otherwise
// be reported after errors further down the file.
std::vector<ConfigError> inDocumentOrder(std::vector<ConfigError> errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return errors;
}

}  // namespace

std::string ConfigError::toString() const {
  // Plain appends: g++ 12 -O3 reports a false -Wrestrict on `":" + std::to_string(...)`.
  std::string out = file;
  if (line > 0) {
    out.append(":").append(std::to_string(line));
    out.append(":").append(std::to_string(column));
  }
  out.append(": ");
  if (!path.empty()) out.append(path).append(": ");
  return out.append(message);
}

LoadResult loadString(std::string_view yaml, const std::string& name) {
  detail::Reader r(name);
  Config config = detail::defaultConfig(name);
  // No exception may escape (callers rely on a LoadResult); only bad_alloc can occur.
  try {
    // One pass of yaml-cpp's event parser over the text builds the tree and notices a second
    // document (which is refused: only its start is parsed, so input after it cannot hang the
    // loader).
    detail::YamlDocument doc;
    if (auto error = detail::YamlDocument::parse(yaml, doc)) {
      r.error(error->mark, "", std::move(error->message));
    } else if (doc.root().IsDefined()) {
      detail::readConfig(r, doc.root(), config);
    }
    // No document at all (empty, or only comments) means all defaults.
  } catch (const std::exception& e) {
    r.error(YAML::Mark::null_mark(), "", std::string("internal error: ") + e.what());
  }
  if (!r.ok()) return fail(inDocumentOrder(r.takeErrors()));
  return config;
}

LoadResult loadFile(const std::string& path) {
  std::string text;
  try {
    if (auto error = readWholeFile(path, text)) {
      return fail(std::vector<ConfigError>{{path, 0, 0, "", "cannot read file: " + *error}});
    }
  } catch (const std::exception& e) {  // bad_alloc
    return fail(
        std::vector<ConfigError>{{path, 0, 0, "", std::string("cannot read file: ") + e.what()}});
  }
  auto loaded = loadString(text, path);
  if (loaded) {
    const auto slash = path.find_last_of('/');
    loaded->base_dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  }
  return loaded;
}

}  // namespace vpcdns::config
