// Conditional forwarding end to end: the real daemon forwarding to real on-premises stand-ins
// (dnsmasq and Unbound, each on its own 127.x address, port 53, with its query log) and to
// scripted fakes (FakeAuthServer: silent or answering, counting queries and logging the peer
// address), with a fake root (FakeZoneSet for ".") behind the daemon's resolver for SYSTEM rules
// and names no rule covers.
//
// Every test starts its own upstreams on fresh addresses and its own daemon on a fresh
// 127.64/10 address, port 5353; the daemon's config is validated with `vpcdns --check-config`
// first. Assertions use dig against the daemon (`dig @ADDR -p 5353 +tries=1 +timeout=5 [-b SRC]`)
// and what each upstream saw (query logs and counts), never wall-clock time. "Did not see"
// checks first pass a barrier: a query sent straight to the server, which is logged after
// everything it received before (dnsmasq and Unbound run single-threaded).
//
// Data: dnsmasq answers 10.44.x.x, Unbound 10.55.x.x, fakes 10.66.x.x, the public DNS (the fake
// root) 192.0.2.x, so an answer tells which server it came from.
//
// The ForwardHarness suite checks the stand-ins themselves (dig straight at them) and the
// contract's config keys, without forwarding.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dns/message.h"
#include "dns/types.h"
#include "tests/e2e/daemon_process.h"
#include "tests/e2e/fake_auth.h"

namespace vpcdns::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kPort = 5353;                // the daemon's listener
constexpr uint16_t kDnsPort = 53;               // every upstream
const char* const kAppClient = "127.201.0.5";   // in VPC app (127.201.0.0/16)
const char* const kDataClient = "127.202.0.5";  // in VPC data (127.202.0.0/16)
const char* const kNoVpcClient = "127.0.0.1";   // allowed, in no VPC

const char* const kVpcs =
    "vpcs:\n"
    "  - {id: app, cidrs: [127.201.0.0/16]}\n"
    "  - {id: data, cidrs: [127.202.0.0/16]}\n";

