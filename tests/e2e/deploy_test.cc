// Running for real (README "Deployment"): sd_notify readiness to a socket the test listens on,
// dropping root after binding port 53, and the files in deploy/ (example configs, the configs
// embedded in the Kubernetes manifests, the systemd unit).
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "dns/message.h"
#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {
namespace {

namespace fs = std::filesystem;

const fs::path kDeploy = fs::path(VPCDNS_SOURCE_DIR) / "deploy";

std::string uniqueName() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path writeTemp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("vpcdns-deploy-" + uniqueName());
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

std::vector<uint8_t> query(const std::string& name, uint16_t type) {
  dns::Message m;
  m.header.id = 4242;
  m.header.rd = true;
  m.header.qdcount = 1;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  return m.encode();
}

// The service manager's side of sd_notify: an abstract datagram socket.
class NotifySocket {
 public:
  NotifySocket() : name_("@vpcdns-e2e-notify-" + uniqueName()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + 1, name_.data() + 1, name_.size() - 1);
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }
  // Datagrams until one contains `line` (returned), or "" after `limit`. Earlier ones are kept
  // in `seen`.
  std::string waitFor(const std::string& line, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string msg(buf, static_cast<size_t>(n));
      seen.push_back(msg);
      if (("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos) return msg;
    }
    return "";
  }
  std::vector<std::string> seen;

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SdNotify, DaemonReportsReadyReloadingAndStopping) {
  NotifySocket manager;
  ASSERT_TRUE(manager.bound());
  const std::string addr = freshLoopbackAddress();
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);  // inherited by the daemon only
  DaemonProcess daemon("server:\n  listen: [{address: " + addr + ":5353}]\n  workers: 2\n", addr,
                       5353);
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(daemon.alive()) << daemon.stderrText();

  const std::string ready = manager.waitFor("READY=1", std::chrono::seconds(5));
  ASSERT_FALSE(ready.empty()) << daemon.stderrText();
  EXPECT_NE(ready.find("STATUS=serving on 1 listener(s) with 2 worker(s)"), std::string::npos)
      << ready;

  daemon.signal(SIGHUP);
  const std::string reloading = manager.waitFor("RELOADING=1", std::chrono::seconds(5));
  ASSERT_FALSE(reloading.empty()) << daemon.stderrText();
  EXPECT_NE(reloading.find("MONOTONIC_USEC="), std::string::npos) << reloading;
  const std::string reloaded = manager.waitFor("READY=1", std::chrono::seconds(5));
  EXPECT_NE(reloaded.find("STATUS=serving; reloaded"), std::string::npos) << reloaded;

  // A broken config: refused, and the manager hears the old one still serves.
  daemon.writeFile("vpcdns.yaml", "server:\n  wokrers: 2\n");
  daemon.signal(SIGHUP);
  const std::string rejected = manager.waitFor("READY=1", std::chrono::seconds(5));
  EXPECT_NE(rejected.find("STATUS=serving the previous config; reload rejected (1 error(s))"),
            std::string::npos)
      << rejected;

  daemon.signal(SIGTERM);
  EXPECT_FALSE(manager.waitFor("STOPPING=1", std::chrono::seconds(5)).empty())
      << daemon.stderrText();
}

// /proc/<pid>/status "Uid:" or "Gid:" (real, effective, saved, fs) or "CapEff:" ...
std::string procStatus(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

TEST(Privileges, BindsPort53AsRootThenRunsAsTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (binding port 53, then dropping it)";
  const std::string addr = freshLoopbackAddress();
  DaemonProcess daemon("server:\n  listen: [{address: " + addr +
                           ":53}]\n  workers: 2\n  user: nobody\n  group: nogroup\n",
                       addr, 53);
  ASSERT_TRUE(daemon.alive()) << daemon.stderrText();
  EXPECT_NE(daemon.stderrText().find("now running as user nobody"), std::string::npos)
      << daemon.stderrText();
  const std::string uid = std::to_string(::getpwnam("nobody")->pw_uid);
  const std::string gid = std::to_string(::getgrnam("nogroup")->gr_gid);
  const std::regex ws("\\s+");
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "Uid"), ws, " "),
            " " + uid + " " + uid + " " + uid + " " + uid);
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "Gid"), ws, " "),
            " " + gid + " " + gid + " " + gid + " " + gid);
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "Groups"), ws, " "), " " + gid + " ");
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "CapEff"), ws, ""), "0000000000000000");
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "CapPrm"), ws, ""), "0000000000000000");
  // Every worker thread too (glibc applies setresuid to all threads; they start after anyway).
  for (const auto& task :
       fs::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/task")) {
    std::ifstream in(task.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Uid:", 0) == 0) {
        EXPECT_EQ(std::regex_replace(line, ws, " "),
                  "Uid: " + uid + " " + uid + " " + uid + " " + uid);
      }
    }
  }
  // And it serves: localhost is answered locally (RFC 6761).
  auto reply = udpExchange(addr, 53, query("localhost.", dns::rrtype::kA));
  ASSERT_TRUE(reply.has_value());
  auto m = dns::Message::parse(*reply);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.rcode, 0);
  EXPECT_EQ(m->answer.size(), 1u);
}

