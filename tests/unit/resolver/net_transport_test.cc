#include "resolver/net_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "dns/message.h"
#include "dns/types.h"

namespace vpcdns::resolver {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kServerWaitMs = 5000;  // how long a fake server waits for the transport

Bytes makeQuery(uint16_t id, std::string_view qname = "wWw.ExaMple.COM.",
                uint16_t type = dns::rrtype::kA) {
  dns::Message m;
  m.header.id = id;
  m.questions.push_back({dns::Name::fromText(qname).value(), type, dns::rrclass::kIN});
  return m.encode();
}

// The query echoed back with QR set and `rcode` (which tells replies apart in the tests).
Bytes makeReply(std::span<const uint8_t> query, uint8_t rcode = dns::rcode::kNoError) {
  Bytes r(query.begin(), query.end());
  if (r.size() < dns::kHeaderSize) return r;
  r[2] = static_cast<uint8_t>(r[2] | 0x80);
  r[3] = static_cast<uint8_t>((r[3] & 0xF0) | rcode);
  return r;
}

struct Datagram {
  Bytes data;
  sockaddr_storage from{};
  socklen_t from_len = 0;
  uint16_t fromPort() const { return SocketAddress::fromSockaddr(asSockaddr()).port(); }
  const sockaddr* asSockaddr() const { return reinterpret_cast<const sockaddr*>(&from); }
};

// A plain POSIX socket for the fake servers (in their own threads, away from the loop).
class Socket {
 public:
  Socket(int type, const SocketAddress& at) {
    sockaddr_storage ss;
    const socklen_t len = at.toSockaddr(ss);
    fd_ = ::socket(ss.ss_family, type, 0);
    if (fd_ < 0) return;
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 8) != 0)) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  SocketAddress address() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss));
  }
  bool readable(int timeout_ms) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  }

  std::optional<Datagram> receive(int timeout_ms = kServerWaitMs) const {
    if (!readable(timeout_ms)) return std::nullopt;
    Datagram d;
    d.data.resize(65536);
    d.from_len = sizeof d.from;
    const ssize_t n = ::recvfrom(fd_, d.data.data(), d.data.size(), 0,
                                 reinterpret_cast<sockaddr*>(&d.from), &d.from_len);
    if (n < 0) return std::nullopt;
    d.data.resize(static_cast<size_t>(n));
    return d;
  }
  void sendTo(std::span<const uint8_t> data, const Datagram& to) const {
    ::sendto(fd_, data.data(), data.size(), 0, to.asSockaddr(), to.from_len);
  }

  // TCP: the next connection, or nullptr.
  std::unique_ptr<Socket> accept(int timeout_ms = kServerWaitMs) const {
    if (!readable(timeout_ms)) return nullptr;
    const int fd = ::accept(fd_, nullptr, nullptr);
    return fd < 0 ? nullptr : std::make_unique<Socket>(fd);
  }
  bool readExactly(uint8_t* out, size_t n) const {
    while (n > 0) {
      if (!readable(kServerWaitMs)) return false;
      const ssize_t got = ::read(fd_, out, n);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  // One 2-byte-framed message (RFC 1035 §4.2.2).
  std::optional<Bytes> readFramed() const {
    uint8_t len[2];
    if (!readExactly(len, 2)) return std::nullopt;
    Bytes m(static_cast<size_t>(len[0] << 8 | len[1]));
    if (!readExactly(m.data(), m.size())) return std::nullopt;
    return m;
  }
  void write(std::span<const uint8_t> data) const {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }
  static Bytes framed(std::span<const uint8_t> m) {
    Bytes out{static_cast<uint8_t>(m.size() >> 8), static_cast<uint8_t>(m.size())};
    out.insert(out.end(), m.begin(), m.end());
    return out;
  }

 private:
  int fd_ = -1;
};

SocketAddress loopback(std::string_view ip = "127.0.0.1") {
  return SocketAddress(IpAddress::parse(ip).value(), 0);
}

// Runs a server script in a thread; joined on destruction (scripts always end: every wait in
// them is bounded).
class Script {
 public:
  explicit Script(std::function<void()> body) : thread_(std::move(body)) {}
  ~Script() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

class NetTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    loop_ready_ = true;
    transport_ = std::make_unique<NetTransport>(&loop_);
    // A watchdog, so that a transport that never finishes fails the test instead of hanging
    // it. Unreferenced: it does not keep the loop alive on its own.
    uv_timer_init(&loop_, &watchdog_);
    watchdog_.data = this;
    uv_timer_start(
        &watchdog_,
        [](uv_timer_t* t) {
          auto* self = static_cast<NetTransportTest*>(t->data);
          ADD_FAILURE() << "watchdog: the loop was still running after 20 s";
          self->transport_->close();
        },
        20000, 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog_));
  }

  void TearDown() override {
    if (!loop_ready_) return;
    transport_->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    transport_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void run() { uv_run(&loop_, UV_RUN_DEFAULT); }

  // Sends one query and runs the loop until every handle is closed.
  UpstreamResult exchange(const SocketAddress& server, std::span<const uint8_t> query,
                          bool tcp = false, uint32_t timeout_ms = 3000) {
    std::optional<UpstreamResult> result;
    int calls = 0;
    transport_->send(server, query, tcp, timeout_ms, [&](UpstreamResult&& r) {
      ++calls;
      result = std::move(r);
    });
    run();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(transport_->inFlight(), 0u);
    if (!result) {
      UpstreamResult none;
      none.error = UpstreamError::kTimeout;
      return none;
    }
    return std::move(*result);
  }

  uv_loop_t loop_;
  uv_timer_t watchdog_;
  bool loop_ready_ = false;
  std::unique_ptr<NetTransport> transport_;
};

