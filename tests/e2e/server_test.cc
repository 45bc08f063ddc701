// End-to-end tests of the listeners and the query pipeline: the real vpcdns binary, queried over
// UDP and TCP on loopback by raw sockets and by dig/kdig.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "dns/message.h"
#include "tests/e2e/daemon_process.h"

namespace vpcdns::test {
namespace {

constexpr uint16_t kPort = 5353;

// `extra_server` adds keys under server:; it may set workers, which defaults to 2.
std::string configFor(const std::string& addr, const std::string& extra_server = "",
                      const std::string& allow = "[127.0.0.0/8]") {
  const bool sets_workers = extra_server.find("workers:") != std::string::npos;
  return "server:\n  listen:\n    - address: " + addr + ":" + std::to_string(kPort) + "\n" +
         (sets_workers ? "" : "  workers: 2\n") + "  allow: " + allow + "\n" + extra_server +
         "logging:\n  level: info\n";
}

std::vector<uint8_t> query(const std::string& name, uint16_t type, uint16_t id,
                           std::optional<dns::Edns> edns = std::nullopt) {
  dns::Message m;
  m.header.id = id;
  m.header.rd = true;
  m.header.qdcount = 1;
  m.questions.push_back({*dns::Name::fromText(name), type, dns::rrclass::kIN});
  m.edns = edns;
  return m.encode();
}

dns::Message parse(const std::vector<uint8_t>& wire) {
  auto m = dns::Message::parse(wire);
  EXPECT_TRUE(m.ok()) << "reply does not parse: " << dns::errorText(m.error());
  return m.ok() ? *m : dns::Message{};
}

class ServerTest : public ::testing::Test {
 protected:
  void startDaemon(const std::string& extra_server = "",
                   const std::string& allow = "[127.0.0.0/8]") {
    daemon_ = std::make_unique<DaemonProcess>(configFor(addr_, extra_server, allow), addr_, kPort);
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_TRUE(daemon_->alive()) << "daemon died:\n" << daemon_->stderrText();
    }
  }
  std::optional<std::vector<uint8_t>> ask(const std::vector<uint8_t>& q,
                                          const std::string& source = "") {
    return udpExchange(addr_, kPort, q, source);
  }