// ---- Small utilities -----------------------------------------------------------------------

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lowercase with the final dot, as names are compared here.
std::string canonical(std::string name) {
  name = lower(std::move(name));
  if (name.empty() || name.back() != '.') name += '.';
  return name;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string tail(const std::string& text, size_t n = 4096) {
  return text.substr(text.size() > n ? text.size() - n : 0);
}

template <typename Pred>
bool waitUntil(Pred pred, std::chrono::milliseconds limit, std::chrono::milliseconds step = 20ms) {
  const auto deadline = Clock::now() + limit;
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

// A temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/vpcdns-fwd-XXXXXX";
    if (char* dir = mkdtemp(tmpl.data())) path_ = dir;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<uint8_t> makeQuery(const std::string& name, uint16_t type) {
  dns::Message m;
  m.header.id = 0x5151;
  m.header.rd = true;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  m.edns = dns::Edns{};
  return m.encode();
}

// ---- Child processes (dnsmasq, Unbound) ----------------------------------------------------

// A server as a child process in its own process group, stdout and stderr to `log_path`,
// SIGTERM if this test process dies first. Stopped by PID (and its own group, for dnsmasq's TCP
// children) in the destructor, even when the test failed.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& argv, const std::string& log_path) {
    // Everything the child needs is prepared before fork (other threads may hold malloc's lock).
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (log_fd >= 0) {
        dup2(log_fd, 1);
        dup2(log_fd, 2);
      }
      execvp(args[0], args.data());
      _exit(127);
    }
    if (pid_ > 0) setpgid(pid_, pid_);  // also done by the child; whichever runs first
    if (log_fd >= 0) close(log_fd);
  }
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool alive() {
    if (pid_ <= 0 || exited_) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

  void stop() {
    if (pid_ <= 0) return;
    if (!exited_) {
      kill(pid_, SIGTERM);
      exited_ = waitUntil([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, 5s, 10ms);
      if (!exited_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    // Children left in the group this process led (dnsmasq forks one per TCP connection).
    if (kill(-pid_, 0) == 0) kill(-pid_, SIGKILL);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

// ---- Real on-premises stand-ins ------------------------------------------------------------

struct LoggedQuery {
  std::string name;    // canonical()
  std::string type;    // "A", "TXT", ...
  std::string source;  // the peer address the server logged
};

// dnsmasq or Unbound on a fresh 127.16/11 address (freshFakeAddress(), never reused in this
// process), port 53, logging every query it receives with its source address.
class RealServer {
 public:
  enum class Kind { kDnsmasq, kUnbound };

  // dnsmasq with only its own data (no upstream, no /etc/hosts, no config file) plus `options`
  // (--host-record=..., --txt-record=..., --local=/.../, --address=/.../...). Local data has a TTL
  // of 300 s (dnsmasq's default is 0, which nothing would cache).
  static std::unique_ptr<RealServer> dnsmasq(std::vector<std::string> options, std::string* error) {
    return start(Kind::kDnsmasq, std::move(options), error);
  }
  // Unbound answering only from local data: `lines` go under `server:` (local-zone: ...,
  // local-data: ...); everything else is REFUSED (local-zone "." refuse), so it never recurses.
  static std::unique_ptr<RealServer> unbound(std::vector<std::string> lines, std::string* error) {
    return start(Kind::kUnbound, std::move(lines), error);
  }

  ~RealServer() {
    process_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  const char* kindName() const { return kind_ == Kind::kDnsmasq ? "dnsmasq" : "unbound"; }
  const std::string& address() const { return address_; }
  std::string logText() const { return readFile(log_path_); }
  std::string stderrText() const { return readFile(dir_ + "/stderr.log"); }

  // Every query in the log so far, in order.
  std::vector<LoggedQuery> queries() const {
    std::vector<LoggedQuery> out;
    std::istringstream in(logText());
    std::string line;
    while (std::getline(in, line)) {
      LoggedQuery q;
      if (kind_ == Kind::kDnsmasq) {
        // "Dec  3 20:18:13 dnsmasq[10032]: query[A] app.corp.example from 127.0.0.1"
        const size_t at = line.find(": query[");
        if (at == std::string::npos) continue;
        const size_t close = line.find(']', at);
        if (close == std::string::npos) continue;
        q.type = line.substr(at + 8, close - at - 8);
        std::istringstream fields(line.substr(close + 1));
        std::string from;
        if (!(fields >> q.name >> from >> q.source) || from != "from") continue;
      } else {
        // "[1796329247] unbound[12045:0] info: 127.0.0.1 app.corp.example. A IN"
        const size_t at = line.find(" info: ");
        if (at == std::string::npos) continue;
        std::istringstream fields(line.substr(at + 7));
        std::string cls, extra;
        if (!(fields >> q.source >> q.name >> q.type >> cls) || (fields >> extra)) continue;
        in_addr v4{};
        if (inet_pton(AF_INET, q.source.c_str(), &v4) != 1) continue;
      }
      q.name = canonical(q.name);
      out.push_back(std::move(q));
    }
    return out;
  }

  // Queries for exactly `name` (and `type`, when given).
  size_t count(const std::string& name, const std::string& type = "") const {
    const std::string want = canonical(name);
    size_t n = 0;
    for (const auto& q : queries()) {
      if (q.name == want && (type.empty() || q.type == type)) ++n;
    }
    return n;
  }

  // Names logged at or below `suffix`.
  std::vector<std::string> namesUnder(const std::string& suffix) const {
    const std::string s = canonical(suffix);
    std::vector<std::string> out;
    for (const auto& q : queries()) {
      if (q.name == s || endsWith(q.name, "." + s)) out.push_back(q.name);
    }
    return out;
  }

  // A barrier: asks the server directly for a name of its own and waits (bounded) until the log
  // shows it; every query the server received before is logged by then.
  bool sync() {
    const std::string name = "sync-" + std::to_string(++sync_seq_) + ".barrier.invalid.";
    if (!udpExchange(address_, kDnsPort, makeQuery(name, dns::rrtype::kA), "", 2s)) return false;
    return waitUntil([&] { return count(name) > 0; }, 5s);
  }

  // Waits (bounded) until `name` (and `type`) has been logged at least `n` times.
  bool waitFor(const std::string& name, const std::string& type = "", size_t n = 1) const {
    return waitUntil([&] { return count(name, type) >= n; }, 5s);
  }

  std::string describe() const {
    return std::string(kindName()) + " on " + address_ + ":53, query log:\n" + tail(logText()) +
           (stderrText().empty() ? "" : "stderr:\n" + tail(stderrText()));
  }

 private:
  RealServer() = default;

  static std::unique_ptr<RealServer> start(Kind kind, std::vector<std::string> options,
                                           std::string* error) {
    // A few addresses are tried in case something else serves port 53 on one of them.
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::unique_ptr<RealServer> s(new RealServer());
      s->kind_ = kind;
      s->address_ = freshFakeAddress();
      if (!portFree(s->address_, kDnsPort)) continue;
      char tmpl[] = "/tmp/vpcdns-onprem-XXXXXX";
      if (!mkdtemp(tmpl)) {
        *error = "mkdtemp failed";
        return nullptr;
      }
      s->dir_ = tmpl;
      s->log_path_ = s->dir_ + "/queries.log";
      std::vector<std::string> argv;
      if (kind == Kind::kDnsmasq) {
        argv = {"dnsmasq",
                "-k",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=" + s->address_,
                "--port=53",
                "--user=root",
                "--pid-file=",
                "--local-ttl=300",
                "--log-queries",
                "--log-facility=" + s->log_path_};
        argv.insert(argv.end(), options.begin(), options.end());
      } else {
        std::string conf = "server:\n  interface: " + s->address_ +
                           "\n"
                           "  port: 53\n"
                           "  do-ip6: no\n"
                           "  interface-automatic: no\n"
                           "  access-control: 127.0.0.0/8 allow\n"
                           "  use-syslog: no\n"
                           "  logfile: \"" +
                           s->log_path_ +
                           "\"\n"
                           "  log-queries: yes\n"
                           "  verbosity: 1\n"
                           "  chroot: \"\"\n"
                           "  username: \"\"\n"
                           "  pidfile: \"\"\n"
                           "  directory: \"" +
                           s->dir_ +
                           "\"\n"
                           "  module-config: \"iterator\"\n"
                           "  num-threads: 1\n"
                           "  local-zone: \".\" refuse\n";
        for (const auto& line : options) conf += "  " + line + "\n";
        conf += "remote-control:\n  control-enable: no\n";
        const std::string conf_path = s->dir_ + "/unbound.conf";
        writeFile(conf_path, conf);
        const RunResult check = runCommand({"unbound-checkconf", conf_path}, 20s);
        if (check.exit_code != 0) {
          *error = "unbound-checkconf rejected:\n" + conf + check.out + check.err;
          return nullptr;
        }
        argv = {"unbound", "-d", "-c", conf_path};
      }
      std::string line;
      for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
      writeFile(s->dir_ + "/command", line + "\n");
      s->process_ = std::make_unique<ServerProcess>(argv, s->dir_ + "/stderr.log");
      const bool ready = waitUntil(
          [&] {
            return !s->process_->alive() ||
                   udpExchange(s->address_, kDnsPort,
                               makeQuery("ready.probe.invalid.", dns::rrtype::kA), "", 100ms);
          },
          15s, 10ms);
      if (ready && s->process_->alive()) return s;
      *error = std::string(s->kindName()) + " did not start on " + s->address_ + ":53\n$ " + line +
               "\n" + s->stderrText() + s->logText();
    }
    if (error->empty()) *error = "no free address for the server";
    return nullptr;
  }

  Kind kind_ = Kind::kDnsmasq;
  std::string address_;
  std::string dir_;
  std::string log_path_;
  std::unique_ptr<ServerProcess> process_;
  int sync_seq_ = 0;
};

// ---- dig -----------------------------------------------------------------------------------

struct DigRecord {
  std::string name;  // canonical()
  uint32_t ttl = 0;
  std::string type;
  std::string data;
};

struct DigResult {
  int exit_code = -1;
  std::string status;  // "" when no reply came
  std::set<std::string> flags;
  std::vector<DigRecord> answer, authority;
  bool retried_over_tcp = false;
  std::string command;
  std::string output;

  std::vector<std::string> data(const std::string& type) const {
    std::vector<std::string> out;
    for (const auto& r : answer) {
      if (r.type == type) out.push_back(r.data);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  bool hasSoa() const {
    return std::any_of(authority.begin(), authority.end(),
                       [](const DigRecord& r) { return r.type == "SOA"; });
  }
  std::string describe() const { return "$ " + command + "\n" + output; }
};

DigResult dig(const std::string& server, uint16_t port, const std::string& name,
              const std::string& type, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"dig",      "@" + server, "-p", std::to_string(port),
                                   "+tries=1", "+timeout=5"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(name);
  argv.push_back(type);
  const RunResult run = runCommand(argv, 30s);
  DigResult r;
  r.exit_code = run.exit_code;
  for (const auto& a : argv) r.command += (r.command.empty() ? "" : " ") + a;
  r.output = run.out + run.err;
  r.retried_over_tcp = r.output.find("Truncated, retrying in TCP mode") != std::string::npos;
  std::vector<DigRecord>* section = nullptr;
  std::istringstream in(run.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(";; ->>HEADER<<-")) {
      // With a TCP retry dig prints two replies; the last one counts.
      r.answer.clear();
      r.authority.clear();
      const size_t at = line.find("status: ");
      if (at != std::string::npos) {
        const size_t end = line.find(',', at);
        r.status = line.substr(at + 8, end == std::string::npos ? end : end - at - 8);
      }
    } else if (line.starts_with(";; flags:")) {
      r.flags.clear();
      std::istringstream flags(line.substr(9, line.find(';', 9) - 9));
      std::string f;
      while (flags >> f) r.flags.insert(f);
    } else if (line == ";; ANSWER SECTION:") {
      section = &r.answer;
    } else if (line == ";; AUTHORITY SECTION:") {
      section = &r.authority;
    } else if (line.empty() || line.starts_with(";")) {
      if (line.empty() || line.starts_with(";; ADDITIONAL")) section = nullptr;
    } else if (section) {
      std::istringstream fields(line);
      DigRecord rec;
      std::string ttl, cls;
      if (!(fields >> rec.name >> ttl >> cls >> rec.type)) continue;
      rec.name = canonical(rec.name);
      rec.ttl = static_cast<uint32_t>(std::strtoul(ttl.c_str(), nullptr, 10));
      std::getline(fields, rec.data);
      const size_t start = rec.data.find_first_not_of(" \t");
      rec.data = start == std::string::npos ? std::string() : rec.data.substr(start);
      section->push_back(std::move(rec));
    }
  }
  return r;
}

// ---- Fakes ---------------------------------------------------------------------------------

// Answers every A question with `ip` (TTL 300, AA) and anything else (the `. NS` probe
// included) with REFUSED: an answer of any kind.
FakeHandler answerA(const std::string& ip) {
  const dns::Record proto = rr("answer.invalid. 300 A " + ip);
  return [proto](const dns::Message& q, bool tcp, const SocketAddress&) {
    if (q.questions[0].type != dns::rrtype::kA) {
      return FakeActions::reply(encodeFor(rcodeReply(q, dns::rcode::kRefused), q, tcp));
    }
    dns::Record r = proto;
    r.name = q.questions[0].name;
    return FakeActions::reply(encodeFor(answerReply(q, {r}), q, tcp));
  };
}

bool isProbe(const FakeQueryRecord& q) {
  if (q.type != dns::rrtype::kNS) return false;
  auto name = dns::Name::fromText(q.name);
  return name.ok() && name->labelCount() == 0;
}

// The queries a fake received other than health probes (`. NS`) and unparsable ones.
std::vector<FakeQueryRecord> clientQueries(const FakeAuthServer& fake) {
  std::vector<FakeQueryRecord> out;
  for (auto& q : fake.queries()) {
    if (!q.name.empty() && !isProbe(q)) out.push_back(q);
  }
  return out;
}

size_t probeCount(const FakeAuthServer& fake) {
  return fake.countFor(".", dns::rrtype::kNS);
}

// 250-octet TXT strings: six of them make an RRset of about 1.6 KB, over the 1232-octet UDP size.
std::string bigTxtString(int k) {
  return std::to_string(k) + std::string(249, 'x');
}
constexpr int kBigTxtCount = 6;

std::vector<std::string> expectedBigTxt() {
  std::vector<std::string> out;
  for (int k = 1; k <= kBigTxtCount; ++k) out.push_back("\"" + bigTxtString(k) + "\"");
  std::sort(out.begin(), out.end());
  return out;
}

// Unbound data for corp.example: an SOA (so NXDOMAIN and NODATA carry it), 10.55.x.x.
std::vector<std::string> unboundCorp() {
  return {"local-zone: \"corp.example.\" static",
          "local-data: \"corp.example. 3600 IN SOA ns.corp.example. hostmaster.corp.example. 1 "
          "3600 600 86400 60\"",
          "local-data: \"app.corp.example. 300 IN A 10.55.0.2\"",
          "local-data: \"build.dev.corp.example. 300 IN A 10.55.0.7\""};
}

// ---- The fixture ---------------------------------------------------------------------------

// The daemon's config: one listener, one worker, loopback clients, `body` (vpcs, forwarding,
// rules), and a resolver whose root is the test's fake root.
std::string daemonConfig(const std::string& addr, const std::string& body) {
  return "server:\n"
         "  listen: [{address: \"" +
         addr + ":" + std::to_string(kPort) +
         "\"}]\n"
         "  workers: 1\n"
         "  allow: [127.0.0.0/8]\n" +
         body +
         "resolver:\n"
         "  root_hints: hints.root\n"
         "  dont_query: []\n"
         "  ipv6: false\n";
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = newFake();
    ASSERT_TRUE(root_->ok());
    // The public DNS, as the daemon's resolver sees it: one authoritative root holding a few
    // names directly (192.0.2.x), including a public app.corp.example.
    root_zone_.zone(".")
        .add(". 3600000 NS ns.root.")
        .add("ns.root. 3600000 A " + root_->address())
        .add("www.public.corp.example. 300 A 192.0.2.80")
        .add("app.corp.example. 300 A 192.0.2.44")
        .add("www.elsewhere.test. 300 A 192.0.2.10");
  }

  void TearDown() override {
    if (!HasFailure()) return;
    if (daemon_) {
      std::printf("---- daemon %s (pid %d, %s) stderr, last 4 KiB ----\n%s\n", addr_.c_str(),
                  static_cast<int>(daemon_->pid()), daemon_->alive() ? "alive" : "EXITED",
                  tail(daemon_->stderrText()).c_str());
      std::printf("---- config ----\n%s\n", config_.c_str());
    }
    for (const auto& s : real_) std::printf("---- %s\n", s->describe().c_str());
    for (const auto& f : fakes_) {
      std::printf("---- fake %s: %zu queries\n", f->address().c_str(),
                  static_cast<size_t>(f->queryCount()));
    }
  }

  FakeAuthServer* newFake(FakeHandler handler = nullptr) {
    fakes_.push_back(std::make_unique<FakeAuthServer>(std::move(handler)));
    EXPECT_TRUE(fakes_.back()->ok()) << fakes_.back()->error();
    return fakes_.back().get();
  }

  RealServer* newDnsmasq(std::vector<std::string> options) {
    std::string error;
    auto s = RealServer::dnsmasq(std::move(options), &error);
    if (!s) {
      ADD_FAILURE() << error;
      return nullptr;
    }
    real_.push_back(std::move(s));
    return real_.back().get();
  }

  RealServer* newUnbound(std::vector<std::string> lines) {
    std::string error;
    auto s = RealServer::unbound(std::move(lines), &error);
    if (!s) {
      ADD_FAILURE() << error;
      return nullptr;
    }
    real_.push_back(std::move(s));
    return real_.back().get();
  }

  std::string rootHints() const {
    return ". 3600000 NS ns.root.\nns.root. 3600000 A " + root_->address() + "\n";
  }

  // Checks the config with `vpcdns --check-config`, then starts the daemon on it (the fake root
  // serves root_zone_ as it is now). Fatal on failure: use ASSERT_NO_FATAL_FAILURE.
  void startDaemon(const std::string& body) {
    config_ = daemonConfig(addr_, body);
    {
      TempDir dir;
      ASSERT_FALSE(dir.path().empty());
      writeFile(dir.path() + "/vpcdns.yaml", config_);
      writeFile(dir.path() + "/hints.root", rootHints());
      const RunResult check =
          runCommand({daemonBinary(), "--check-config", dir.path() + "/vpcdns.yaml"});
      ASSERT_EQ(check.exit_code, 0) << "config rejected:\n" << config_ << check.out << check.err;
    }
    root_->setHandler(root_zone_.handler());
    daemon_ = std::make_unique<DaemonProcess>(
        config_, addr_, kPort,
        std::vector<std::pair<std::string, std::string>>{{"hints.root", rootHints()}});
    ASSERT_TRUE(daemon_->alive()) << daemon_->stderrText();
    ASSERT_TRUE(udpExchange(addr_, kPort, makeQuery(".", dns::rrtype::kNS), "", 2s))
        << "the daemon does not answer on " << addr_ << ":" << kPort;
  }

  // dig at the daemon, from `source` when given.
  DigResult ask(const std::string& name, const std::string& type = "A",
                const std::string& source = "", std::vector<std::string> extra = {}) {
    if (!source.empty()) {
      extra.insert(extra.begin(), source);
      extra.insert(extra.begin(), "-b");
    }
    return dig(addr_, kPort, name, type, extra);
  }

  // Asks for A records and expects NOERROR with exactly `ip`.
  void expectA(const std::string& name, const std::string& ip, const std::string& source = "") {
    const DigResult r = ask(name, "A", source);
    EXPECT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_EQ(r.data("A"), std::vector<std::string>{ip}) << r.describe();
  }

  std::string addr_ = freshLoopbackAddress();
  std::string config_;
  FakeZoneSet root_zone_;
  FakeAuthServer* root_ = nullptr;
  // Upstreams outlive the daemon (declared first, destroyed last).
  std::vector<std::unique_ptr<FakeAuthServer>> fakes_;
  std::vector<std::unique_ptr<RealServer>> real_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// ======================= The harness itself (passes without forwarding) ====================

class ForwardHarness : public ForwardTest {};

TEST_F(ForwardHarness, DnsmasqStandInAnswersAndLogsQueries) {
  std::vector<std::string> options = {"--local=/corp.example/",
                                      "--host-record=app.corp.example,10.44.0.2"};
  for (int k = 1; k <= kBigTxtCount; ++k) {
    options.push_back("--txt-record=big.corp.example," + bigTxtString(k));
  }
  RealServer* dm = newDnsmasq(options);
  ASSERT_NE(dm, nullptr);

  DigResult r = dig(dm->address(), kDnsPort, "app.corp.example", "A", {"-b", kAppClient});
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.44.0.2"}) << r.describe();
  ASSERT_EQ(r.answer.size(), 1u) << r.describe();
  EXPECT_EQ(r.answer[0].ttl, 300u) << "local data must be cacheable\n" << r.describe();
  EXPECT_TRUE(dm->waitFor("app.corp.example", "A")) << dm->describe();
  bool from_client = false;
  for (const auto& q : dm->queries()) from_client |= q.source == kAppClient;
  EXPECT_TRUE(from_client) << "the log shows the peer address\n" << dm->describe();

  r = dig(dm->address(), kDnsPort, "nonexistent.corp.example", "A");
  EXPECT_EQ(r.status, "NXDOMAIN") << r.describe();

  // The big TXT RRset: TC over UDP at 1232 octets, whole over TCP.
  r = dig(dm->address(), kDnsPort, "big.corp.example", "TXT", {"+ignore"});
  EXPECT_TRUE(r.flags.count("tc")) << r.describe();
  r = dig(dm->address(), kDnsPort, "big.corp.example", "TXT");
  EXPECT_TRUE(r.retried_over_tcp) << r.describe();
  EXPECT_EQ(r.data("TXT"), expectedBigTxt()) << r.describe();
  r = dig(dm->address(), kDnsPort, "big.corp.example", "TXT", {"+tcp"});
  EXPECT_EQ(r.data("TXT"), expectedBigTxt()) << r.describe();

  // The barrier, and a name it never received.
  ASSERT_TRUE(dm->sync()) << dm->describe();
  EXPECT_EQ(dm->count("never.asked.example"), 0u);
  EXPECT_EQ(dm->count("app.corp.example", "A"), 1u) << dm->describe();

  // The sidecar variant answers every name.
  RealServer* any = newDnsmasq({"--address=/#/10.9.9.9"});
  ASSERT_NE(any, nullptr);
  r = dig(any->address(), kDnsPort, "www.anything.org", "A");
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.9.9.9"}) << r.describe();
}

TEST_F(ForwardHarness, UnboundStandInAnswersAndLogsQueries) {
  RealServer* ub = newUnbound(unboundCorp());
  ASSERT_NE(ub, nullptr);
  DigResult r = dig(ub->address(), kDnsPort, "build.dev.corp.example", "A", {"-b", kDataClient});
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.55.0.7"}) << r.describe();
  r = dig(ub->address(), kDnsPort, "nonexistent.corp.example", "A");
  EXPECT_EQ(r.status, "NXDOMAIN") << r.describe();
  EXPECT_TRUE(r.hasSoa()) << "a cacheable NXDOMAIN (RFC 2308)\n" << r.describe();
  r = dig(ub->address(), kDnsPort, ".", "NS");
  EXPECT_EQ(r.status, "REFUSED") << "never recurses\n" << r.describe();
  ASSERT_TRUE(ub->sync()) << ub->describe();
  EXPECT_EQ(ub->count("build.dev.corp.example", "A"), 1u) << ub->describe();
  EXPECT_EQ(ub->count("nonexistent.corp.example", "A"), 1u) << ub->describe();
  bool from_client = false;
  for (const auto& q : ub->queries()) from_client |= q.source == kDataClient;
  EXPECT_TRUE(from_client) << ub->describe();
}

TEST_F(ForwardHarness, FakesCountQueriesAndLogPeers) {
  root_->setHandler(root_zone_.handler());
  DigResult r = dig(root_->address(), kDnsPort, "www.public.corp.example", "A", {"+norec"});
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"192.0.2.80"}) << r.describe();

  FakeAuthServer* silent = newFake();
  r = dig(silent->address(), kDnsPort, "x.corp.example", "A", {"+timeout=1"});
  EXPECT_EQ(r.status, "") << "silent\n" << r.describe();
  r = dig(silent->address(), kDnsPort, ".", "NS", {"+timeout=1"});
  EXPECT_EQ(clientQueries(*silent).size(), 1u);
  EXPECT_EQ(probeCount(*silent), 1u);

  // Switching the handler makes it answer; the log has the peer address.
  const std::string source = freshFakeAddress();
  silent->setHandler(answerA("10.66.0.1"));
  r = dig(silent->address(), kDnsPort, "y.corp.example", "A", {"-b", source});
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.66.0.1"}) << r.describe();
  const auto queries = clientQueries(*silent);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries.back().peer.ip().toString(), source);
}

TEST_F(ForwardHarness, ContractConfigIsAccepted) {
  TempDir dir;
  const std::string body = std::string(kVpcs) +
                           "forwarding:\n"
                           "  source: 127.30.0.9\n"
                           "  timeout_ms: 1000\n"
                           "  selection: rtt\n"
                           "  failure_threshold: 3\n"
                           "  probe_interval_ms: 2000\n"
                           "  cache: true\n"
                           "rules:\n"
                           "  - domain: corp.example\n"
                           "    type: forward\n"
                           "    targets: [\"127.30.0.1\", \"127.30.0.2:5300\"]\n"
                           "    vpcs: [app]\n"
                           "    selection: order\n"
                           "    timeout_ms: 300\n"
                           "    source: 127.30.0.8\n"
                           "  - domain: public.corp.example\n"
                           "    type: system\n"
                           "  - {domain: \".\", targets: [\"127.30.0.3\"], vpcs: [data]}\n";
  const std::string path = dir.path() + "/vpcdns.yaml";
  writeFile(path, daemonConfig(addr_, body));
  writeFile(dir.path() + "/hints.root", rootHints());
  RunResult r = runCommand({daemonBinary(), "--check-config", path});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // And the loader is not simply lenient: a bad value is an error.
  writeFile(path, daemonConfig(addr_, "forwarding:\n  selection: fastest\n"));
  r = runCommand({daemonBinary(), "--check-config", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

TEST_F(ForwardHarness, DaemonResolvesFromTheFakeRoot) {
  ASSERT_NO_FATAL_FAILURE(startDaemon(kVpcs));
  expectA("www.elsewhere.test", "192.0.2.10");
  expectA("app.corp.example", "192.0.2.44", kAppClient);
  EXPECT_GE(root_->countFor("www.elsewhere.test."), 1u);
}

// ======================= Forwarding ==========================================================

// 1. A FORWARD rule sends its domain to the target; other names never reach it.
TEST_F(ForwardTest, ForwardRuleSendsItsDomainToTheTarget) {
  RealServer* dm =
      newDnsmasq({"--local=/corp.example/", "--host-record=app.corp.example,10.44.0.2"});
  ASSERT_NE(dm, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("rules:\n"
                  "  - domain: corp.example\n"
                  "    type: forward\n"
                  "    targets: [" +
                  quoted(dm->address()) + "]\n"));
  const DigResult r = ask("app.corp.example");
  ASSERT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.44.0.2"}) << r.describe();
  EXPECT_TRUE(dm->waitFor("app.corp.example", "A")) << dm->describe();
  EXPECT_EQ(root_->countFor("app.corp.example."), 0u) << "forwarded names are not recursed";

  // Outside every rule: recursion from the root, dnsmasq never asked.
  expectA("www.elsewhere.test", "192.0.2.10");
  EXPECT_GE(root_->countFor("www.elsewhere.test."), 1u);
  ASSERT_TRUE(dm->sync()) << dm->describe();
  EXPECT_TRUE(dm->namesUnder("elsewhere.test").empty()) << dm->describe();
}

// 2. A SYSTEM rule under a FORWARD rule takes its subdomain back to recursion.
TEST_F(ForwardTest, SystemRuleResolvesItsSubdomainHere) {
  RealServer* dm = newDnsmasq({"--local=/corp.example/", "--host-record=app.corp.example,10.44.0.2",
                               "--host-record=www.public.corp.example,10.44.0.80"});
  ASSERT_NE(dm, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("rules:\n"
                  "  - domain: corp.example\n"
                  "    targets: [" +
                  quoted(dm->address()) +
                  "]\n"
                  "  - domain: public.corp.example\n"
                  "    type: system\n"));
  const DigResult r = ask("www.public.corp.example");
  ASSERT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"192.0.2.80"})
      << "from the public DNS, not dnsmasq's 10.44.0.80\n"
      << r.describe();
  EXPECT_GE(root_->countFor("www.public.corp.example."), 1u);

  // The broader rule still forwards the rest of corp.example.
  expectA("app.corp.example", "10.44.0.2");
  EXPECT_TRUE(dm->waitFor("app.corp.example", "A")) << dm->describe();
  ASSERT_TRUE(dm->sync()) << dm->describe();
  EXPECT_TRUE(dm->namesUnder("public.corp.example").empty()) << dm->describe();
}

// 3. The most specific rule wins whatever the file order: dev.corp.example -> Unbound,
// corp.example -> dnsmasq. Both servers hold both names with different data.
class MostSpecificRuleTest : public ForwardTest {
 protected:
  void check(bool specific_first) {
    RealServer* dm =
        newDnsmasq({"--local=/corp.example/", "--host-record=app.corp.example,10.44.0.2",
                    "--host-record=build.dev.corp.example,10.44.0.7"});
    RealServer* ub = newUnbound(unboundCorp());
    ASSERT_NE(dm, nullptr);
    ASSERT_NE(ub, nullptr);
    const std::string dev_rule =
        "  - {domain: dev.corp.example, targets: [" + quoted(ub->address()) + "]}\n";
    const std::string corp_rule =
        "  - {domain: corp.example, targets: [" + quoted(dm->address()) + "]}\n";
    ASSERT_NO_FATAL_FAILURE(
        startDaemon("rules:\n" + (specific_first ? dev_rule + corp_rule : corp_rule + dev_rule)));
    DigResult r = ask("build.dev.corp.example");
    ASSERT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.55.0.7"}) << "Unbound's\n" << r.describe();
    r = ask("app.corp.example");
    EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.44.0.2"}) << "dnsmasq's\n" << r.describe();

    ASSERT_TRUE(dm->sync()) << dm->describe();
    ASSERT_TRUE(ub->sync()) << ub->describe();
    EXPECT_EQ(ub->count("build.dev.corp.example", "A"), 1u) << ub->describe();
    EXPECT_EQ(ub->count("app.corp.example"), 0u) << ub->describe();
    EXPECT_EQ(dm->count("app.corp.example", "A"), 1u) << dm->describe();
    EXPECT_TRUE(dm->namesUnder("dev.corp.example").empty()) << dm->describe();
  }
};

TEST_F(MostSpecificRuleTest, WhenListedFirst) {
  check(true);
}

TEST_F(MostSpecificRuleTest, WhenListedLast) {
  check(false);
}

// 4. A rule with vpcs applies only to clients of those VPCs; others get recursion.
TEST_F(ForwardTest, PerVpcRuleAppliesOnlyToItsVpcs) {
  RealServer* dm =
      newDnsmasq({"--local=/corp.example/", "--host-record=app.corp.example,10.44.0.2"});
  ASSERT_NE(dm, nullptr);
  ASSERT_NO_FATAL_FAILURE(startDaemon(std::string(kVpcs) +
                                      "rules:\n"
                                      "  - domain: corp.example\n"
                                      "    targets: [" +
                                      quoted(dm->address()) +
                                      "]\n"
                                      "    vpcs: [app]\n"));
  // Data VPC and no VPC first: the public answer, dnsmasq untouched.
  expectA("app.corp.example", "192.0.2.44", kDataClient);
  expectA("app.corp.example", "192.0.2.44", kNoVpcClient);
  EXPECT_GE(root_->countFor("app.corp.example."), 1u);
  ASSERT_TRUE(dm->sync()) << dm->describe();
  EXPECT_EQ(dm->count("app.corp.example"), 0u) << dm->describe();

  // The app VPC is forwarded.
  const DigResult r = ask("app.corp.example", "A", kAppClient);
  ASSERT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.44.0.2"}) << r.describe();
  EXPECT_TRUE(dm->waitFor("app.corp.example", "A")) << dm->describe();

  // And neither view leaks into the other through a cache.
  expectA("app.corp.example", "192.0.2.44", kDataClient);
  expectA("app.corp.example", "10.44.0.2", kAppClient);
}

// 5. A rule for "." forwards everything (the container sidecar).
TEST_F(ForwardTest, DotRuleForwardsEveryName) {
  RealServer* dm = newDnsmasq({"--address=/#/10.9.9.9"});
  ASSERT_NE(dm, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("rules:\n  - {domain: \".\", targets: [" + quoted(dm->address()) + "]}\n"));
  for (const std::string name :
       {"www.anything.org", "a.b.c.test", "app.corp.example", "www.elsewhere.test"}) {
    SCOPED_TRACE(name);
    const DigResult r = ask(name);
    ASSERT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.9.9.9"}) << r.describe();
    EXPECT_TRUE(dm->waitFor(name, "A")) << dm->describe();
  }
  EXPECT_EQ(root_->queryCount(), 0u) << "nothing is resolved here";
}

// 6. NXDOMAIN passes through and is cached (per RFC 2308 only with the zone's SOA, so Unbound
// with an SOA is the upstream); with forwarding.cache false every query goes upstream.
class NegativeCacheTest : public ForwardTest {
 protected:
  void check(bool cache) {
    RealServer* ub = newUnbound(unboundCorp());
    ASSERT_NE(ub, nullptr);
    ASSERT_NO_FATAL_FAILURE(startDaemon(
        std::string("forwarding:\n  cache: ") + (cache ? "true" : "false") +
        "\nrules:\n  - {domain: corp.example, targets: [" + quoted(ub->address()) + "]}\n"));
    for (int i = 0; i < 2; ++i) {
      const DigResult r = ask("nonexistent.corp.example");
      ASSERT_EQ(r.status, "NXDOMAIN") << r.describe();
      EXPECT_TRUE(r.hasSoa()) << r.describe();
      EXPECT_TRUE(r.data("A").empty()) << r.describe();
    }
    ASSERT_TRUE(ub->sync()) << ub->describe();
    EXPECT_EQ(ub->count("nonexistent.corp.example", "A"), cache ? 1u : 2u) << ub->describe();
  }
};

TEST_F(NegativeCacheTest, NxdomainIsCached) {
  check(true);
}

TEST_F(NegativeCacheTest, NothingIsCachedWithCacheOff) {
  check(false);
}

// 6b. Every upstream RCODE reaches the client as it came (dig checks the ID): dnsmasq's
// NXDOMAIN (without SOA) and a fake's NXDOMAIN, NODATA, SERVFAIL and REFUSED.
TEST_F(ForwardTest, UpstreamRcodesPassThrough) {
  RealServer* dm = newDnsmasq({"--local=/corp.example/"});
  ASSERT_NE(dm, nullptr);
  const dns::Record soa =
      rr("rc.example. 300 SOA ns.rc.example. hostmaster.rc.example. 1 3600 600 86400 60");
  FakeAuthServer* fake = newFake([soa](const dns::Message& q, bool tcp, const SocketAddress&) {
    const std::string name = lower(q.questions[0].name.toText());
    dns::Message m = replyTo(q);
    if (name.starts_with("nx.")) {
      m = nxdomainReply(q, soa);
    } else if (name.starts_with("nodata.")) {
      m = nodataReply(q, soa);
    } else if (name.starts_with("servfail.")) {
      m = rcodeReply(q, dns::rcode::kServFail);
    } else {
      m = rcodeReply(q, dns::rcode::kRefused);
    }
    return FakeActions::reply(encodeFor(m, q, tcp));
  });
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("rules:\n  - {domain: corp.example, targets: [" + quoted(dm->address()) +
                  "]}\n  - {domain: rc.example, targets: [" + quoted(fake->address()) + "]}\n"));
  DigResult r = ask("nonexistent.corp.example");
  ASSERT_EQ(r.status, "NXDOMAIN") << r.describe();
  EXPECT_TRUE(dm->waitFor("nonexistent.corp.example", "A")) << dm->describe();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nx.rc.example", "NXDOMAIN"},
      {"nodata.rc.example", "NOERROR"},
      {"servfail.rc.example", "SERVFAIL"},
      {"refused.rc.example", "REFUSED"}};
  for (const auto& [name, status] : cases) {
    SCOPED_TRACE(name);
    r = ask(name);
    EXPECT_EQ(r.status, status) << r.describe();
    EXPECT_TRUE(r.answer.empty()) << r.describe();
    if (status == "NXDOMAIN" || name.starts_with("nodata.")) {
      EXPECT_TRUE(r.hasSoa()) << r.describe();
    }
    EXPECT_GE(fake->countFor(name + "."), 1u) << "the fake gave this answer";
  }
}

// 7. A large answer: the upstream's reply is truncated over UDP and fetched over TCP; the client
// gets TC over UDP (dig retries over TCP) and the whole RRset over TCP.
TEST_F(ForwardTest, LargeAnswerComesBackOverTcp) {
  std::vector<std::string> options = {"--local=/corp.example/"};
  for (int k = 1; k <= kBigTxtCount; ++k) {
    options.push_back("--txt-record=big.corp.example," + bigTxtString(k));
  }
  RealServer* dm = newDnsmasq(options);
  ASSERT_NE(dm, nullptr);
  FakeZoneSet big;
  big.zone("big.example.").add("big.example. 300 NS ns.big.example.");
  for (int k = 1; k <= kBigTxtCount; ++k) {
    big.add("txt.big.example. 300 TXT \"" + bigTxtString(k) + "\"");
  }
  FakeAuthServer* fake = newFake(big.handler());
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("rules:\n  - {domain: corp.example, targets: [" + quoted(dm->address()) +
                  "]}\n  - {domain: big.example, targets: [" + quoted(fake->address()) + "]}\n"));

  for (const std::string name : {"big.corp.example", "txt.big.example"}) {
    SCOPED_TRACE(name);
    DigResult r = ask(name, "TXT");
    ASSERT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_TRUE(r.retried_over_tcp) << r.describe();
    EXPECT_EQ(r.data("TXT"), expectedBigTxt()) << r.describe();
    r = ask(name, "TXT", "", {"+ignore"});
    EXPECT_TRUE(r.flags.count("tc")) << "over UDP the reply is truncated\n" << r.describe();
    r = ask(name, "TXT", "", {"+tcp"});
    EXPECT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_EQ(r.data("TXT"), expectedBigTxt()) << r.describe();
  }
  EXPECT_TRUE(dm->waitFor("big.corp.example", "TXT")) << dm->describe();
  // The fake truncates over UDP (encodeFor), so the daemon must have asked it over TCP.
  size_t over_tcp = 0;
  for (const auto& q : clientQueries(*fake)) over_tcp += q.tcp ? 1 : 0;
  EXPECT_GE(over_tcp, 1u) << "the upstream reply was fetched over TCP";
}

// 8. The same name forwarded to different servers for different VPCs: each VPC gets its own
// server's data, every time, whichever VPC asks first; each server is asked once (the cache is
// per target set).
TEST_F(ForwardTest, SameNameToDifferentTargetsNeverMixes) {
  RealServer* dm =
      newDnsmasq({"--local=/shared.example/", "--host-record=db.shared.example,10.44.8.8",
                  "--host-record=web.shared.example,10.44.8.9"});
  RealServer* ub = newUnbound(
      {"local-zone: \"shared.example.\" static",
       "local-data: \"shared.example. 3600 IN SOA ns.shared.example. hostmaster.shared.example. "
       "1 3600 600 86400 60\"",
       "local-data: \"db.shared.example. 300 IN A 10.55.8.8\"",
       "local-data: \"web.shared.example. 300 IN A 10.55.8.9\""});
  ASSERT_NE(dm, nullptr);
  ASSERT_NE(ub, nullptr);
  ASSERT_NO_FATAL_FAILURE(startDaemon(
      std::string(kVpcs) + "forwarding:\n  cache: true\nrules:\n" +
      "  - {domain: shared.example, targets: [" + quoted(dm->address()) + "], vpcs: [app]}\n" +
      "  - {domain: shared.example, targets: [" + quoted(ub->address()) + "], vpcs: [data]}\n"));
  const DigResult first = ask("db.shared.example", "A", kAppClient);
  ASSERT_EQ(first.status, "NOERROR") << first.describe();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // db: app asks first; web: data asks first.
    expectA("db.shared.example", "10.44.8.8", kAppClient);
    expectA("db.shared.example", "10.55.8.8", kDataClient);
    expectA("web.shared.example", "10.55.8.9", kDataClient);
    expectA("web.shared.example", "10.44.8.9", kAppClient);
  }
  ASSERT_TRUE(dm->sync()) << dm->describe();
  ASSERT_TRUE(ub->sync()) << ub->describe();
  for (const std::string name : {"db.shared.example", "web.shared.example"}) {
    EXPECT_EQ(dm->count(name, "A"), 1u) << name << "\n" << dm->describe();
    EXPECT_EQ(ub->count(name, "A"), 1u) << name << "\n" << ub->describe();
  }
}