TEST_F(NetTransportTest, AcceptsTheReply) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(0x1234);
  Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    EXPECT_EQ(q->data, query);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_GT(r.rtt_us, 0u);
  EXPECT_LT(r.rtt_us, 3000000u);
  EXPECT_EQ(transport_->stats().udp_sent, 1u);
  EXPECT_EQ(transport_->stats().ignored, 0u);
}

TEST_F(NetTransportTest, IgnoresAWrongIdAndWaitsForTheRightReply) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(0x4242);
  const Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    Bytes wrong = makeReply(q->data, dns::rcode::kRefused);
    wrong[1] ^= 1;
    server.sendTo(wrong, *q);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().ignored, 1u);
}

TEST_F(NetTransportTest, RepliesFromOtherAddressesOrPortsNeverArrive) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  // Same port on another loopback address, and another port on the same address.
  Socket other_address(
      SOCK_DGRAM, SocketAddress(IpAddress::parse("127.0.0.2").value(), server.address().port()));
  Socket other_port(SOCK_DGRAM, loopback());
  ASSERT_TRUE(other_address.ok());
  ASSERT_TRUE(other_port.ok());
  const Bytes query = makeQuery(7);
  const Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    // Perfect forgeries (right ID and question) but from the wrong places: the connected
    // socket never sees them.
    other_address.sendTo(makeReply(q->data, dns::rcode::kNXDomain), *q);
    other_port.sendTo(makeReply(q->data, dns::rcode::kRefused), *q);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().ignored, 0u);
}

TEST_F(NetTransportTest, IgnoresAQuestionInAnotherCase) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(99, "wWw.ExaMple.COM.");
  const Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    Bytes other_case = makeReply(q->data, dns::rcode::kNXDomain);
    other_case[13] ^= 0x20;  // "WWw.ExaMple.COM."
    server.sendTo(other_case, *q);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().ignored, 1u);
}

TEST_F(NetTransportTest, IgnoresGarbage) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(0xBEEF);
  const Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    server.sendTo(Bytes{1, 2, 3, 4, 5}, *q);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().ignored, 1u);
}