  std::string addr_ = freshLoopbackAddress();
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ServerTest, UdpWithoutEdnsGetsServfailWithinClassicSize) {
  startDaemon();
  const auto q = query("ExAmPlE.com.", dns::rrtype::kA, 0xbeef);
  const auto raw = ask(q);
  ASSERT_TRUE(raw);
  ASSERT_GE(raw->size(), 12u);
  EXPECT_LE(raw->size(), 512u);
  EXPECT_EQ((*raw)[0], 0xbe);
  EXPECT_EQ((*raw)[1], 0xef);
  EXPECT_EQ((*raw)[2] & 0x80, 0x80) << "QR must be set";
  EXPECT_EQ((*raw)[2] & 0x02, 0x00) << "TC must be clear";
  EXPECT_EQ((*raw)[2] & 0x01, 0x01) << "RD is copied from the query";
  const auto m = parse(*raw);
  EXPECT_EQ(m.rcode(), dns::rcode::kServFail);
  ASSERT_EQ(m.questions.size(), 1u);
  // The question comes back octet for octet, case included (0x20-using clients check this).
  EXPECT_TRUE(m.questions[0].name.identical(*dns::Name::fromText("ExAmPlE.com.")));
  EXPECT_EQ(m.questions[0].type, dns::rrtype::kA);
  EXPECT_FALSE(m.edns) << "no OPT in reply to a query without one (RFC 6891 §7)";
}

TEST_F(ServerTest, UdpWithEdnsAdvertisesConfiguredSizeAndEchoesDo) {
  startDaemon("  edns_udp_size: 1400\n");
  dns::Edns e;
  e.udp_size = 4096;
  e.do_bit = true;
  const auto raw = ask(query("example.com.", dns::rrtype::kAAAA, 7, e));
  ASSERT_TRUE(raw);
  const auto m = parse(*raw);
  ASSERT_TRUE(m.edns);
  EXPECT_EQ(m.edns->udp_size, 1400);
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_TRUE(m.edns->do_bit);
  EXPECT_EQ(m.rcode(), dns::rcode::kServFail);
}

TEST_F(ServerTest, EdnsVersionAboveZeroGetsBadvers) {
  startDaemon();
  dns::Edns e;
  e.version = 1;
  const auto raw = ask(query("example.com.", dns::rrtype::kA, 9, e));
  ASSERT_TRUE(raw);
  const auto m = parse(*raw);
  ASSERT_TRUE(m.edns);
  EXPECT_EQ(m.rcode(), dns::rcode::kBadVers);
  EXPECT_EQ(m.edns->version, 0);
}

TEST_F(ServerTest, ClientsOutsideAllowAreRefused) {
  const std::string inside = "127.31.0.7";
  startDaemon("", "[" + inside + "/32, 127.32.0.0/16]");
  const auto q = query("example.com.", dns::rrtype::kA, 11);
  const auto refused = ask(q, "127.33.0.1");
  ASSERT_TRUE(refused);
  EXPECT_EQ(parse(*refused).rcode(), dns::rcode::kRefused);
  const auto served = ask(q, inside);
  ASSERT_TRUE(served);
  EXPECT_EQ(parse(*served).rcode(), dns::rcode::kServFail);
  const auto in_net = ask(q, "127.32.200.9");
  ASSERT_TRUE(in_net);
  EXPECT_EQ(parse(*in_net).rcode(), dns::rcode::kServFail);
}

TEST_F(ServerTest, OtherOpcodesGetNotimp) {
  startDaemon();
  // UPDATE is answered by the updater (update_test.cc); NOTIFY, STATUS and DSO are not served.
  for (uint8_t opcode : {dns::opcode::kNotify, uint8_t{2}, uint8_t{6}}) {
    auto q = query("example.com.", dns::rrtype::kSOA, 21);
    q[2] = static_cast<uint8_t>((q[2] & 0x87) | (opcode << 3));
    const auto raw = ask(q);
    ASSERT_TRUE(raw) << "opcode " << int{opcode};
    const auto m = parse(*raw);
    EXPECT_EQ(m.rcode(), dns::rcode::kNotImp);
    EXPECT_EQ(m.header.opcode, opcode);
    EXPECT_EQ(m.header.id, 21);
  }
  // An UPDATE for a zone this server does not have: NOTAUTH (RFC 2136 §3.1.2).
  auto update = query("example.com.", dns::rrtype::kSOA, 22);
  update[2] = static_cast<uint8_t>((update[2] & 0x87) | (dns::opcode::kUpdate << 3));
  const auto raw = ask(update);
  ASSERT_TRUE(raw);
  EXPECT_EQ(parse(*raw).rcode(), dns::rcode::kNotAuth);
}

TEST_F(ServerTest, MalformedWithReadableHeaderGetsFormerr) {
  startDaemon();
  auto q = query("example.com.", dns::rrtype::kA, 31);
  const std::vector<std::vector<uint8_t>> broken = {
      std::vector<uint8_t>(q.begin(), q.end() - 3),  // question cut short
      [&] {
        auto b = q;
        b[5] = 2;
        return b;
      }(),  // qdcount 2, one present
      [&] {
        auto b = q;
        b[12] = 64;
        return b;
      }(),  // label length 64
      [&] {
        auto b = q;
        b.push_back(0);
        return b;
      }(),  // trailing byte
      [&] {
        auto b = q;
        b[12] = 0xc0;
        b[13] = 12;
        return b;
      }(),  // pointer to itself
  };
  for (size_t i = 0; i < broken.size(); ++i) {
    const auto raw = ask(broken[i]);
    ASSERT_TRUE(raw) << "case " << i;
    const auto m = parse(*raw);
    EXPECT_EQ(m.rcode(), dns::rcode::kFormErr) << "case " << i;
    EXPECT_EQ(m.header.id, 31) << "case " << i;
  }
}

TEST_F(ServerTest, UnreadableHeadersAndResponsesAreDropped) {
  startDaemon();
  EXPECT_FALSE(udpExchange(addr_, kPort, {1, 2, 3, 4, 5}, "", std::chrono::milliseconds(300)));
  auto response = query("example.com.", dns::rrtype::kA, 41);
  response[2] |= 0x80;  // QR: answering a response could loop between two servers
  EXPECT_FALSE(udpExchange(addr_, kPort, response, "", std::chrono::milliseconds(300)));
  EXPECT_TRUE(ask(query("example.com.", dns::rrtype::kA, 42)));
}

// Replies to one recvmmsg batch leave together in one sendmmsg: each must still reach the
// socket that asked, with its own ID and question, and a datagram that gets no reply (a
// response, dropped) must not shift the others. The daemon is stopped (SIGSTOP) while 64
// clients send, so its one worker finds them all queued and reads them in full batches.
TEST_F(ServerTest, BatchedRepliesReachEachSenderWithItsOwnAnswer) {
  startDaemon("  workers: 1\n");
  ASSERT_TRUE(ask(query("warm.example.", dns::rrtype::kA, 1)));  // up and answering
  constexpr size_t kClients = 64;
  struct Client {
    int fd = -1;
    uint16_t id = 0;
    std::string name;
    bool answered_expected = true;
  };
  std::vector<Client> clients(kClients);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kPort);
  ASSERT_EQ(inet_pton(AF_INET, addr_.c_str(), &to.sin_addr), 1);
  daemon_->signal(SIGSTOP);
  for (size_t i = 0; i < kClients; ++i) {
    Client& c = clients[i];
    c.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(c.fd, 0);
    c.id = static_cast<uint16_t>(0x4000 + i);
    c.name = "q" + std::to_string(i) + ".batch.example.";
    std::vector<uint8_t> q = query(c.name, dns::rrtype::kA, c.id);
    if (i % 5 == 3) {  // a response: dropped unanswered
      q[2] |= 0x80;
      c.answered_expected = false;
    }
    ASSERT_EQ(
        ::sendto(c.fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(q.size()));
  }
  daemon_->signal(SIGCONT);
  size_t answered = 0, expected = 0;
  for (Client& c : clients) {
    if (c.answered_expected) ++expected;
    pollfd p{c.fd, POLLIN, 0};
    const bool readable = ::poll(&p, 1, c.answered_expected ? 3000 : 200) == 1;
    if (!c.answered_expected) {
      EXPECT_FALSE(readable) << c.name << ": a response must get no reply";
    } else if (readable) {
      std::vector<uint8_t> buf(4096);
      const ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
      ASSERT_GT(n, 0);
      buf.resize(static_cast<size_t>(n));
      const dns::Message m = parse(buf);
      EXPECT_EQ(m.header.id, c.id) << c.name;
      ASSERT_EQ(m.questions.size(), 1u) << c.name;
      EXPECT_TRUE(m.questions[0].name.identical(*dns::Name::fromText(c.name))) << c.name;
      ++answered;
    } else {
      ADD_FAILURE() << c.name << ": no reply";
    }
    ::close(c.fd);
  }
  EXPECT_EQ(answered, expected);
  EXPECT_EQ(expected, kClients - 13);  // i % 5 == 3 for 13 of 0..63
}

TEST_F(ServerTest, TcpAnswersPipelinedQueriesOnOneConnection) {
  startDaemon();
  TcpClient tcp(addr_, kPort);
  ASSERT_TRUE(tcp.connected());
  std::vector<uint8_t> burst;
  std::set<uint16_t> ids;
  for (uint16_t id = 100; id < 140; ++id) {
    const auto q = query("host" + std::to_string(id) + ".example.", dns::rrtype::kA, id);
    burst.push_back(static_cast<uint8_t>(q.size() >> 8));
    burst.push_back(static_cast<uint8_t>(q.size()));
    burst.insert(burst.end(), q.begin(), q.end());
    ids.insert(id);
  }
  ASSERT_TRUE(tcp.sendRaw(burst));  // all 40 queries in one write
  for (size_t i = 0; i < 40; ++i) {
    const auto raw = tcp.readFramed();
    ASSERT_TRUE(raw) << "reply " << i;
    const auto m = parse(*raw);
    EXPECT_EQ(ids.erase(m.header.id), 1u) << "unexpected or repeated id " << m.header.id;
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name.toText(), "host" + std::to_string(m.header.id) + ".example.");
  }
  EXPECT_TRUE(ids.empty());
}

