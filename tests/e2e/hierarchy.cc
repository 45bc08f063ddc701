#include "tests/e2e/hierarchy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace vpcdns::test {

namespace {

constexpr uint16_t kDnsPort = 53;

bool writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  return static_cast<bool>(out);
}

std::string makeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string templateDir() {
  return std::string(VPCDNS_SOURCE_DIR) + "/tests/data/hierarchy";
}

std::string commandLine(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs a checker; false with its command line and output in `error` unless it exits 0.
bool check(const std::vector<std::string>& argv, std::string* error) {
  const RunResult r = runCommand(argv, std::chrono::seconds(20));
  if (r.exit_code == 0) return true;
  *error += "$ " + commandLine(argv) + "  (exit " + std::to_string(r.exit_code) + ")\n" + r.out +
            r.err + "\n";
  return false;
}

// One simulated host served by NSD.
struct NsdHost {
  const char* name;                                        // its NS name, for messages
  const char* suffix;                                      // address = NET.suffix
  std::vector<std::pair<const char*, const char*>> zones;  // zone name, template file
};

const std::vector<NsdHost>& nsdHosts() {
  static const std::vector<NsdHost> hosts = {
      {"a.root-servers.", "0.1", {{".", "root.zone"}}},
      {"ns.nic.test.", "1.1", {{"test.", "test.zone"}}},
      {"ns.nic.other.", "1.2", {{"other.", "other.zone"}}},
      {"ns1.example.test.", "2.1", {{"example.test.", "example.test.zone"}}},
      {"ns.big.test.", "2.2", {{"big.test.", "big.test.zone"}}},
      {"ns.target.other.", "2.3", {{"target.other.", "target.other.zone"}}},
      {"ns.other.", "2.4", {{"glueless.test.", "glueless.test.zone"}}},
      // Serves no multi.test.: NSD answers REFUSED for a zone it does not have.
      {"ns2.multi.test.", "2.7", {{"refused.invalid.", "refused.invalid.zone"}}},
      {"ns3.multi.test.", "2.8", {{"multi.test.", "multi.test.zone"}}},
  };
  return hosts;
}

constexpr const char* kDeepZone = "deep.test.";
constexpr const char* kDeepSuffix = "2.5";
constexpr const char* kSilentSuffix = "2.6";

// Every address the hierarchy binds, as suffixes.
std::vector<std::string> allSuffixes() {
  std::vector<std::string> s;
  for (const auto& h : nsdHosts()) s.push_back(h.suffix);
  s.push_back(kDeepSuffix);
  s.push_back(kSilentSuffix);
  return s;
}

bool netFree(const std::string& net) {
  for (const auto& suffix : allSuffixes()) {
    if (!portFree(net + "." + suffix, kDnsPort)) return false;
  }
  return true;
}

// "127.N" from VPCDNS_HIERARCHY_NET, or the first free one of 127.53 .. 127.63.
std::optional<std::string> chooseNet(std::string* error) {
  if (const char* env = std::getenv("VPCDNS_HIERARCHY_NET"); env && *env) {
    const std::string net = env;
    int octet = -1;
    char tail = 0;
    if (std::sscanf(net.c_str(), "127.%d%c", &octet, &tail) != 1 || octet < 0 || octet > 255) {
      *error = "VPCDNS_HIERARCHY_NET must look like 127.N (0 <= N <= 255), not \"" + net + "\"";
      return std::nullopt;
    }
    if (!netFree(net)) {
      *error = "VPCDNS_HIERARCHY_NET=" + net + ": some " + net + ".x.y:53 is already in use";
      return std::nullopt;
    }
    return net;
  }
  for (int octet = 53; octet <= 63; ++octet) {
    const std::string net = "127." + std::to_string(octet);
    if (netFree(net)) return net;
  }
  *error =
      "no free network for the hierarchy among 127.53 .. 127.63 (port 53 in use); set "
      "VPCDNS_HIERARCHY_NET";
  return std::nullopt;
}

// An SOA query with no recursion answered authoritatively: the server is up with its zone.
bool answersSoa(const std::string& address, uint16_t port, const std::string& zone) {
  const DigResult r = dig(address, port, zone, "SOA", {"+norec", "+timeout=1"});
  return r.status == "NOERROR" && r.flags.count("aa") != 0 && !r.find(r.answer, "SOA").empty();
}

std::unique_ptr<FakeHierarchy>& currentSlot() {
  static std::unique_ptr<FakeHierarchy> current;
  return current;
}

bool waitExitedNoReap(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return true;  // not our child any more (already reaped)
    }
    if (info.si_pid == pid) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// True if a process other than a zombie is in process group `pgid` (zombies, such as the
// exited leader we have not reaped yet, still count for kill(-pgid, 0)).
bool groupHasLiveMembers(pid_t pgid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; })) {
      continue;
    }
    // /proc/PID/stat: "PID (COMM) STATE PPID PGRP ..."; COMM may hold spaces and parentheses.
    const std::string stat = readFile(entry.path().string() + "/stat");
    const size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(close_paren + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(fields >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace

// ---- ChildProcess ----------------------------------------------------------------------------

ChildProcess::ChildProcess(std::string name, const std::vector<std::string>& argv,
                           std::string log_path)
    : name_(std::move(name)), log_path_(std::move(log_path)) {
  // Everything the child needs is built before fork(): the test has other threads (the silent
  // server), so the child must not allocate.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);  // the test died before prctl
    const int null = open("/dev/null", O_RDONLY);
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (pid_ > 0) setpgid(pid_, pid_);  // also here, so the group exists before stop() can run
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::alive() const {
  if (pid_ <= 0) return false;
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return false;
  }
  return info.si_pid != pid_;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (!waitExitedNoReap(pid_, std::chrono::steady_clock::now() + grace)) {
    std::cerr << "[hierarchy] " << name_ << " (pid " << pid_ << ") ignored SIGTERM; SIGKILL\n";
    kill(-pid_, SIGKILL);
    waitExitedNoReap(pid_, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
  // The exited (not yet reaped) leader still holds the PID, so the group ID cannot be reused:
  // give the processes it forked (NSD starts as "nsd: xfrd", whose child "nsd: main" forks
  // "nsd: server 1") a moment to follow, then kill what is left.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (groupHasLiveMembers(pid_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (groupHasLiveMembers(pid_)) {
    std::cerr << "[hierarchy] " << name_ << " (pid " << pid_ << ") left processes; SIGKILL\n";
    kill(-pid_, SIGKILL);
  }
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string ChildProcess::logText() const {
  return readFile(log_path_);
}

// ---- SilentServer ----------------------------------------------------------------------------

SilentServer::SilentServer(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return;
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  thread_ = std::thread([this] {
    uint8_t buf[65536];
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      while (recv(fd_, buf, sizeof buf, 0) >= 0) received_.fetch_add(1);
    }
  });
}

SilentServer::~SilentServer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

// ---- FakeHierarchy ---------------------------------------------------------------------------

std::unique_ptr<FakeHierarchy> FakeHierarchy::start(std::string* error) {
  std::unique_ptr<FakeHierarchy> h(new FakeHierarchy());
  if (!h->startAll(error)) {
    h->keep_ = true;  // leave the configs and logs for the post-mortem
    if (!h->dir_.empty()) *error += "\nwork folder (kept): " + h->dir_ + "\n" + h->describe();
    return nullptr;  // ~FakeHierarchy stops whatever started
  }
  return h;
}

FakeHierarchy* FakeHierarchy::current() {
  return currentSlot().get();
}

FakeHierarchy::~FakeHierarchy() {
  stopAll();
  if (!keep_ && !dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void FakeHierarchy::stopAll() {
  // SIGTERM to all first so they shut down in parallel, then collect each (bounded).
  for (const auto& s : servers_) {
    if (s->pid() > 0) kill(s->pid(), SIGTERM);
  }
  for (auto it = servers_.rbegin(); it != servers_.rend(); ++it) (*it)->stop();
  servers_.clear();
  silent_.reset();
}

bool FakeHierarchy::startAll(std::string* error) {
  const char* keep = std::getenv("VPCDNS_HIERARCHY_KEEP");
  keep_ = keep && *keep && std::string(keep) != "0";
  const auto net = chooseNet(error);
  if (!net) return false;
  net_ = *net;
  dir_ = makeTempDir("vpcdns-hierarchy");
  if (dir_.empty()) {
    *error = "mkdtemp failed: " + std::string(std::strerror(errno));
    return false;
  }

  // Render every template with the network substituted.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(templateDir(), ec)) {
    const std::string file = entry.path().filename().string();
    if (file.ends_with(".zone") || file == "hints.root") {
      const std::string text = replaceAll(readFile(entry.path().string()), "@NET@", net_);
      if (!writeFile(dir_ + "/" + file, text)) {
        *error = "cannot write " + dir_ + "/" + file;
        return false;
      }
    }
  }
  if (ec) {
    *error = "cannot read the templates in " + templateDir() + ": " + ec.message();
    return false;
  }
  root_hints_ = readFile(rootHintsPath());
  if (root_hints_.empty()) {
    *error = "no root hints rendered from " + templateDir() + "/hints.root";
    return false;
  }

  // NSD configs, checked with nsd-checkconf and every zone with nsd-checkzone.
  bool ok = true;
  std::vector<std::pair<std::string, std::string>> nsd_configs;  // host name, config path
  for (const auto& host : nsdHosts()) {
    const std::string host_dir = dir_ + "/" + host.name + "nsd";
    std::filesystem::create_directory(host_dir, ec);
    std::string conf = "server:\n  ip-address: " + address(host.suffix) +
                       "\n"
                       "  port: 53\n"
                       "  do-ip6: no\n"
                       "  server-count: 1\n"
                       "  username: \"\"\n"
                       "  chroot: \"\"\n"
                       "  database: \"\"\n"
                       "  zonelistfile: \"" +
                       host_dir + "/zone.list\"\n  xfrdfile: \"" + host_dir +
                       "/xfrd.state\"\n  xfrdir: \"" + host_dir +
                       "\"\n"
                       "  pidfile: \"\"\n"
                       "  verbosity: 1\n"
                       "  minimal-responses: no\n"
                       "  refuse-any: no\n"
                       "  round-robin: no\n"
                       "remote-control:\n"
                       "  control-enable: no\n";
    for (const auto& [zone, file] : host.zones) {
      conf += "zone:\n  name: \"" + std::string(zone) + "\"\n  zonefile: \"" + dir_ + "/" + file +
              "\"\n";
      ok = check({"nsd-checkzone", zone, dir_ + "/" + file}, error) && ok;
    }
    const std::string conf_path = host_dir + "/nsd.conf";
    writeFile(conf_path, conf);
    ok = check({"nsd-checkconf", conf_path}, error) && ok;
    nsd_configs.emplace_back(host.name, conf_path);
  }

  // deep.test. on Unbound: an auth-zone for downstream clients, with every query logged.
  // Unbound answers test. itself as a default local zone (RFC 6761) before consulting
  // auth-zones, hence the nodefault.
  const std::string deep_dir = dir_ + "/ns.deep.test.unbound";
  std::filesystem::create_directory(deep_dir, ec);
  const std::string deep_conf = deep_dir + "/unbound.conf";
  writeFile(deep_conf, "server:\n  interface: " + deepAddress() +
                           "\n"
                           "  port: 53\n"
                           "  do-ip6: no\n"
                           "  access-control: 127.0.0.0/8 allow\n"
                           "  use-syslog: no\n"
                           "  logfile: \"" +
                           deepLogPath() +
                           "\"\n"
                           "  log-queries: yes\n"
                           "  verbosity: 1\n"
                           "  chroot: \"\"\n"
                           "  username: \"\"\n"
                           "  pidfile: \"\"\n"
                           "  directory: \"" +
                           deep_dir +
                           "\"\n"
                           "  module-config: \"iterator\"\n"
                           "  root-hints: \"" +
                           rootHintsPath() +
                           "\"\n"
                           "  num-threads: 1\n"
                           "  local-zone: \"test.\" nodefault\n"
                           "remote-control:\n"
                           "  control-enable: no\n"
                           "auth-zone:\n"
                           "  name: \"deep.test.\"\n"
                           "  zonefile: \"" +
                           dir_ + "/deep.test.zone\"\n" +
                           "  for-downstream: yes\n"
                           "  for-upstream: no\n"
                           "  fallback-enabled: no\n");
  ok = check({"unbound-checkconf", deep_conf}, error) && ok;
  ok = check({"nsd-checkzone", kDeepZone, dir_ + "/deep.test.zone"}, error) && ok;
  if (!ok) return false;

  // Start everything, then wait for each server to answer its zone's SOA.
  silent_ = std::make_unique<SilentServer>(silentAddress(), kDnsPort);
  if (!silent_->ok()) {
    *error = "cannot bind the silent server on " + silentAddress() + ":53: " + std::strerror(errno);
    return false;
  }
  for (const auto& [name, conf_path] : nsd_configs) {
    const std::string host_dir = std::filesystem::path(conf_path).parent_path().string();
    servers_.push_back(std::make_unique<ChildProcess>(
        name, std::vector<std::string>{"nsd", "-d", "-c", conf_path}, host_dir + "/nsd.log"));
  }
  servers_.push_back(std::make_unique<ChildProcess>(
      "ns.deep.test.", std::vector<std::string>{"unbound", "-d", "-c", deep_conf},
      deep_dir + "/stderr.log"));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto waitFor = [&](const ChildProcess& server, const std::string& address,
                     const std::string& zone) {
    while (true) {
      if (answersSoa(address, kDnsPort, zone)) return true;
      if (!server.alive()) {
        *error += server.name() + " (" + address + ") exited:\n" + server.logText() + "\n";
        return false;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        *error += server.name() + " (" + address + ") does not answer SOA " + zone +
                  " (dig +norec @" + address + " " + zone + " SOA):\n" + server.logText() + "\n";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  for (size_t i = 0; i < nsdHosts().size(); ++i) {
    const auto& host = nsdHosts()[i];
    if (!waitFor(*servers_[i], address(host.suffix), host.zones.front().first)) return false;
  }
  if (!waitFor(*servers_.back(), deepAddress(), kDeepZone)) return false;

  // The deep server's log must really record what its auth-zone answers.
  const std::string probe = "probe.deep.test.";
  const size_t offset = deepLogText().size();
  dig(deepAddress(), kDnsPort, probe, "A", {"+norec"});
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    const auto names = deepLoggedNames(offset);
    logged = std::find(names.begin(), names.end(), probe) != names.end();
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!logged) {
    *error = "Unbound on " + deepAddress() + " did not log the query for " + probe + "; log:\n" +
             deepLogText();
    return false;
  }
  return true;
}

std::string FakeHierarchy::deepLogPath() const {
  return dir_ + "/ns.deep.test.unbound/queries.log";
}

std::string FakeHierarchy::deepLogText() const {
  return readFile(deepLogPath());
}

std::vector<std::string> FakeHierarchy::deepLoggedNames(size_t offset) const {
  // Unbound's log-queries lines: "[TIME] unbound[PID:THREAD] info: SOURCE NAME TYPE CLASS".
  const std::string text = deepLogText();
  std::vector<std::string> names;
  if (offset >= text.size()) return names;
  std::istringstream in(text.substr(offset));
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find(" info: ");
    if (at == std::string::npos) continue;
    std::istringstream fields(line.substr(at + 7));
    std::string source, name, type, cls, extra;
    if (!(fields >> source >> name >> type >> cls) || (fields >> extra)) continue;
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, source.c_str(), &v4) != 1 &&
        inet_pton(AF_INET6, source.c_str(), &v6) != 1) {
      continue;
    }
    names.push_back(lower(name));
  }
  return names;
}

std::string FakeHierarchy::describe() const {
  std::string s;
  for (const auto& server : servers_) {
    s += "  " + server->name() + " pid " + std::to_string(server->pid()) +
         (server->alive() ? "" : " (exited)") + ", log " + server->logPath() + "\n";
  }
  if (silent_) s += "  ns1.multi.test. (silent socket) " + silentAddress() + "\n";
  return s;
}

// ---- HierarchyEnvironment --------------------------------------------------------------------

void HierarchyEnvironment::SetUp() {
  std::string error;
  currentSlot() = FakeHierarchy::start(&error);
  if (!currentSlot()) FAIL() << "the fake DNS hierarchy did not start:\n" << error;
  const FakeHierarchy& h = *currentSlot();
  std::cout << "[hierarchy] " << h.net() << ".0.0/16, folder " << h.dir() << "\n"
            << h.describe() << std::flush;
}

void HierarchyEnvironment::TearDown() {
  currentSlot().reset();
}

// ---- UnboundResolver -------------------------------------------------------------------------

UnboundResolver::UnboundResolver(const FakeHierarchy& hierarchy, const std::string& address,
                                 uint16_t port, std::string* error) {
  dir_ = makeTempDir("vpcdns-unbound");
  const std::string conf = dir_ + "/unbound.conf";
  writeFile(conf, "server:\n  interface: " + address + "\n  port: " + std::to_string(port) +
                      "\n"
                      "  do-ip6: no\n"
                      "  access-control: 127.0.0.0/8 allow\n"
                      "  use-syslog: no\n"
                      "  logfile: \"" +
                      dir_ +
                      "/unbound.log\"\n"
                      "  verbosity: 1\n"
                      "  chroot: \"\"\n"
                      "  username: \"\"\n"
                      "  pidfile: \"\"\n"
                      "  directory: \"" +
                      dir_ +
                      "\"\n"
                      "  module-config: \"iterator\"\n"
                      "  root-hints: \"" +
                      hierarchy.rootHintsPath() +
                      "\"\n"
                      "  do-not-query-localhost: no\n"
                      "  qname-minimisation: yes\n"
                      "  num-threads: 1\n"
                      "  local-zone: \"test.\" nodefault\n"
                      "remote-control:\n"
                      "  control-enable: no\n");
  if (!check({"unbound-checkconf", conf}, error)) return;
  process_ = std::make_unique<ChildProcess>("unbound resolver",
                                            std::vector<std::string>{"unbound", "-d", "-c", conf},
                                            dir_ + "/stderr.log");
  // "localhost." is one of Unbound's built-in local zones: answered without going upstream.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    const DigResult r = dig(address, port, "localhost.", "A", {"+timeout=1"});
    if (r.status == "NOERROR") return;
    if (!process_->alive() || std::chrono::steady_clock::now() >= deadline) {
      *error = "Unbound did not start on " + address + ":" + std::to_string(port) + ":\n" +
               process_->logText() + readFile(dir_ + "/unbound.log");
      process_.reset();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

UnboundResolver::~UnboundResolver() {
  process_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

// ---- dig -------------------------------------------------------------------------------------

std::vector<DigRecord> DigResult::find(const std::vector<DigRecord>& section,
                                       const std::string& type, const std::string& name) const {
  std::vector<DigRecord> out;
  for (const auto& r : section) {
    if (r.type == type && (name.empty() || r.name == lower(name))) out.push_back(r);
  }
  return out;
}

DigResult dig(const std::string& server, uint16_t port, const std::string& name,
              const std::string& type, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"dig",      "@" + server, "-p", std::to_string(port),
                                   "+tries=1", "+timeout=5"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(name);
  argv.push_back(type);
  const RunResult run = runCommand(argv, std::chrono::seconds(30));

  DigResult r;
  r.exit_code = run.exit_code;
  r.command = commandLine(argv);
  r.output = run.out + run.err;
  r.retried_over_tcp = r.output.find("Truncated, retrying in TCP mode") != std::string::npos;

  std::vector<DigRecord>* section = nullptr;
  std::istringstream in(run.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(";; ->>HEADER<<-")) {
      const size_t at = line.find("status: ");
      if (at != std::string::npos) {
        const size_t end = line.find(',', at);
        r.status = line.substr(at + 8, end == std::string::npos ? end : end - at - 8);
      }
    } else if (line.starts_with(";; flags:")) {
      std::istringstream flags(line.substr(9, line.find(';', 9) - 9));
      std::string f;
      while (flags >> f) r.flags.insert(f);
    } else if (line == ";; ANSWER SECTION:") {
      section = &r.answer;
    } else if (line == ";; AUTHORITY SECTION:") {
      section = &r.authority;
    } else if (line == ";; ADDITIONAL SECTION:") {
      section = &r.additional;
    } else if (line.empty() || line.starts_with(";")) {
      if (line.empty()) section = nullptr;
    } else if (section) {
      std::istringstream fields(line);
      DigRecord rec;
      std::string ttl, cls;
      if (!(fields >> rec.name >> ttl >> cls >> rec.type)) continue;
      rec.name = lower(rec.name);
      rec.ttl = static_cast<uint32_t>(std::strtoul(ttl.c_str(), nullptr, 10));
      std::getline(fields, rec.data);
      const size_t start = rec.data.find_first_not_of(" \t");
      rec.data = start == std::string::npos ? std::string() : rec.data.substr(start);
      section->push_back(std::move(rec));
    }
  }
  return r;
}

// ---- stats -----------------------------------------------------------------------------------

const std::vector<std::string>& statsKeys() {
  static const std::vector<std::string> keys = {
      "queries",           "cache_hits",       "upstream_queries", "upstream_tcp",
      "upstream_timeouts", "upstream_ignored", "resolutions",      "servfail",
      "cache_bytes",       "cache_entries",    "cache_evictions"};
  return keys;
}

std::optional<Stats> parseStatsLine(const std::string& line) {
  const size_t at = line.find("stats: ");
  if (at == std::string::npos) return std::nullopt;
  Stats stats;
  std::istringstream in(line.substr(at + 7));
  std::string token;
  while (in >> token) {
    const size_t eq = token.find('=');
    if (eq == std::string::npos || eq + 1 == token.size()) return std::nullopt;
    const std::string value = token.substr(eq + 1);
    if (!std::all_of(value.begin(), value.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return std::nullopt;
    }
    stats[token.substr(0, eq)] = std::strtoull(value.c_str(), nullptr, 10);
  }
  for (const auto& key : statsKeys()) {
    if (!stats.count(key)) return std::nullopt;
  }
  return stats;
}

namespace {

// Complete (newline-terminated) lines of `text` holding "stats: ".
std::vector<std::string> statsLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    std::string line = text.substr(start, nl - start);
    if (line.find("stats: ") != std::string::npos) lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

// True if /proc/PID/status shows a handler for `signum` (SigCgt).
bool catchesSignal(pid_t pid, int signum) {
  std::istringstream in(readFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("SigCgt:")) {
      const uint64_t mask = std::strtoull(line.c_str() + 7, nullptr, 16);
      return (mask >> (signum - 1)) & 1;
    }
  }
  return false;
}

}  // namespace

std::optional<Stats> daemonStats(const DaemonProcess& daemon, std::string* error,
                                 std::chrono::milliseconds limit) {
  if (!daemon.alive()) {
    *error = "the daemon is not running:\n" + daemon.stderrText();
    return std::nullopt;
  }
  if (!catchesSignal(daemon.pid(), SIGUSR1)) {
    *error =
        "the daemon does not catch SIGUSR1 (no stats yet); not signalling it, since the "
        "default action would kill it";
    return std::nullopt;
  }
  const size_t before = statsLines(daemon.stderrText()).size();
  daemon.signal(SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto lines = statsLines(daemon.stderrText());
    if (lines.size() > before) {
      auto stats = parseStatsLine(lines[before]);
      if (!stats) *error = "unparsable stats line: " + lines[before];
      return stats;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *error = "no new stats line within " + std::to_string(limit.count()) + " ms of SIGUSR1:\n" +
           daemon.stderrText();
  return std::nullopt;
}

}  // namespace vpcdns::test