TEST_F(NetTransportTest, IgnoresEveryKindOfNearMiss) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(0x0102, "a.example.", dns::rrtype::kAAAA);
  const Bytes reply = makeReply(query);
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    server.sendTo(Bytes{}, *q);                                   // empty
    server.sendTo(Bytes(query.begin(), query.begin() + 11), *q);  // short of a header
    server.sendTo(query, *q);                                     // QR clear: our own query echoed
    server.sendTo(makeReply(makeQuery(0x0102, "b.example.", dns::rrtype::kAAAA)), *q);
    server.sendTo(makeReply(makeQuery(0x0102, "a.example.", dns::rrtype::kA)), *q);
    Bytes no_question = makeReply(q->data);
    no_question[5] = 0;  // QDCOUNT 0
    no_question.resize(12);
    server.sendTo(no_question, *q);
    Bytes two_questions = makeReply(q->data);
    two_questions[5] = 2;
    server.sendTo(two_questions, *q);
    Bytes cut = makeReply(q->data);
    cut.pop_back();  // the question's class cut short
    server.sendTo(cut, *q);
    server.sendTo(reply, *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().ignored, 8u);
}

TEST_F(NetTransportTest, TimesOutOnSilence) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(5);
  Script script([&] { (void)server.receive(); });  // and never answers
  const auto start = std::chrono::steady_clock::now();
  UpstreamResult r = exchange(server.address(), query, false, 150);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.error, UpstreamError::kTimeout);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_GE(r.rtt_us, 140000u);
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_EQ(transport_->stats().timeouts, 1u);
}

TEST_F(NetTransportTest, ClosedUdpPortIsANetworkError) {
  SocketAddress closed;
  {
    Socket probe(SOCK_DGRAM, loopback());
    ASSERT_TRUE(probe.ok());
    closed = probe.address();
  }  // closed: the kernel answers with ICMP port unreachable
  UpstreamResult r = exchange(closed, makeQuery(6), false, 5000);
  EXPECT_EQ(r.error, UpstreamError::kNetwork);
  EXPECT_EQ(transport_->stats().network_errors, 1u);
  EXPECT_EQ(transport_->stats().timeouts, 0u);
}

TEST_F(NetTransportTest, EachQueryHasItsOwnSocketAndReply) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes q1 = makeQuery(1001, "one.example.");
  const Bytes q2 = makeQuery(1002, "two.example.");
  std::vector<uint16_t> ports;
  Script script([&] {
    auto a = server.receive();
    auto b = server.receive();
    if (!a || !b) return;
    ports = {a->fromPort(), b->fromPort()};
    // First each reply to the other query's socket (same server address and port, so the
    // kernel delivers it and the ID check rejects it), then each to its own, in reverse order.
    server.sendTo(makeReply(b->data), *a);
    server.sendTo(makeReply(a->data), *b);
    server.sendTo(makeReply(b->data), *b);
    server.sendTo(makeReply(a->data), *a);
  });
  std::optional<UpstreamResult> r1, r2;
  const uint64_t h1 =
      transport_->send(server.address(), q1, false, 3000, [&](auto&& r) { r1 = std::move(r); });
  const uint64_t h2 =
      transport_->send(server.address(), q2, false, 3000, [&](auto&& r) { r2 = std::move(r); });
  EXPECT_NE(h1, h2);
  EXPECT_EQ(transport_->inFlight(), 2u);
  run();
  script.join();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->error, UpstreamError::kNone);
  EXPECT_EQ(r2->error, UpstreamError::kNone);
  EXPECT_EQ(r1->reply, makeReply(q1));
  EXPECT_EQ(r2->reply, makeReply(q2));
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_NE(ports[0], ports[1]);
  EXPECT_EQ(transport_->stats().ignored, 2u);
}

TEST_F(NetTransportTest, CallbacksNeverRunInsideSend) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  const Bytes query = makeQuery(77);
  Script script([&] {
    auto q = server.receive();
    if (q) server.sendTo(makeReply(q->data), *q);
  });
  bool inside_send = false;
  int calls = 0;
  std::vector<UpstreamError> errors;
  auto callback = [&](UpstreamResult&& r) {
    EXPECT_FALSE(inside_send);
    ++calls;
    errors.push_back(r.error);
  };
  inside_send = true;
  transport_->send(server.address(), query, false, 3000, callback);
  // Failures known at once: no address, not a query with one question, nothing to connect to.
  transport_->send(SocketAddress(), query, false, 3000, callback);
  transport_->send(SocketAddress(), query, true, 3000, callback);
  transport_->send(server.address(), Bytes{1, 2, 3, 4, 5}, false, 3000, callback);
  transport_->send(server.address(), Bytes(12, 0), true, 3000, callback);
  inside_send = false;
  EXPECT_EQ(calls, 0);
  run();
  EXPECT_EQ(calls, 5);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(std::count(errors.begin(), errors.end(), UpstreamError::kNetwork), 4);
  EXPECT_EQ(std::count(errors.begin(), errors.end(), UpstreamError::kNone), 1);
  EXPECT_EQ(transport_->stats().network_errors, 4u);
}