// 9. Failover with order selection: a silent primary costs one timeout per query until it has
// failed failure_threshold times; then it is skipped (only probes reach it) until a probe gets
// an answer, and then it is the primary again.
TEST_F(ForwardTest, OrderSelectionFailsOverAndComesBack) {
  constexpr size_t kThreshold = 3;
  FakeAuthServer* primary = newFake();  // silent for now
  RealServer* backup = newDnsmasq({"--address=/fo.corp.example/10.44.9.9"});
  ASSERT_NE(backup, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("forwarding:\n"
                  "  timeout_ms: 300\n"
                  "  failure_threshold: 3\n"
                  "  probe_interval_ms: 500\n"
                  "  cache: false\n"
                  "rules:\n"
                  "  - domain: corp.example\n"
                  "    targets: [" +
                  quoted(primary->address()) + ", " + quoted(backup->address()) +
                  "]\n"
                  "    selection: order\n"));
  int seq = 0;
  auto fresh = [&] { return "q" + std::to_string(++seq) + ".fo.corp.example"; };

  // The first queries try the primary, time out, and are answered by the backup.
  for (size_t i = 0; i < kThreshold; ++i) {
    const std::string name = fresh();
    const DigResult r = ask(name);
    ASSERT_EQ(r.status, "NOERROR") << r.describe();
    EXPECT_EQ(r.data("A"), std::vector<std::string>{"10.44.9.9"}) << r.describe();
    EXPECT_EQ(primary->countFor(name + "."), 1u) << "the primary is tried first";
  }
  EXPECT_EQ(clientQueries(*primary).size(), kThreshold);

  // Now it is down: skipped by client queries, probed in the background.
  for (int i = 0; i < 5; ++i) expectA(fresh(), "10.44.9.9");
  EXPECT_EQ(clientQueries(*primary).size(), kThreshold) << "a down target gets no client query";
  EXPECT_TRUE(waitUntil([&] { return probeCount(*primary) >= 1; }, 5s))
      << "no `. NS` probe reached the down target";
  ASSERT_TRUE(backup->sync()) << backup->describe();
  EXPECT_EQ(backup->namesUnder("fo.corp.example").size(), kThreshold + 5) << backup->describe();

  // It answers again: a probe brings it back (polled, bounded), and queries go to it.
  primary->setHandler(answerA("10.66.0.1"));
  bool back = false;
  const auto deadline = Clock::now() + 10s;
  while (!back && Clock::now() < deadline) {
    const DigResult r = ask(fresh());
    ASSERT_EQ(r.status, "NOERROR") << r.describe();
    back = r.data("A") == std::vector<std::string>{"10.66.0.1"};
    if (!back) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(back) << "the primary was not used again within 10 s (20 probe intervals); probes "
                       "seen: "
                    << probeCount(*primary);
  EXPECT_EQ(clientQueries(*primary).size(), kThreshold + 1)
      << "only a probe may bring a down target back";
  std::vector<std::string> after;
  for (int i = 0; i < 3; ++i) {
    after.push_back(fresh());
    expectA(after.back(), "10.66.0.1");
  }
  EXPECT_EQ(clientQueries(*primary).size(), kThreshold + 4);
  ASSERT_TRUE(backup->sync()) << backup->describe();
  for (const auto& name : after) EXPECT_EQ(backup->count(name), 0u) << name;
}

// 10. Every target down: SERVFAIL at once, nothing sent.
TEST_F(ForwardTest, AllTargetsDownGivesServfailWithoutAsking) {
  FakeAuthServer* a = newFake();
  FakeAuthServer* b = newFake();
  ASSERT_NO_FATAL_FAILURE(
      startDaemon("forwarding:\n"
                  "  timeout_ms: 200\n"
                  "  failure_threshold: 1\n"
                  "  probe_interval_ms: 500\n"
                  "rules:\n"
                  "  - domain: corp.example\n"
                  "    targets: [" +
                  quoted(a->address()) + ", " + quoted(b->address()) + "]\n"));
  // The first query times out at both (one failure each: both down).
  DigResult r = ask("first.corp.example");
  ASSERT_EQ(r.status, "SERVFAIL") << "every target timed out\n" << r.describe();
  EXPECT_EQ(clientQueries(*a).size(), 1u);
  EXPECT_EQ(clientQueries(*b).size(), 1u);

  for (const std::string name : {"second.corp.example", "third.corp.example"}) {
    SCOPED_TRACE(name);
    r = ask(name, "A", "", {"+timeout=2"});
    EXPECT_EQ(r.exit_code, 0) << "answered within the client's 2 s\n" << r.describe();
    EXPECT_EQ(r.status, "SERVFAIL") << r.describe();
    EXPECT_EQ(a->countFor(name + "."), 0u);
    EXPECT_EQ(b->countFor(name + "."), 0u);
  }
  EXPECT_EQ(clientQueries(*a).size(), 1u) << "a down target gets no client query";
  EXPECT_EQ(clientQueries(*b).size(), 1u) << "a down target gets no client query";
}

// 11. Queries to targets leave from forwarding.source, or the rule's own source.
TEST_F(ForwardTest, OutboundSourceAddressIsTheConfiguredOne) {
  const std::string source = freshFakeAddress();
  const std::string rule_source = freshFakeAddress();
  FakeAuthServer* corp = newFake(answerA("10.66.11.1"));
  FakeAuthServer* other = newFake(answerA("10.66.11.2"));
  RealServer* dm = newDnsmasq({"--address=/dm.example/10.44.11.3"});
  ASSERT_NE(dm, nullptr);
  ASSERT_NO_FATAL_FAILURE(startDaemon("forwarding:\n  source: " + source +
                                      "\nrules:\n"
                                      "  - {domain: corp.example, targets: [" +
                                      quoted(corp->address()) +
                                      "]}\n"
                                      "  - {domain: dm.example, targets: [" +
                                      quoted(dm->address()) +
                                      "]}\n"
                                      "  - {domain: other.example, targets: [" +
                                      quoted(other->address()) + "], source: " + rule_source +
                                      "}\n"));
  expectA("a.corp.example", "10.66.11.1");
  expectA("a.other.example", "10.66.11.2");
  expectA("a.dm.example", "10.44.11.3");

  const auto corp_queries = clientQueries(*corp);
  ASSERT_FALSE(corp_queries.empty());
  for (const auto& q : corp_queries) EXPECT_EQ(q.peer.ip().toString(), source) << q.name;
  const auto other_queries = clientQueries(*other);
  ASSERT_FALSE(other_queries.empty());
  for (const auto& q : other_queries) EXPECT_EQ(q.peer.ip().toString(), rule_source) << q.name;
  ASSERT_TRUE(dm->waitFor("a.dm.example", "A")) << dm->describe();
  for (const auto& q : dm->queries()) {
    if (q.name == "a.dm.example.") {
      EXPECT_EQ(q.source, source) << dm->describe();
    }
  }
}

// 12. A rule whose target is the daemon's own listener is a config error naming its line.
TEST_F(ForwardTest, RuleTargetingOwnListenerIsRejected) {
  TempDir dir;
  const std::string path = dir.path() + "/vpcdns.yaml";
  auto config = [&](const std::string& listen, const std::string& target) {
    return "server:\n"
           "  listen: [{address: \"" +
           listen +
           "\"}]\n"
           "rules:\n"
           "  - {domain: corp.example, targets: [\"127.30.0.1\"]}\n"
           "  - {domain: loop.example, targets: [\"" +
           target + "\"]}\n";
  };
  constexpr int kLoopLine = 5;  // the loop.example rule
  const std::string own = addr_ + ":" + std::to_string(kPort);

  // Control: another port on the same address is fine.
  writeFile(path, config(own, addr_ + ":" + std::to_string(kPort + 1)));
  RunResult r = runCommand({daemonBinary(), "--check-config", path});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  for (const auto& [listen, target] : std::vector<std::pair<std::string, std::string>>{
           {own, own},
           {"0.0.0.0:" + std::to_string(kPort), "127.0.0.1:" + std::to_string(kPort)}}) {
    SCOPED_TRACE(listen + " <- " + target);
    writeFile(path, config(listen, target));
    r = runCommand({daemonBinary(), "--check-config", path});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(path + ":" + std::to_string(kLoopLine) + ":"), std::string::npos)
        << "the error names the rule's line " << kLoopLine << "\n"
        << r.err;
    EXPECT_NE(r.err.find("rules[1]"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace vpcdns::test