// A reload re-reads the config as the dropped user; a changed user is only noted (a restart
// applies it): the process keeps its identity.
TEST(Privileges, ReloadAfterTheDropKeepsTheIdentity) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string addr = freshLoopbackAddress();
  const std::string listen = "server:\n  listen: [{address: " + addr + ":5353}]\n  workers: 1\n";
  DaemonProcess daemon(listen + "  user: nobody\n", addr, 5353);
  ASSERT_TRUE(daemon.alive()) << daemon.stderrText();
  fs::permissions(daemon.dir(), fs::perms::owner_all | fs::perms::others_read |
                                    fs::perms::others_exec | fs::perms::group_read |
                                    fs::perms::group_exec);
  daemon.writeFile("vpcdns.yaml", listen + "  user: daemon\n");
  fs::permissions(fs::path(daemon.dir()) / "vpcdns.yaml",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  daemon.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline &&
         daemon.stderrText().find("reload done") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string log = daemon.stderrText();
  EXPECT_NE(log.find("reload: server.user and server.group take effect after a restart"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("reload done"), std::string::npos) << log;
  const std::string uid = std::to_string(::getpwnam("nobody")->pw_uid);
  EXPECT_EQ(std::regex_replace(procStatus(daemon.pid(), "Uid"), std::regex("\\s+"), " "),
            " " + uid + " " + uid + " " + uid + " " + uid);
}

TEST(Privileges, UnknownUserIsAConfigErrorAtItsLine) {
  const fs::path config =
      writeTemp("vpcdns.yaml", "server:\n  workers: 1\n  user: no-such-user-vpcdns\n");
  const auto check = runCommand({daemonBinary(), "--check-config", config.string()});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE(
      check.err.find(config.string() + ":3:9: server.user: no such user 'no-such-user-vpcdns'"),
      std::string::npos)
      << check.err;
  const auto serve = runCommand({daemonBinary(), "--config", config.string()});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE(serve.err.find(config.string() + ":3:9: server.user:"), std::string::npos) << serve.err;
  fs::remove_all(config.parent_path());
}

TEST(Privileges, AnotherUserWithoutRootIsAStartUpError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start the daemon as a first user";
  const std::string addr = freshLoopbackAddress();
  const fs::path config = writeTemp(
      "vpcdns.yaml", "server:\n  listen: [{address: " + addr + ":5353}]\n  user: daemon\n");
  fs::permissions(config.parent_path(), fs::perms::all);  // readable by nobody
  fs::permissions(config, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const auto r = runCommand({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             daemonBinary(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("server.user daemon: cannot switch to uid"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  fs::remove_all(config.parent_path());
}

// ---- deploy/ ----------------------------------------------------------------------------------

void expectValidConfig(const std::string& what, const fs::path& path) {
  const auto r = runCommand({daemonBinary(), "--check-config", path.string()});
  EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.err;
}

TEST(Deploy, EveryExampleConfigPassesCheckConfig) {
  std::set<std::string> checked;
  for (const auto& entry : fs::directory_iterator(kDeploy / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    expectValidConfig(entry.path().string(), entry.path());
    checked.insert(entry.path().filename().string());
  }
  for (const auto& entry : fs::directory_iterator(kDeploy / "docker")) {
    if (entry.path().extension() == ".yaml") expectValidConfig(entry.path().string(), entry.path());
  }
  // The three uses (README "Deployment").
  for (const char* name : {"vpc-resolver.yaml", "onprem-forwarder.yaml", "sidecar.yaml"}) {
    EXPECT_TRUE(checked.count(name)) << name << " is missing from deploy/examples";
  }
}

// Kind of every document of a manifest, and the vpcdns configs its ConfigMaps carry.
struct Manifest {
  std::multiset<std::string> kinds;
  std::map<std::string, std::string> configs;  // "<configmap>/<key>" -> YAML text
  std::vector<YAML::Node> docs;
};

Manifest loadManifest(const fs::path& path) {
  Manifest m;
  for (const auto& doc : YAML::LoadAllFromFile(path.string())) {
    if (!doc.IsMap()) continue;
    m.docs.push_back(doc);
    m.kinds.insert(doc["kind"].as<std::string>());
    if (doc["kind"].as<std::string>() != "ConfigMap") continue;
    for (const auto& kv : doc["data"]) {
      const auto key = kv.first.as<std::string>();
      if (key.ends_with(".yaml")) {
        m.configs[doc["metadata"]["name"].as<std::string>() + "/" + key] =
            kv.second.as<std::string>();
      }
    }
  }
  return m;
}

// The pod spec of the Deployment or DaemonSet in `m`.
YAML::Node podSpec(const Manifest& m, const std::string& kind) {
  for (const auto& d : m.docs) {
    if (d["kind"].as<std::string>() == kind) return d["spec"]["template"]["spec"];
  }
  return {};
}

YAML::Node container(const YAML::Node& pod, const std::string& name) {
  for (const auto& c : pod["containers"]) {
    if (c["name"].as<std::string>() == name) return c;
  }
  return {};
}

// Both manifests: no privilege escalation, a read-only root, every capability dropped but
// NET_BIND_SERVICE (and, to drop root after binding, SETUID and SETGID), probes and a memory
// limit. `starts_as_root`: the node-local one starts as root and relies on server.user.
void expectHardenedVpcdnsContainer(const YAML::Node& c, bool starts_as_root) {
  ASSERT_TRUE(c.IsMap());
  const auto sc = c["securityContext"];
  EXPECT_EQ(sc["runAsNonRoot"].as<bool>(), !starts_as_root);
  if (starts_as_root) {
    EXPECT_EQ(sc["runAsUser"].as<int>(), 0);
  }
  EXPECT_EQ(sc["allowPrivilegeEscalation"].as<bool>(), false);
  EXPECT_EQ(sc["readOnlyRootFilesystem"].as<bool>(), true);
  ASSERT_EQ(sc["capabilities"]["drop"].size(), 1u);
  EXPECT_EQ(sc["capabilities"]["drop"][0].as<std::string>(), "ALL");
  std::set<std::string> added;
  for (const auto& cap : sc["capabilities"]["add"]) added.insert(cap.as<std::string>());
  const std::set<std::string> expected =
      starts_as_root ? std::set<std::string>{"NET_BIND_SERVICE", "SETGID", "SETUID"}
                     : std::set<std::string>{"NET_BIND_SERVICE"};
  EXPECT_EQ(added, expected);
  EXPECT_TRUE(c["livenessProbe"].IsMap());
  EXPECT_TRUE(c["readinessProbe"].IsMap());
  EXPECT_TRUE(c["resources"]["limits"]["memory"].IsScalar());
  EXPECT_EQ(c["args"][1].as<std::string>(), "/etc/vpcdns/vpcdns.yaml");
}

void expectConfigsValid(const Manifest& m, const std::string& file) {
  EXPECT_FALSE(m.configs.empty()) << file << ": no vpcdns config in a ConfigMap";
  for (const auto& [name, text] : m.configs) {
    const fs::path path = writeTemp("vpcdns.yaml", text);
    expectValidConfig(file + " " + name, path);
    fs::remove_all(path.parent_path());
  }
}

TEST(Deploy, SidecarManifestIsCompleteAndItsConfigIsValid) {
  const Manifest m = loadManifest(kDeploy / "kubernetes" / "sidecar.yaml");
  EXPECT_EQ(m.kinds, (std::multiset<std::string>{"ConfigMap", "Deployment"}));
  expectConfigsValid(m, "sidecar.yaml");
  const auto pod = podSpec(m, "Deployment");
  ASSERT_TRUE(pod.IsMap());
  EXPECT_EQ(pod["dnsPolicy"].as<std::string>(), "None");
  EXPECT_EQ(pod["dnsConfig"]["nameservers"][0].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(pod["containers"].size(), 2u);  // the app and vpcdns
  EXPECT_EQ(pod["securityContext"]["sysctls"][0]["name"].as<std::string>(),
            "net.ipv4.ip_unprivileged_port_start");
  EXPECT_EQ(pod["securityContext"]["sysctls"][0]["value"].as<std::string>(), "53");
  expectHardenedVpcdnsContainer(container(pod, "vpcdns"), false);
  // The example config is the ConfigMap's, word for word but for comments.
  const fs::path example = kDeploy / "examples" / "sidecar.yaml";
  auto withoutComments = [](const std::string& text) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      line = std::regex_replace(line, std::regex("\\s*#.*$"), "");
      if (line.find_first_not_of(' ') != std::string::npos) out += line + "\n";
    }
    return out;
  };
  ASSERT_EQ(m.configs.size(), 1u);
  EXPECT_EQ(withoutComments(m.configs.begin()->second), withoutComments(readText(example)));
}

TEST(Deploy, NodeLocalManifestIsCompleteAndItsConfigIsValid) {
  const Manifest m = loadManifest(kDeploy / "kubernetes" / "node-local.yaml");
  EXPECT_EQ(m.kinds, (std::multiset<std::string>{"ConfigMap", "DaemonSet", "ServiceAccount"}));
  expectConfigsValid(m, "node-local.yaml");
  const auto pod = podSpec(m, "DaemonSet");
  ASSERT_TRUE(pod.IsMap());
  EXPECT_EQ(pod["hostNetwork"].as<bool>(), true);
  EXPECT_EQ(pod["dnsPolicy"].as<std::string>(), "Default");
  EXPECT_TRUE(pod["tolerations"].IsSequence());
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "vpcdns");
  expectHardenedVpcdnsContainer(container(pod, "vpcdns"), true);
  // It listens on the link-local address the kubelet's clusterDNS names.
  for (const auto& [name, text] : m.configs) {
    EXPECT_NE(text.find("169.254.20.10:53"), std::string::npos) << name;
    EXPECT_NE(text.find("user: \"10053\""), std::string::npos) << name;  // drops root
  }
}

// The container's health check and the Kubernetes probes ask a CHAOS-class question that vpcdns
// answers itself (REFUSED), never upstream: dig exits 0 on that reply, and 9 once it is gone.
TEST(Deploy, ProbeQueryIsAnsweredLocally) {
  const std::string addr = freshLoopbackAddress();
  DaemonProcess daemon("server:\n  listen: [{address: " + addr + ":5353}]\n  workers: 1\n", addr,
                       5353);
  const std::vector<std::string> probe = {"dig", "+time=1",      "+tries=1", "+norecurse",
                                          "-p",  "5353",         "@" + addr, "-c",
                                          "CH",  "version.bind", "TXT"};
  const auto up = runCommand(probe);
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("status: REFUSED"), std::string::npos) << up.out;
  // The same arguments as the Dockerfile's HEALTHCHECK and the manifests' probes.
  const std::string dockerfile = readText(kDeploy / "docker" / "Dockerfile");
  EXPECT_NE(dockerfile.find("dig +time=1 +tries=1 +norecurse @127.0.0.1 -c CH version.bind TXT"),
            std::string::npos);
  ASSERT_EQ(daemon.terminate(), 0);
  const auto down = runCommand(probe);
  EXPECT_EQ(down.exit_code, 9) << down.out << down.err;
}

// The image's way to port 53 (deploy/docker/Dockerfile): a non-root user, and the binary's file
// capability cap_net_bind_service. Run the same way here: a copy with the capability, started as
// nobody; it must answer on port 53, and the unmodified binary must be refused the port.
TEST(Deploy, NonRootWithFileCapabilityBindsPort53) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (setcap, setpriv)";
  if (runCommand({"sh", "-c", "command -v setcap && command -v setpriv"}).exit_code != 0) {
    GTEST_SKIP() << "setcap (libcap2-bin) or setpriv (util-linux) missing";
  }
  const std::string addr = freshLoopbackAddress();
  const fs::path config =
      writeTemp("vpcdns.yaml", "server:\n  listen: [{address: " + addr + ":53}]\n  workers: 1\n");
  const fs::path dir = config.parent_path();
  const fs::path copy = dir / "vpcdns";
  fs::copy_file(daemonBinary(), copy);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(config, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const auto setcap = runCommand({"setcap", "cap_net_bind_service=+ep", copy.string()});
  if (setcap.exit_code != 0) GTEST_SKIP() << "setcap failed here: " << setcap.err;

  // Start as nobody in the background, wait (bounded) for an answer, stop it.
  auto runAsNobody = [&](const fs::path& binary) {
    const std::string script = "setpriv --reuid=nobody --regid=nogroup --clear-groups " +
                               binary.string() + " --config " + config.string() +
                               " & pid=$!; ok=1; for i in $(seq 50); do "
                               "if dig +time=1 +tries=1 @" +
                               addr +
                               " -c CH version.bind TXT >/dev/null; then ok=0; "
                               "break; fi; kill -0 $pid 2>/dev/null || break; sleep 0.1; done; "
                               "kill $pid 2>/dev/null; wait $pid; exit $ok";
    return runCommand({"sh", "-c", script}, std::chrono::seconds(30));
  };
  const auto with_cap = runAsNobody(copy);
  EXPECT_EQ(with_cap.exit_code, 0) << with_cap.out << with_cap.err;
  const auto without = runAsNobody(daemonBinary());
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("cannot listen: bind udp " + addr + ":53: Permission denied"),
            std::string::npos)
      << without.err;
  fs::remove_all(dir);
}

// The runtime stage installs every library the binary links (ldd, mapped to Debian packages
// with dpkg -S), but for those debian:12-slim already has.
TEST(Deploy, DockerRuntimeStageHasEveryLinkedLibrary) {
  const auto ldd = runCommand({"ldd", daemonBinary()});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  const std::string dockerfile = readText(kDeploy / "docker" / "Dockerfile");
  const std::string runtime = dockerfile.substr(dockerfile.find("FROM debian:12-slim"));
  const std::set<std::string> in_slim = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"};
  // A sanitizer build (scripts/test.sh --sanitize) links the sanitizers' runtimes, which the
  // image's Release build never does.
  const std::set<std::string> sanitizer_runtimes = {"libasan8", "libubsan1", "liblsan0",
                                                    "libtsan2"};
  const std::regex lib_path("=> (/\\S+)");
  int checked = 0;
  for (std::sregex_iterator it(ldd.out.begin(), ldd.out.end(), lib_path), end; it != end; ++it) {
    const std::string real = fs::canonical((*it)[1].str()).string();
    auto owner = runCommand({"dpkg", "-S", real});
    if (owner.exit_code != 0 && real.starts_with("/usr/lib/")) {  // usrmerge: dpkg knows /lib
      owner = runCommand({"dpkg", "-S", real.substr(4)});
    }
    ASSERT_EQ(owner.exit_code, 0) << "no Debian package owns " << real;
    const std::string package = owner.out.substr(0, owner.out.find_first_of(":"));
    ++checked;
    if (in_slim.count(package) || sanitizer_runtimes.count(package)) continue;
    EXPECT_NE(runtime.find(" " + package + " "), std::string::npos)
        << package << " (" << real << ") is not installed by the runtime stage";
  }
  EXPECT_GT(checked, 3);
}

// systemd-analyze verify checks the unit's syntax, every directive's value and that ExecStart
// exists and is executable; it prints warnings but still exits 0 for unknown keys, so any
// output is a failure too. ExecStart is pointed at the binary under test.
TEST(Deploy, SystemdUnitPassesSystemdAnalyzeVerify) {
  const auto which = runCommand({"sh", "-c", "command -v systemd-analyze"});
  ASSERT_EQ(which.exit_code, 0) << "systemd-analyze is missing: run scripts/deps.sh";
  const std::string unit = readText(kDeploy / "systemd" / "vpcdns.service");
  ASSERT_NE(unit.find("ExecStart=/usr/sbin/vpcdns "), std::string::npos);
  const std::string patched =
      std::regex_replace(unit, std::regex("/usr/sbin/vpcdns "), daemonBinary() + " ");
  const fs::path path = writeTemp("vpcdns.service", patched);
  const auto r =
      runCommand({"systemd-analyze", "verify", "--man=no", "--generators=no", path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "") << "systemd-analyze verify warned";
  // The hardening the README promises.
  for (const char* line :
       {"Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes",
        "ProtectSystem=strict", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes"}) {
    EXPECT_NE(unit.find(std::string("\n") + line + "\n"), std::string::npos) << line;
  }
  fs::remove_all(path.parent_path());
}

}  // namespace
}  // namespace vpcdns::test