TEST_F(NetTransportTest, CancelledQueriesNeverCallBack) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  Script script([&] {
    auto q = server.receive();
    if (!q) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.sendTo(makeReply(q->data), *q);  // too late: the query is gone
  });
  int calls = 0;
  // One cancelled at once, one from the loop while it waits for the reply.
  const uint64_t now =
      transport_->send(server.address(), makeQuery(1), false, 3000, [&](auto&&) { ++calls; });
  transport_->cancel(now);
  transport_->cancel(now);     // twice: ignored
  transport_->cancel(123456);  // unknown: ignored
  const uint64_t later =
      transport_->send(server.address(), makeQuery(2), false, 3000, [&](auto&&) { ++calls; });
  uv_timer_t timer;
  uv_timer_init(&loop_, &timer);
  struct Ctx {
    NetTransport* t;
    uint64_t h;
  } ctx{transport_.get(), later};
  timer.data = &ctx;
  uv_timer_start(
      &timer,
      [](uv_timer_t* t) {
        auto* c = static_cast<Ctx*>(t->data);
        c->t->cancel(c->h);
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      30, 0);
  const auto start = std::chrono::steady_clock::now();
  run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(transport_->inFlight(), 0u);
  script.join();
  EXPECT_EQ(transport_->stats().timeouts, 0u);
  EXPECT_EQ(transport_->stats().network_errors, 0u);
}

TEST_F(NetTransportTest, CloseCancelsEverythingAndTheLoopCloses) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  Socket tcp_server(SOCK_STREAM, loopback());
  ASSERT_TRUE(tcp_server.ok());
  int calls = 0;
  for (uint16_t id = 1; id <= 3; ++id) {
    transport_->send(server.address(), makeQuery(id), false, 3000, [&](auto&&) { ++calls; });
  }
  transport_->send(tcp_server.address(), makeQuery(4), true, 3000, [&](auto&&) { ++calls; });
  transport_->send(SocketAddress(), makeQuery(5), false, 3000, [&](auto&&) { ++calls; });
  EXPECT_EQ(transport_->inFlight(), 5u);
  transport_->close();
  EXPECT_EQ(transport_->inFlight(), 0u);
  run();
  EXPECT_EQ(calls, 0);
  // TearDown checks that uv_loop_close() returns 0, i.e. every handle was closed.
}

TEST_F(NetTransportTest, DestroyingTheTransportClosesItsQueries) {
  int calls = 0;
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  transport_->send(server.address(), makeQuery(1), false, 3000, [&](auto&&) { ++calls; });
  transport_ = std::make_unique<NetTransport>(&loop_);  // the old one goes before the loop runs
  run();
  EXPECT_EQ(calls, 0);
}

TEST_F(NetTransportTest, CallbackMaySendAgain) {
  Socket server(SOCK_DGRAM, loopback());
  ASSERT_TRUE(server.ok());
  Script script([&] {
    for (int i = 0; i < 2; ++i) {
      auto q = server.receive();
      if (q) server.sendTo(makeReply(q->data), *q);
    }
  });
  std::vector<UpstreamError> results;
  transport_->send(server.address(), makeQuery(1), false, 3000, [&](UpstreamResult&& r) {
    results.push_back(r.error);
    transport_->send(server.address(), makeQuery(2), false, 3000,
                     [&](UpstreamResult&& r2) { results.push_back(r2.error); });
  });
  run();
  EXPECT_EQ(results, (std::vector<UpstreamError>{UpstreamError::kNone, UpstreamError::kNone}));
}

