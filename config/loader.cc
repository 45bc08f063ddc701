// Document level: reading the file, parsing YAML, turning every exception into a ConfigError.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/schema.h"

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

// yaml-cpp 0.7's LoadAll() can loop forever on some malformed input (found by fuzz_config):
// its document loop relies on the parser making progress. Count the documents with a bounded
// loop over the parser's events instead, then Load() the first.
struct DocumentCount {
  int count = 0;
  YAML::Mark second = YAML::Mark::null_mark();
};

class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) second_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  int documents() const { return documents_; }
  const YAML::Mark& second() const { return second_; }

 private:
  int documents_ = 0;
  YAML::Mark second_ = YAML::Mark::null_mark();
};

DocumentCount countDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  return {counter.documents(), counter.second()};
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
  // yaml-cpp reports through exceptions; none may escape (callers rely on a LoadResult).
  try {
    const std::string text(yaml);
    const DocumentCount docs = countDocuments(text);
    if (docs.count > 1) {
      r.error(docs.second, "", "expected a single YAML document, found a second one");
    } else if (docs.count == 1) {
      detail::readConfig(r, YAML::Load(text), config);
    }
    // No document at all (empty, or only comments) means all defaults.
  } catch (const YAML::ParserException& e) {
    r.error(e.mark, "", "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "", e.msg);
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
