// The query log end to end: the real daemon answers through every path — a private zone, a
// local zone, a FORWARD rule to a real dnsmasq on 127.x (and that rule's cache), recursion from
// a fake root (and the recursive cache) — to dig from fixed source addresses and ports, over UDP
// and TCP; then every line of the log must parse as JSON (nlohmann) with Route 53 Resolver's
// fields and the right values. Queries from a VPC left out of query_log.vpcs are not logged,
// and a reload that changes the list applies to the next query.
//
// One worker, and the queries are sent one after the other, so the lines come in query order.
// The log is read after SIGTERM (the writer flushes at shutdown), or polled with a bound.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dns/message.h"
#include "tests/e2e/daemon_process.h"
#include "tests/e2e/fake_auth.h"

namespace vpcdns::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr uint16_t kPort = 5353;
const char* const kAppClient = "127.201.0.5";   // VPC app: logged
const char* const kDataClient = "127.202.0.5";  // VPC data: not logged at first

template <typename Pred>
bool waitUntil(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::vector<uint8_t> probe(const std::string& name) {
  dns::Message m;
  m.header.id = 1;
  m.header.rd = true;
  m.questions.push_back({*dns::Name::fromText(name), dns::rrtype::kA, dns::rrclass::kIN});
  return m.encode();
}

// dnsmasq on a fresh 127.x address, port 53, answering only from its own data; stopped by PID
// (and its process group: it forks for TCP) in the destructor.
class Dnsmasq {
 public:
  explicit Dnsmasq(const std::vector<std::string>& options) {
    for (int attempt = 0; attempt < 4 && pid_ <= 0; ++attempt) {
      address_ = freshFakeAddress();
      if (!portFree(address_, 53)) continue;
      std::vector<std::string> argv = {"dnsmasq",
                                       "-k",
                                       "--conf-file=/dev/null",
                                       "--no-resolv",
                                       "--no-hosts",
                                       "--bind-interfaces",
                                       "--listen-address=" + address_,
                                       "--port=53",
                                       "--user=root",
                                       "--pid-file=",
                                       "--local-ttl=300"};
      argv.insert(argv.end(), options.begin(), options.end());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      pid_ = fork();
      if (pid_ == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(args[0], args.data());
        _exit(127);
      }
      if (devnull >= 0) ::close(devnull);
      if (pid_ > 0) setpgid(pid_, pid_);
      const bool ready = waitUntil(
          [&] { return udpExchange(address_, 53, probe("ready.invalid."), "", 100ms).has_value(); },
          10s);
      if (!ready) stop();
    }
  }
  ~Dnsmasq() { stop(); }
  bool ok() const { return pid_ > 0; }
  const std::string& address() const { return address_; }

 private:
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (!waitUntil([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, 5s)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (kill(-pid_, 0) == 0) kill(-pid_, SIGKILL);
    pid_ = -1;
  }
  std::string address_;
  pid_t pid_ = -1;
};

struct Asked {
  std::string name, type, source;
  int port = 0;
  bool tcp = false;
  std::string status;
  std::string output;
};

class QueryLogE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::make_unique<FakeAuthServer>();
    ASSERT_TRUE(root_->ok()) << root_->error();
    root_zone_.zone(".")
        .add(". 3600000 NS ns.root.")
        .add("ns.root. 3600000 A " + root_->address())
        .add("www.public.test. 300 A 192.0.2.80");
    root_->setHandler(root_zone_.handler());
    dnsmasq_ = std::make_unique<Dnsmasq>(std::vector<std::string>{
        "--local=/corp.example/", "--host-record=app.corp.example,10.44.0.2"});
    ASSERT_TRUE(dnsmasq_->ok()) << "dnsmasq did not start";
  }

  std::string config(const std::string& logged_vpcs) const {
    return "server:\n"
           "  listen: [{address: \"" +
           addr_ + ":" + std::to_string(kPort) +
           "\"}]\n"
           "  workers: 1\n"
           "  allow: [127.0.0.0/8]\n"
           "vpcs:\n"
           "  - {id: app, cidrs: [127.201.0.0/16]}\n"
           "  - {id: data, cidrs: [127.202.0.0/16]}\n"
           "zones:\n"
           "  - name: corp.internal\n"
           "    vpcs: [app, data]\n"
           "    records:\n"
           "      - {name: www, type: A, ttl: 300, values: [10.0.0.10, 10.0.0.11]}\n"
           "rules:\n"
           "  - domain: corp.example\n"
           "    targets: [" +
           dnsmasq_->address() +
           "]\n"
           "query_log:\n"
           "  file: queries.jsonl\n"
           "  vpcs: [" +
           logged_vpcs +
           "]\n"
           "  account_id: \"111122223333\"\n"
           "  region: eu-west-1\n"
           "resolver:\n"
           "  root_hints: hints.root\n"
           "  dont_query: []\n"
           "  ipv6: false\n";
  }

  std::string hints() const {
    return ". 3600000 NS ns.root.\nns.root. 3600000 A " + root_->address() + "\n";
  }

  void startDaemon() {
    daemon_ = std::make_unique<DaemonProcess>(
        config("app"), addr_, kPort,
        std::vector<std::pair<std::string, std::string>>{{"hints.root", hints()}});
    ASSERT_TRUE(daemon_->alive()) << daemon_->stderrText();
  }

  // dig from source:port (distinct ports, so each line can be matched exactly).
  Asked ask(const std::string& name, const std::string& type, const std::string& source,
            bool tcp = false) {
    Asked a{name, type, source, next_port_++, tcp, "", ""};
    std::vector<std::string> argv = {"dig",      "@" + addr_,
                                     "-p",       std::to_string(kPort),
                                     "-b",       source + "#" + std::to_string(a.port),
                                     "+tries=1", "+timeout=5",
                                     name,       type};
    if (tcp) argv.push_back("+tcp");
    const RunResult r = runCommand(argv, 20s);
    a.output = r.out + r.err;
    const size_t at = r.out.find("status: ");
    if (at != std::string::npos) a.status = r.out.substr(at + 8, r.out.find(',', at) - at - 8);
    return a;
  }

  std::vector<json> logLines() const {
    std::ifstream in(daemon_->dir() + "/queries.jsonl");
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
      out.push_back(std::move(j));
    }
    return out;
  }

  std::string addr_ = freshLoopbackAddress();
  std::unique_ptr<FakeAuthServer> root_;
  FakeZoneSet root_zone_;
  std::unique_ptr<Dnsmasq> dnsmasq_;
  std::unique_ptr<DaemonProcess> daemon_;
  int next_port_ = 42000 + static_cast<int>(getpid() % 1000) * 10;
};

