// Test fixture for the resolver: a fake DNS hierarchy of real authoritative servers on loopback
// addresses, port 53 (NSD, one process per simulated host, plus one Unbound auth-zone whose
// query log shows what reached it), and helpers to query the daemon with dig and read its
// SIGUSR1 statistics. The zone templates and the host layout are in tests/data/hierarchy/.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {

// A child process (a DNS server) in its own process group, its stdout and stderr appended to
// `log_path`. It receives SIGTERM if the test process dies first (PR_SET_PDEATHSIG).
class ChildProcess {
 public:
  ChildProcess(std::string name, const std::vector<std::string>& argv, std::string log_path);
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // SIGTERM to the process, then SIGKILL to its process group if it has not exited (or left
  // processes behind, as NSD forks) within `grace`. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  bool alive() const;
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  const std::string& logPath() const { return log_path_; }
  std::string logText() const;

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// A UDP socket on address:port that reads every datagram and never answers: a silent server.
// (An address where nothing listens is not silent: the kernel answers ICMP port unreachable.)
class SilentServer {
 public:
  SilentServer(const std::string& address, uint16_t port);
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  bool ok() const { return fd_ >= 0; }
  uint64_t received() const { return received_.load(); }

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> received_{0};
  std::thread thread_;
};

// The hierarchy (see tests/data/hierarchy/README.md for the layout). Addresses are NET.x.y
// where NET is "127.53" by default, or VPCDNS_HIERARCHY_NET (e.g. "127.60") when set; without
// the variable, the next free 127.N (N = 53..63) is taken when 127.53 is busy.
// VPCDNS_HIERARCHY_KEEP=1 keeps the work folder (configs, zones, logs) after the run.
class FakeHierarchy {
 public:
  // Renders the zones, checks every config and zone (nsd-checkconf, nsd-checkzone,
  // unbound-checkconf), starts the servers and waits until each answers its zone's SOA.
  // nullptr with `error` set (including the tools' output) on any failure; nothing is left
  // running then.
  static std::unique_ptr<FakeHierarchy> start(std::string* error);
  ~FakeHierarchy();  // stops every server by PID, removes the work folder
  FakeHierarchy(const FakeHierarchy&) = delete;
  FakeHierarchy& operator=(const FakeHierarchy&) = delete;

  // The hierarchy started by HierarchyEnvironment, or nullptr.
  static FakeHierarchy* current();

  const std::string& net() const { return net_; }
  const std::string& dir() const { return dir_; }
  // NET + "." + suffix, e.g. address("2.1") for ns1.example.test.
  std::string address(const std::string& suffix) const { return net_ + "." + suffix; }
  std::string rootAddress() const { return address("0.1"); }
  std::string exampleAddress() const { return address("2.1"); }  // ns1.example.test.
  std::string bigAddress() const { return address("2.2"); }      // ns.big.test.
  std::string deepAddress() const { return address("2.5"); }     // ns.deep.test. (Unbound)
  std::string silentAddress() const { return address("2.6"); }   // ns1.multi.test.
  std::string refusedAddress() const { return address("2.7"); }  // ns2.multi.test.
  std::string multiAddress() const { return address("2.8"); }    // ns3.multi.test.

  // The root hints file text (named.root format) for a resolver's config folder.
  const std::string& rootHints() const { return root_hints_; }
  std::string rootHintsPath() const { return dir_ + "/hints.root"; }

  // The deep.test. server's query log: "... info: SOURCE NAME TYPE CLASS" per query.
  std::string deepLogPath() const;
  std::string deepLogText() const;
  // Query names (lowercased, with the final dot) logged by the deep.test. server after byte
  // `offset` of its log, in order.
  std::vector<std::string> deepLoggedNames(size_t offset) const;

  // Datagrams the silent ns1.multi.test. has swallowed so far.
  uint64_t silentQueries() const { return silent_ ? silent_->received() : 0; }

  // One line per server: name, address, PID, alive.
  std::string describe() const;

 private:
  FakeHierarchy() = default;
  bool startAll(std::string* error);
  void stopAll();

  std::string net_;
  std::string dir_;
  std::string root_hints_;
  bool keep_ = false;
  std::vector<std::unique_ptr<ChildProcess>> servers_;
  std::unique_ptr<SilentServer> silent_;
};

// A gtest environment owning the hierarchy for the whole test binary: register it once with
// ::testing::AddGlobalTestEnvironment. A failed start is a fatal failure, so no test runs.
class HierarchyEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
};

// Unbound as a reference recursive resolver against the hierarchy (iterator only, root hints
// from the hierarchy, loopback upstreams allowed, IPv4 only), on address:port.
class UnboundResolver {
 public:
  UnboundResolver(const FakeHierarchy& hierarchy, const std::string& address, uint16_t port,
                  std::string* error);
  ~UnboundResolver();
  bool ok() const { return process_ != nullptr; }
  std::string logText() const { return process_ ? process_->logText() : std::string(); }

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

// ---- dig ----------------------------------------------------------------------------------

struct DigRecord {
  std::string name;  // as dig prints it, lowercased, with the final dot
  uint32_t ttl = 0;
  std::string type;  // "A", "CNAME", ...
  std::string data;  // the rest of the line
};

struct DigResult {
  int exit_code = -1;
  std::string status;           // "NOERROR", "NXDOMAIN", ... ("" when no reply)
  std::set<std::string> flags;  // "qr", "aa", "tc", "rd", "ra", ...
  std::vector<DigRecord> answer, authority, additional;
  bool retried_over_tcp = false;  // dig saw TC over UDP and asked again over TCP
  std::string command;            // for failure messages
  std::string output;

  // Records of `section` with this type (and owner name, when given).
  std::vector<DigRecord> find(const std::vector<DigRecord>& section, const std::string& type,
                              const std::string& name = "") const;
  // Everything, for failure messages.
  std::string describe() const { return "$ " + command + "\n" + output; }
};

// `dig @server -p port +tries=1 +timeout=5 name type` plus `extra` options, parsed.
DigResult dig(const std::string& server, uint16_t port, const std::string& name,
              const std::string& type, const std::vector<std::string>& extra = {});

// ---- the daemon's statistics (SIGUSR1) -----------------------------------------------------

using Stats = std::map<std::string, uint64_t>;

// The counters every stats line carries.
const std::vector<std::string>& statsKeys();

// Parses "... stats: queries=N cache_hits=N ..." (the part from "stats: "); nullopt unless
// every key of statsKeys() is present with a number.
std::optional<Stats> parseStatsLine(const std::string& line);

// Sends SIGUSR1 to the daemon and waits (bounded) for a new "stats:" line on its stderr;
// returns it parsed. nullopt with `error` set on timeout, on an unparsable line, or when the
// daemon does not catch SIGUSR1 (then no signal is sent: the default action would kill it).
std::optional<Stats> daemonStats(const DaemonProcess& daemon, std::string* error,
                                 std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace vpcdns::test
