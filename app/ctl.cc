// `vpcdns ctl [--server HOST:PORT] [--token T | --token-file F] COMMAND ...` over the admin API
// (server/admin.h). One request per command (change-status --wait polls), printed for people;
// `stats` prints the Prometheus text as is, for scripts.
#include "app/ctl.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/net.h"

namespace vpcdns::app {
namespace {

constexpr int kOk = 0;
constexpr int kRefused = 1;
constexpr int kUsageError = 2;
constexpr uint16_t kDefaultAdminPort = 8053;

constexpr const char* kCtlUsage =
    "usage: vpcdns ctl [--server HOST:PORT] [--token TOKEN | --token-file FILE] COMMAND\n"
    "commands:\n"
    "  status                          health and a few counters\n"
    "  stats                           every metric (Prometheus text format)\n"
    "  reload                          re-read the config and zone files\n"
    "  flush [NAME] [--subtree]        empty the cache, or drop NAME (and below it)\n"
    "  forwarders                      forwarding targets and their health\n"
    "  change ZONE FILE.json           apply a Route 53 change batch to a private zone\n"
    "  change-status ID [--wait SECS]  PENDING or INSYNC (--wait: until INSYNC)\n"
    "--server defaults to 127.0.0.1:8053; the token may also come from $VPCDNS_ADMIN_TOKEN.\n"
    "Exit status: 0 done, 1 refused by the server, 2 usage or connection error.\n";

int usage(const char* problem) {
  std::fprintf(stderr, "vpcdns ctl: %s\n%s", problem, kCtlUsage);
  return kUsageError;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The message in an error body: ours ({"error": ...}), Route 53's ({"Error":{"Message"}}), the
// reload's ({"errors": [...]}), or the body itself.
std::string messageOf(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
    if (j.contains("Error") && j["Error"].is_object()) {
      const auto& e = j["Error"];
      std::string out = e.value("Code", "");
      if (e.contains("Message")) out += (out.empty() ? "" : ": ") + e.value("Message", "");
      if (j.contains("Messages") && j["Messages"].is_array() && j["Messages"].size() > 1) {
        for (const auto& m : j["Messages"])
          out += "\n  " + (m.is_string() ? m.get<std::string>() : m.dump());
      }
      return out;
    }
    if (j.contains("errors") && j["errors"].is_array()) {
      std::string out;
      for (const auto& e : j["errors"]) {
        out += (out.empty() ? "" : "\n") + (e.is_string() ? e.get<std::string>() : e.dump());
      }
      return out;
    }
  }
  return body;
}

// `text` percent-encoded for one URL path segment (RFC 3986 §2.3: unreserved characters kept).
std::string pathSegment(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class Ctl {
 public:
  Ctl(const SocketAddress& server, std::string token)
      : client_(server.ip().toString(), server.port()), server_(server.toString()) {
    client_.set_connection_timeout(3, 0);
    client_.set_read_timeout(120, 0);  // a reload of a very large config may take a while
    client_.set_write_timeout(10, 0);
    if (!token.empty()) client_.set_bearer_token_auth(token.c_str());
  }

  // The response, or nullopt after printing why there is none (exit 2).
  std::optional<httplib::Response> get(const std::string& path) {
    return check(client_.Get(path.c_str()));
  }
  std::optional<httplib::Response> post(const std::string& path, const std::string& body) {
    return check(client_.Post(path.c_str(), body, "application/json"));
  }

 private:
  std::optional<httplib::Response> check(httplib::Result r) {
    if (!r) {
      std::fprintf(stderr, "vpcdns ctl: cannot reach the admin API at %s: %s\n", server_.c_str(),
                   httplib::to_string(r.error()).c_str());
      return std::nullopt;
    }
    return *r;
  }

  httplib::Client client_;
  std::string server_;
};

// Exit code for a response: 0 for 2xx; otherwise prints the server's message, 1.
int refusedUnless2xx(const httplib::Response& res) {
  if (res.status >= 200 && res.status < 300) return kOk;
  std::fprintf(stderr, "vpcdns ctl: the server said %d: %s\n", res.status,
               messageOf(res.body).c_str());
  return kRefused;
}

// Sum of every sample of metric `name` (any labels) in a Prometheus text body.
double metricSum(const std::string& text, std::string_view name) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || !line.starts_with(name)) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    const size_t space = line.rfind(' ');
    sum += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

// Number of samples of metric `name`.
size_t metricCount(const std::string& text, std::string_view name) {
  size_t n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    if (line[name.size()] == ' ' || line[name.size()] == '{') ++n;
  }
  return n;
}

int status(Ctl& ctl) {
  auto health = ctl.get("/healthz");
  if (!health) return kUsageError;
  if (health->status == 503) {
    std::printf("not healthy: %s", health->body.c_str());
    return kRefused;
  }
  if (int rc = refusedUnless2xx(*health); rc != kOk) return rc;
  auto metrics = ctl.get("/metrics");
  if (!metrics) return kUsageError;
  if (int rc = refusedUnless2xx(*metrics); rc != kOk) return rc;
  const std::string& m = metrics->body;
  const double hits = metricSum(m, "vpcdns_cache_hits_total");
  const double misses = metricSum(m, "vpcdns_cache_misses_total");
  std::printf("healthy: %.0f worker(s)\n", metricSum(m, "vpcdns_workers"));
  std::printf("queries: %.0f answered\n", metricSum(m, "vpcdns_queries_total"));
  std::printf("cache: %.0f entries, %.0f bytes, hit rate %.1f%%\n",
              metricSum(m, "vpcdns_cache_entries"), metricSum(m, "vpcdns_cache_bytes"),
              hits + misses > 0 ? 100.0 * hits / (hits + misses) : 0.0);
  std::printf("resolutions in flight: %.0f\n", metricSum(m, "vpcdns_resolutions_in_flight"));
  std::printf("forwarding targets: %.0f up of %zu\n", metricSum(m, "vpcdns_forward_target_up"),
              metricCount(m, "vpcdns_forward_target_up"));
  std::printf("reloads: %.0f ok, %.0f failed\n",
              metricSum(m, "vpcdns_reloads_total{result=\"ok\"}"),
              metricSum(m, "vpcdns_reloads_total{result=\"error\"}"));
  return kOk;
}

int reload(Ctl& ctl) {
  auto res = ctl.post("/v1/reload", "{}");
  if (!res) return kUsageError;
  if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  std::printf("reloaded in %.4f s\n", j.is_object() ? j.value("seconds", 0.0) : 0.0);
  return kOk;
}

int flush(Ctl& ctl, const std::vector<std::string_view>& args) {
  nlohmann::json body = nlohmann::json::object();
  for (std::string_view a : args) {
    if (a == "--subtree") {
      body["subtree"] = true;
    } else if (!a.starts_with("-") && !body.contains("name")) {
      body["name"] = std::string(a);
    } else {
      return usage("flush takes [NAME] [--subtree]");
    }
  }
  if (body.contains("subtree") && !body.contains("name")) return usage("--subtree needs a NAME");
  auto res = ctl.post("/v1/cache/flush", body.dump());
  if (!res) return kUsageError;
  if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  std::printf("removed %llu cache entries\n",
              static_cast<unsigned long long>(j.is_object() ? j.value("removed", uint64_t{0}) : 0));
  return kOk;
}

int forwarders(Ctl& ctl) {
  auto res = ctl.get("/v1/forwarders");
  if (!res) return kUsageError;
  if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("rules")) {
    std::fputs(res->body.c_str(), stdout);
    return kOk;
  }
  std::printf("%-32s %-24s %-5s %8s %10s\n", "RULE", "TARGET", "STATE", "FAILURES", "SRTT_MS");
  for (const auto& rule : j["rules"]) {
    for (const auto& t : rule.value("targets", nlohmann::json::array())) {
      std::printf("%-32s %-24s %-5s %8llu %10.1f\n", rule.value("domain", "").c_str(),
                  t.value("address", "").c_str(), t.value("up", true) ? "up" : "down",
                  static_cast<unsigned long long>(t.value("consecutive_failures", uint64_t{0})),
                  t.value("srtt_ms", 0.0));
    }
  }
  return kOk;
}