std::vector<std::string> rdata(const json& line) {
  std::vector<std::string> out;
  for (const auto& a : line["answers"]) out.push_back(a["Rdata"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(QueryLogE2e, EveryPathLoggedWithRoute53Fields) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  struct Expect {
    Asked asked;
    std::string rcode, path;
    std::vector<std::string> rdata;
  };
  std::vector<Expect> expect;
  auto run = [&](const std::string& name, const std::string& type, const char* source, bool tcp,
                 const std::string& rcode, const std::string& path, std::vector<std::string> data) {
    Asked a = ask(name, type, source, tcp);
    EXPECT_EQ(a.status, rcode) << a.output;
    if (source == std::string(kAppClient)) expect.push_back({a, rcode, path, std::move(data)});
  };
  run("www.corp.internal", "A", kAppClient, false, "NOERROR", "private_zone",
      {"10.0.0.10", "10.0.0.11"});
  run("nope.corp.internal", "A", kAppClient, true, "NXDOMAIN", "private_zone", {});
  run("1.0.0.10.in-addr.arpa", "PTR", kAppClient, false, "NXDOMAIN", "local_zone", {});
  run("app.corp.example", "A", kAppClient, false, "NOERROR", "forward", {"10.44.0.2"});
  run("app.corp.example", "A", kAppClient, false, "NOERROR", "cache", {"10.44.0.2"});
  run("www.public.test", "A", kAppClient, false, "NOERROR", "recursion", {"192.0.2.80"});
  run("WWW.Public.TEST", "A", kAppClient, true, "NOERROR", "cache", {"192.0.2.80"});
  run("www.corp.internal", "A", kDataClient, false, "NOERROR", "", {});  // data: not logged
  run("www.public.test", "A", kDataClient, true, "NOERROR", "", {});

  // The writer flushes within ~100 ms of a quiet moment; poll (bounded), then check.
  EXPECT_TRUE(waitUntil([&] { return logLines().size() >= expect.size(); }, 5s));
  const std::vector<json> lines = logLines();
  ASSERT_EQ(lines.size(), expect.size()) << daemon_->stderrText();
  const std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (size_t i = 0; i < lines.size(); ++i) {
    const json& j = lines[i];
    const Expect& e = expect[i];
    SCOPED_TRACE("line " + std::to_string(i) + ": " + j.dump() + "\n" + e.asked.output);
    EXPECT_EQ(j["version"], "1.100000");
    EXPECT_EQ(j["account_id"], "111122223333");
    EXPECT_EQ(j["region"], "eu-west-1");
    EXPECT_EQ(j["vpc_id"], "app");
    EXPECT_TRUE(std::regex_match(j["query_timestamp"].get<std::string>(), timestamp));
    EXPECT_EQ(j["query_name"], e.asked.name + ".");  // as asked (case kept), trailing dot
    EXPECT_EQ(j["query_type"], e.asked.type);
    EXPECT_EQ(j["query_class"], "IN");
    EXPECT_EQ(j["rcode"], e.rcode);
    EXPECT_EQ(rdata(j), e.rdata);
    for (const auto& a : j["answers"]) {
      EXPECT_EQ(a["Type"], e.asked.type);
      EXPECT_EQ(a["Class"], "IN");
    }
    EXPECT_EQ(j["srcaddr"], kAppClient);
    EXPECT_EQ(j["srcport"], std::to_string(e.asked.port));
    EXPECT_EQ(j["transport"], e.asked.tcp ? "TCP" : "UDP");
    EXPECT_EQ(j["srcids"]["listener"], addr_ + ":" + std::to_string(kPort));
    EXPECT_EQ(j["path"], e.path);
    EXPECT_TRUE(j["latency_us"].is_number_unsigned());
  }

  // A reload that logs VPC data instead: from the next query on.
  daemon_->writeFile("vpcdns.yaml", config("data"));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(
      waitUntil([&] { return daemon_->stderrText().find("reloaded") != std::string::npos; }, 10s))
      << daemon_->stderrText();
  Asked from_data = ask("www.corp.internal", "A", kDataClient);
  Asked from_app = ask("www.corp.internal", "A", kAppClient);
  EXPECT_EQ(from_data.status, "NOERROR") << from_data.output;
  EXPECT_EQ(from_app.status, "NOERROR") << from_app.output;
  EXPECT_EQ(daemon_->terminate(), 0);  // flushes the log
  const std::vector<json> after = logLines();
  ASSERT_EQ(after.size(), expect.size() + 1) << daemon_->stderrText();
  EXPECT_EQ(after.back()["vpc_id"], "data");
  EXPECT_EQ(after.back()["srcaddr"], kDataClient);
  EXPECT_EQ(after.back()["srcport"], std::to_string(from_data.port));
}

}  // namespace
}  // namespace vpcdns::test