TEST_F(ServerTest, TcpReassemblesAQuerySplitAcrossWrites) {
  startDaemon();
  TcpClient tcp(addr_, kPort);
  ASSERT_TRUE(tcp.connected());
  const auto q = query("split.example.", dns::rrtype::kTXT, 77, dns::Edns{});
  std::vector<uint8_t> framed{static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  for (uint8_t b : framed) {
    ASSERT_TRUE(tcp.sendRaw({b}));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto raw = tcp.readFramed();
  ASSERT_TRUE(raw);
  const auto m = parse(*raw);
  EXPECT_EQ(m.header.id, 77);
  EXPECT_TRUE(m.edns);
}

TEST_F(ServerTest, TcpIdleConnectionsAreClosed) {
  startDaemon("  tcp_idle_timeout_ms: 300\n");
  TcpClient tcp(addr_, kPort);
  ASSERT_TRUE(tcp.connected());
  ASSERT_TRUE(tcp.sendFramed(query("example.com.", dns::rrtype::kA, 1)));
  ASSERT_TRUE(tcp.readFramed());
  EXPECT_TRUE(tcp.waitClosed(std::chrono::seconds(5)));
}

TEST_F(ServerTest, TcpConnectionsBeyondTheCapAreClosed) {
  startDaemon("  tcp_max_connections: 2\n  workers: 1\n");
  TcpClient a(addr_, kPort), b(addr_, kPort);
  ASSERT_TRUE(a.sendFramed(query("a.example.", dns::rrtype::kA, 1)));
  ASSERT_TRUE(b.sendFramed(query("b.example.", dns::rrtype::kA, 2)));
  ASSERT_TRUE(a.readFramed());
  ASSERT_TRUE(b.readFramed());
  TcpClient c(addr_, kPort);
  ASSERT_TRUE(c.connected());  // the kernel accepts; vpcdns closes it
  c.sendFramed(query("c.example.", dns::rrtype::kA, 3));
  EXPECT_TRUE(c.waitClosed(std::chrono::seconds(5)));
  // The first two still work.
  ASSERT_TRUE(a.sendFramed(query("a2.example.", dns::rrtype::kA, 4)));
  EXPECT_TRUE(a.readFramed());
}

TEST_F(ServerTest, SurvivesTenThousandRandomAndMutatedDatagrams) {
  startDaemon();
  std::mt19937 rng(20261203);
  const auto valid = query("www.example.com.", dns::rrtype::kA, 5, dns::Edns{});
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> d;
    if (i % 2 == 0) {  // fully random, 0..600 bytes
      d.resize(rng() % 600);
      for (auto& b : d) b = static_cast<uint8_t>(rng());
    } else {  // a valid query with a few bytes flipped, cut or extended
      d = valid;
      for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
        d[rng() % d.size()] = static_cast<uint8_t>(rng());
      }
      if (rng() % 4 == 0) d.resize(rng() % d.size());
      if (rng() % 4 == 0) d.insert(d.end(), rng() % 40, static_cast<uint8_t>(rng()));
    }
    udpSend(addr_, kPort, d);
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The socket may still hold a backlog of garbage on a loaded machine: a few tries, 5 s at most.
  std::optional<std::vector<uint8_t>> raw;
  for (int attempt = 0; attempt < 5 && !raw; ++attempt) {
    raw = ask(query("after.example.", dns::rrtype::kA, 0x4242));
  }
  ASSERT_TRUE(raw) << "no answer after the garbage";
  EXPECT_EQ(parse(*raw).header.id, 0x4242);
}

TEST_F(ServerTest, SurvivesGarbageOverTcp) {
  startDaemon();
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    TcpClient tcp(addr_, kPort);
    std::vector<uint8_t> junk(rng() % 3000);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    tcp.sendRaw(junk);
  }
  TcpClient tcp(addr_, kPort);
  ASSERT_TRUE(tcp.sendFramed(query("after.example.", dns::rrtype::kA, 0x4343)));
  const auto raw = tcp.readFramed();
  ASSERT_TRUE(raw);
  EXPECT_EQ(parse(*raw).header.id, 0x4343);
}