int change(Ctl& ctl, const std::vector<std::string_view>& args) {
  if (args.size() != 2) return usage("change takes ZONE FILE.json");
  auto body = readFile(std::string(args[1]));
  if (!body) {
    std::fprintf(stderr, "vpcdns ctl: cannot read %s\n", std::string(args[1]).c_str());
    return kUsageError;
  }
  auto res = ctl.post("/v1/zones/" + pathSegment(std::string(args[0])) + "/changes", *body);
  if (!res) return kUsageError;
  if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_object() && j.contains("ChangeInfo")) {
    const auto& info = j["ChangeInfo"];
    std::printf("%s %s\n", info.value("Id", "").c_str(), info.value("Status", "").c_str());
  } else {
    std::fputs(res->body.c_str(), stdout);
  }
  return kOk;
}

int changeStatus(Ctl& ctl, const std::vector<std::string_view>& args) {
  if (args.empty()) return usage("change-status takes ID [--wait SECONDS]");
  std::string id(args[0]);
  if (id.starts_with("/change/")) id = id.substr(8);
  double wait = 0;
  if (args.size() == 3 && args[1] == "--wait") {
    char* end = nullptr;
    const std::string text(args[2]);
    wait = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || wait < 0 || wait > 3600) {
      return usage("--wait takes seconds (0..3600)");
    }
  } else if (args.size() != 1) {
    return usage("change-status takes ID [--wait SECONDS]");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait);
  for (;;) {
    auto res = ctl.get("/v1/changes/" + pathSegment(id));
    if (!res) return kUsageError;
    if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    std::string status = "?";
    if (j.is_object() && j.contains("ChangeInfo")) status = j["ChangeInfo"].value("Status", "?");
    if (status == "INSYNC" || std::chrono::steady_clock::now() >= deadline) {
      std::printf("%s\n", status.c_str());
      // Still PENDING when --wait ran out: the server has not done it (yet).
      return status == "INSYNC" || wait == 0 ? kOk : kRefused;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int dispatch(Ctl& ctl, std::string_view command, const std::vector<std::string_view>& args);

}  // namespace

int runCtl(int argc, char** argv) {
  std::string server = "127.0.0.1:8053";
  std::string token;
  if (const char* env = std::getenv("VPCDNS_ADMIN_TOKEN")) token = env;
  int i = 0;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kCtlUsage, stdout);
      return kOk;
    }
    if (!arg.starts_with("--")) break;
    if (i + 1 >= argc) return usage("an option needs a value");
    const std::string value = argv[++i];
    if (arg == "--server") {
      server = value;
    } else if (arg == "--token") {
      token = value;
    } else if (arg == "--token-file") {
      auto text = readFile(value);
      if (!text) {
        std::fprintf(stderr, "vpcdns ctl: cannot read %s\n", value.c_str());
        return kUsageError;
      }
      token = *text;
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
        token.pop_back();
      }
    } else {
      return usage("unknown option");
    }
  }
  if (i >= argc) return usage("no command");
  auto address = SocketAddress::parse(server, kDefaultAdminPort);
  if (!address) return usage("--server takes IP:PORT (e.g. 127.0.0.1:8053)");
  const std::string_view command = argv[i];
  std::vector<std::string_view> args(argv + i + 1, argv + argc);

  Ctl ctl(*address, token);
  try {
    return dispatch(ctl, command, args);
  } catch (const std::exception& e) {  // a reply of unexpected shape (nlohmann::json throws)
    std::fprintf(stderr, "vpcdns ctl: unexpected reply from %s: %s\n", server.c_str(), e.what());
    return kUsageError;
  }
}

namespace {

int dispatch(Ctl& ctl, std::string_view command, const std::vector<std::string_view>& args) {
  if (command == "status" && args.empty()) return status(ctl);
  if (command == "stats" && args.empty()) {
    auto res = ctl.get("/metrics");
    if (!res) return kUsageError;
    if (int rc = refusedUnless2xx(*res); rc != kOk) return rc;
    std::fputs(res->body.c_str(), stdout);
    return kOk;
  }
  if (command == "reload" && args.empty()) return reload(ctl);
  if (command == "flush") return flush(ctl, args);
  if (command == "forwarders" && args.empty()) return forwarders(ctl);
  if (command == "change") return change(ctl, args);
  if (command == "change-status") return changeStatus(ctl, args);
  return usage("unknown command or wrong arguments");
}

}  // namespace
}  // namespace vpcdns::app