TEST_F(NetTransportTest, TcpQueryAndFramedReply) {
  Socket listener(SOCK_STREAM, loopback());
  ASSERT_TRUE(listener.ok());
  const Bytes query = makeQuery(0x5151);
  Bytes reply = makeReply(query);
  reply.resize(3000, 0xAB);  // longer than the first read
  Script script([&] {
    auto conn = listener.accept();
    if (!conn) return;
    auto q = conn->readFramed();
    if (!q) return;
    EXPECT_EQ(*q, query);
    // In pieces: the length split in two, then the message.
    const Bytes framed = Socket::framed(reply);
    conn->write(std::span(framed).first(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    conn->write(std::span(framed).subspan(1, 10));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    conn->write(std::span(framed).subspan(11));
  });
  UpstreamResult r = exchange(listener.address(), query, true);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, reply);
  EXPECT_EQ(transport_->stats().tcp_sent, 1u);
  EXPECT_EQ(transport_->stats().udp_sent, 0u);
}

TEST_F(NetTransportTest, TcpReplyWithWrongIdIsANetworkError) {
  Socket listener(SOCK_STREAM, loopback());
  ASSERT_TRUE(listener.ok());
  const Bytes query = makeQuery(0x6000);
  Script script([&] {
    auto conn = listener.accept();
    if (!conn) return;
    auto q = conn->readFramed();
    if (!q) return;
    Bytes wrong = makeReply(*q);
    wrong[0] ^= 0x80;
    conn->write(Socket::framed(wrong));
    (void)conn->readable(1000);  // until the transport hangs up
  });
  UpstreamResult r = exchange(listener.address(), query, true);
  EXPECT_EQ(r.error, UpstreamError::kNetwork);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(transport_->stats().network_errors, 1u);
}

TEST_F(NetTransportTest, TcpHangUpBeforeTheWholeReplyIsANetworkError) {
  Socket listener(SOCK_STREAM, loopback());
  ASSERT_TRUE(listener.ok());
  const Bytes query = makeQuery(0x6001);
  Script script([&] {
    auto conn = listener.accept();
    if (!conn) return;
    auto q = conn->readFramed();
    if (!q) return;
    const Bytes framed = Socket::framed(makeReply(*q));
    conn->write(std::span(framed).first(framed.size() - 3));
  });  // closed here
  UpstreamResult r = exchange(listener.address(), query, true);
  EXPECT_EQ(r.error, UpstreamError::kNetwork);
}

TEST_F(NetTransportTest, TcpConnectionRefusedIsANetworkError) {
  SocketAddress closed;
  {
    Socket probe(SOCK_STREAM, loopback());
    ASSERT_TRUE(probe.ok());
    closed = probe.address();
  }
  UpstreamResult r = exchange(closed, makeQuery(8), true);
  EXPECT_EQ(r.error, UpstreamError::kNetwork);
  EXPECT_EQ(transport_->stats().network_errors, 1u);
}

TEST_F(NetTransportTest, TcpTimeoutCoversTheWholeExchange) {
  Socket listener(SOCK_STREAM, loopback());  // accepts (the kernel does) but never answers
  ASSERT_TRUE(listener.ok());
  UpstreamResult r = exchange(listener.address(), makeQuery(9), true, 150);
  EXPECT_EQ(r.error, UpstreamError::kTimeout);
  EXPECT_GE(r.rtt_us, 140000u);
  EXPECT_EQ(transport_->stats().timeouts, 1u);
}

TEST_F(NetTransportTest, WorksOverIpv6) {
  Socket server(SOCK_DGRAM, loopback("::1"));
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback";
  const Bytes query = makeQuery(0x6666);
  Script script([&] {
    auto q = server.receive();
    if (q) server.sendTo(makeReply(q->data), *q);
  });
  UpstreamResult r = exchange(server.address(), query);
  EXPECT_EQ(r.error, UpstreamError::kNone);
  EXPECT_EQ(r.reply, makeReply(query));
}

}  // namespace
}  // namespace vpcdns::resolver