TEST_F(ServerTest, SigtermStopsGracefully) {
  startDaemon();
  ASSERT_TRUE(ask(query("example.com.", dns::rrtype::kA, 1)));
  EXPECT_EQ(daemon_->terminate(), 0);
  EXPECT_NE(daemon_->stderrText().find("shutting down"), std::string::npos);
  daemon_.reset();
}

// The clients a network engineer uses.
TEST_F(ServerTest, DigAndKdigGetWellFormedAnswersOverUdpAndTcp) {
  startDaemon();
  const std::string port = std::to_string(kPort);
  for (const std::string transport : {"+notcp", "+tcp"}) {
    auto r = runCommand(
        {"dig", "@" + addr_, "-p", port, "example.com", transport, "+tries=1", "+time=2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("status: SERVFAIL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("EDNS: version: 0, flags:; udp: 1232"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("WARNING"), std::string::npos) << r.out;
    r = runCommand({"kdig", "@" + addr_, "-p", port, "example.com", transport, "+retry=0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("status: SERVFAIL"), std::string::npos) << r.out;
  }
}

TEST(ConfigCheck, ValidConfigPasses) {
  const auto r = runCommand({daemonBinary(), "--print-default-config"});
  ASSERT_EQ(r.exit_code, 0);
  const std::string path = ::testing::TempDir() + "/vpcdns-default.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f);
  std::fwrite(r.out.data(), 1, r.out.size(), f);
  std::fclose(f);
  const auto check = runCommand({daemonBinary(), "--check-config", path});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  std::remove(path.c_str());
}

TEST(ConfigCheck, BadConfigNamesFileLineColumnAndExitsNonZero) {
  const std::string path = ::testing::TempDir() + "/vpcdns-bad.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f);
  std::fputs("server:\n  listen:\n    - address: 127.0.0.1:99999\n  wokrers: 2\n", f);
  std::fclose(f);
  const auto r = runCommand({daemonBinary(), "--check-config", path});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(path + ":3:16:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path + ":4:3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wokrers"), std::string::npos) << r.err;
  // Serving with it fails the same way, before binding anything.
  const auto serve = runCommand({daemonBinary(), "--config", path});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE(serve.err.find(path + ":4:3:"), std::string::npos) << serve.err;
  std::remove(path.c_str());
}

TEST(ConfigCheck, EveryShippedExampleIsValid) {
  const std::string dir = std::string(VPCDNS_SOURCE_DIR) + "/deploy/examples";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const auto r = runCommand({daemonBinary(), "--check-config", entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace vpcdns::test
