#include "forwarder/forwarder.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/types.h"
#include "fake_upstream.h"

namespace vpcdns::forwarder {
namespace {

using testing::BigMode;
using testing::Bytes;
using testing::FakeUpstream;
using testing::ReceivedQuery;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kNoProbes = 600000;  // a probe interval longer than any test

dns::Question question(const char* name, uint16_t type = dns::rrtype::kA) {
  return {dns::Name::fromText(name).value(), type, dns::rrclass::kIN};
}

uint16_t idOf(const Bytes& m) {
  return m.size() < 2 ? 0 : static_cast<uint16_t>(m[0] << 8 | m[1]);
}

dns::Message parse(const Bytes& m) {
  auto parsed = dns::Message::parse(m);
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? std::move(parsed).value() : dns::Message{};
}

int64_t msSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// An address nobody listens on: the kernel answers with ICMP port unreachable.
SocketAddress closedPort() {
  const SocketAddress at(IpAddress::parse(testing::randomLoopback()).value(), 0);
  sockaddr_storage ss;
  const socklen_t len = at.toSockaddr(ss);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len);
  socklen_t got = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got);
  ::close(fd);
  return SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss));
}

ForwardPolicy policy(std::vector<SocketAddress> targets, Selection selection = Selection::kOrder,
                     uint32_t timeout_ms = 1000) {
  ForwardPolicy p;
  p.targets = std::move(targets);
  p.selection = selection;
  p.timeout_ms = timeout_ms;
  return p;
}

class ForwarderTest : public ::testing::Test {
 protected:
  void start(uint32_t threshold = 3, uint32_t probe_interval_ms = kNoProbes) {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    loop_ready_ = true;
    HealthOptions o;
    o.failure_threshold = threshold;
    o.probe_interval_ms = probe_interval_ms;
    registry_ = std::make_unique<HealthRegistry>(std::move(o));
    fwd_ = std::make_unique<Forwarder>(&loop_, *registry_);
    // Keeps the loop turning while runUntil() waits (probes alone do not).
    uv_timer_init(&loop_, &ticker_);
  }

  void TearDown() override {
    if (!loop_ready_) return;
    for (auto& f : extra_) f->close();
    fwd_->close();
    EXPECT_EQ(fwd_->inFlight(), 0u);
    EXPECT_EQ(fwd_->channelCount(), 0u);
    uv_close(reinterpret_cast<uv_handle_t*>(&ticker_), nullptr);
    const auto start = Clock::now();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_LT(msSince(start), 2000) << "closing waited for something";
    fwd_.reset();
    extra_.clear();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Runs the loop until `done()` or `timeout_ms`; returns done().
  bool runUntil(const std::function<bool()>& done, int64_t timeout_ms) {
    uv_timer_start(
        &ticker_, [](uv_timer_t*) {}, 5, 5);
    const auto start = Clock::now();
    while (!done() && msSince(start) < timeout_ms) uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&ticker_);
    return done();
  }

  // One forward(), run to its result; checks the callback came once and not inside forward().
  ForwardResult forwardOne(Forwarder& f, const ForwardPolicy& p, const dns::Question& q,
                           bool cd = false) {
    std::optional<ForwardResult> result;
    int calls = 0;
    f.forward(p, q, cd, [&](ForwardResult&& r) {
      ++calls;
      result = std::move(r);
    });
    EXPECT_EQ(calls, 0) << "callback ran inside forward()";
    EXPECT_TRUE(runUntil([&] { return calls > 0; }, 10000));
    EXPECT_EQ(calls, 1);
    return result ? std::move(*result) : ForwardResult{};
  }
  ForwardResult forwardOne(const ForwardPolicy& p, const dns::Question& q, bool cd = false) {
    return forwardOne(*fwd_, p, q, cd);
  }

  uv_loop_t loop_;
  uv_timer_t ticker_;
  bool loop_ready_ = false;
  std::unique_ptr<HealthRegistry> registry_;
  std::unique_ptr<Forwarder> fwd_;
  std::vector<std::unique_ptr<Forwarder>> extra_;  // more workers on the same loop
};

TEST_F(ForwarderTest, DeliversTheReplyWithTheIdWeSent) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  const ForwardResult r = forwardOne(policy({up.address()}), question("www.corp.example."));
  ASSERT_EQ(r.status, ForwardResult::Status::kReply);
  EXPECT_EQ(r.target, up.address());
  EXPECT_EQ(r.attempts, 1u);
  const auto received = up.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(idOf(r.reply), idOf(received[0].wire));
  const dns::Message m = parse(r.reply);
  EXPECT_TRUE(m.header.qr);
  EXPECT_EQ(m.rcode(), dns::rcode::kNoError);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(dns::rdataToText(dns::rrtype::kA, m.answer[0].rdata), up.address().ip().toString());
  EXPECT_EQ(fwd_->stats().queries, 1u);
  EXPECT_EQ(fwd_->stats().replies, 1u);
  EXPECT_GT(registry_->get(up.address())->srttUs(), 0u);
}

TEST_F(ForwarderTest, SendsAFreshQueryWithRdCdAndEdns) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  std::set<uint16_t> ids;
  for (bool cd : {true, false, true, false}) {
    const ForwardResult r =
        forwardOne(policy({up.address()}), question("WwW.Example.COM.", dns::rrtype::kAAAA), cd);
    ASSERT_EQ(r.status, ForwardResult::Status::kReply);
    const ReceivedQuery sent = up.received().back();
    ids.insert(idOf(sent.wire));
    const dns::Message q = parse(sent.wire);
    EXPECT_FALSE(q.header.qr);
    EXPECT_EQ(q.header.opcode, dns::opcode::kQuery);
    EXPECT_TRUE(q.header.rd);
    EXPECT_EQ(q.header.cd, cd);
    EXPECT_FALSE(q.header.ad);
    ASSERT_EQ(q.questions.size(), 1u);
    EXPECT_TRUE(q.questions[0].name.identical(dns::Name::fromText("WwW.Example.COM.").value()));
    EXPECT_EQ(q.questions[0].type, dns::rrtype::kAAAA);
    ASSERT_TRUE(q.edns.has_value());
    EXPECT_EQ(q.edns->udp_size, kUpstreamEdnsSize);
    EXPECT_FALSE(q.edns->do_bit);
    EXPECT_TRUE(q.edns->options.empty());
    EXPECT_TRUE(q.additional.empty());
    // The OPT RR is the last 11 octets (what c-ares' FORMERR fallback cuts off).
    const Bytes opt_tail{0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
    ASSERT_GE(sent.wire.size(), opt_tail.size());
    EXPECT_EQ(Bytes(sent.wire.end() - 11, sent.wire.end()), opt_tail);
  }
  EXPECT_GT(ids.size(), 1u) << "the same ID four times";
}

TEST_F(ForwarderTest, EveryRcodeIsAReplyAndASuccess) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  for (uint16_t rcode : {dns::rcode::kNXDomain, dns::rcode::kServFail, dns::rcode::kRefused}) {
    up.setRcode(static_cast<uint8_t>(rcode));
    const ForwardResult r = forwardOne(policy({up.address()}), question("x.corp.example."));
    ASSERT_EQ(r.status, ForwardResult::Status::kReply) << rcode;
    EXPECT_EQ(parse(r.reply).rcode(), rcode);
    EXPECT_EQ(idOf(r.reply), idOf(up.received().back().wire));
  }
  auto state = registry_->get(up.address());
  EXPECT_TRUE(state->up());
  EXPECT_EQ(state->consecutiveFailures(), 0u);
  EXPECT_EQ(fwd_->stats().replies, 3u);
  EXPECT_EQ(up.queries(), 3u);  // no failover: SERVFAIL and REFUSED are answers
}

TEST_F(ForwarderTest, SilentTargetCostsOneTimeoutThenIsSkipped) {
  start(/*threshold=*/3);
  FakeUpstream silent, good;
  ASSERT_TRUE(silent.ok() && good.ok());
  silent.setSilent(true);
  const ForwardPolicy p = policy({silent.address(), good.address()}, Selection::kOrder, 200);
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    const ForwardResult r = forwardOne(p, question("a.corp.example."));
    EXPECT_LT(msSince(start), 2000);  // one 200 ms timeout, then the answer
    ASSERT_EQ(r.status, ForwardResult::Status::kReply);
    EXPECT_EQ(r.target, good.address());
    EXPECT_EQ(r.attempts, 2u);
  }
  auto state = registry_->get(silent.address());
  EXPECT_FALSE(state->up());
  EXPECT_EQ(silent.queries(), 3u);
  for (int i = 0; i < 5; ++i) {
    const ForwardResult r = forwardOne(p, question("b.corp.example."));
    ASSERT_EQ(r.status, ForwardResult::Status::kReply);
    EXPECT_EQ(r.target, good.address());
    EXPECT_EQ(r.attempts, 1u);
  }
  EXPECT_EQ(silent.queries(), 3u);  // not one more query once down
  EXPECT_EQ(silent.probes(), 0u);
  EXPECT_EQ(good.queries(), 8u);
  EXPECT_EQ(fwd_->stats().timeouts, 3u);
  EXPECT_EQ(fwd_->stats().replies, 8u);
  // The same, in the counters /metrics reads: one RTT sample per reply, none per timeout.
  EXPECT_EQ(fwd_->counters().timeouts.get(), 3u);
  EXPECT_EQ(fwd_->counters().replies.get(), 8u);
  EXPECT_EQ(fwd_->counters().errors.get(), 0u);
  uint64_t samples = 0;
  for (const auto& b : fwd_->counters().rtt.buckets) samples += b.get();
  EXPECT_EQ(samples, 8u);
}

TEST_F(ForwarderTest, EveryTargetFailingIsKFailed) {
  start(/*threshold=*/5);
  FakeUpstream a, b;
  ASSERT_TRUE(a.ok() && b.ok());
  a.setSilent(true);
  b.setSilent(true);
  const ForwardResult r =
      forwardOne(policy({a.address(), b.address()}, Selection::kRtt, 150), question("c.corp."));
  EXPECT_EQ(r.status, ForwardResult::Status::kFailed);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(a.queries(), 1u);
  EXPECT_EQ(b.queries(), 1u);
  EXPECT_EQ(fwd_->stats().timeouts, 2u);
}

TEST_F(ForwarderTest, ProbeBringsARecoveredTargetBack) {
  start(/*threshold=*/2, /*probe_interval_ms=*/200);
  FakeUpstream primary, backup;
  ASSERT_TRUE(primary.ok() && backup.ok());
  primary.setSilent(true);
  const ForwardPolicy p = policy({primary.address(), backup.address()}, Selection::kOrder, 150);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(forwardOne(p, question("a.corp.example.")).target, backup.address());
  }
  auto state = registry_->get(primary.address());
  ASSERT_FALSE(state->up());
  EXPECT_EQ(forwardOne(p, question("b.corp.example.")).target, backup.address());

  primary.setSilent(false);
  EXPECT_TRUE(runUntil([&] { return state->up(); }, 5000)) << "no probe brought it back";
  EXPECT_GE(primary.probes(), 1u);
  EXPECT_GE(fwd_->stats().probes, 1u);
  EXPECT_EQ(primary.queries(), 2u);  // only probes while it was down

  const ForwardResult r = forwardOne(p, question("c.corp.example."));
  EXPECT_EQ(r.target, primary.address());  // kOrder: the primary again
  EXPECT_EQ(r.attempts, 1u);
}

TEST_F(ForwarderTest, OneProbePerIntervalAcrossWorkers) {
  start(/*threshold=*/1, /*probe_interval_ms=*/200);
  extra_.push_back(std::make_unique<Forwarder>(&loop_, *registry_));
  Forwarder& other = *extra_.back();
  FakeUpstream dead, good;
  ASSERT_TRUE(dead.ok() && good.ok());
  dead.setSilent(true);
  const ForwardPolicy p = policy({dead.address(), good.address()}, Selection::kOrder, 100);
  EXPECT_EQ(forwardOne(*fwd_, p, question("a.corp.")).attempts, 2u);  // marks it down
  EXPECT_EQ(forwardOne(other, p, question("b.corp.")).attempts, 1u);  // the other worker knows
  const auto start = Clock::now();
  runUntil([] { return false; }, 1200);
  // Let the fake catch up with the last probe sent.
  auto sent = [&] { return fwd_->stats().probes + other.stats().probes; };
  EXPECT_TRUE(runUntil([&] { return dead.probes() == sent(); }, 1000));
  const int64_t elapsed = msSince(start);
  const size_t probes = dead.probes();
  EXPECT_GE(probes, 2u);
  // One per 200 ms interval whoever sends it; each worker probing on its own would double it.
  EXPECT_LE(probes, static_cast<size_t>(elapsed / 200 + 2));
  EXPECT_EQ(dead.queries(), 1u);
  EXPECT_EQ(good.probes(), 0u);  // an up target is never probed
}

TEST_F(ForwarderTest, AllTargetsDownFailsFastWithoutTraffic) {
  start(/*threshold=*/3);
  FakeUpstream a, b;
  ASSERT_TRUE(a.ok() && b.ok());
  for (const FakeUpstream* f : {&a, &b}) {
    auto state = registry_->get(f->address());
    for (int i = 0; i < 3; ++i) state->reportFailure();
    ASSERT_FALSE(state->up());
  }
  const auto start = Clock::now();
  const ForwardResult r =
      forwardOne(policy({a.address(), b.address()}, Selection::kRtt, 5000), question("x.corp."));
  EXPECT_LT(msSince(start), 1000);
  EXPECT_EQ(r.status, ForwardResult::Status::kAllDown);
  EXPECT_EQ(r.attempts, 0u);
  runUntil([] { return false; }, 100);  // anything sent would have arrived by now
  EXPECT_TRUE(a.received().empty());
  EXPECT_TRUE(b.received().empty());
  EXPECT_EQ(fwd_->stats().all_down, 1u);
  EXPECT_EQ(fwd_->channelCount(), 0u);
}

TEST_F(ForwarderTest, NoTargetsIsAllDown) {
  start();
  EXPECT_EQ(forwardOne(policy({}), question("x.corp.")).status, ForwardResult::Status::kAllDown);
}

TEST_F(ForwarderTest, ClosedPortFailsOverAtOnce) {
  start();
  FakeUpstream good;
  ASSERT_TRUE(good.ok());
  const SocketAddress closed = closedPort();
  const auto start = Clock::now();
  const ForwardResult r =
      forwardOne(policy({closed, good.address()}, Selection::kOrder, 5000), question("a.corp."));
  EXPECT_LT(msSince(start), 2500);  // well under the 5 s timeout
  ASSERT_EQ(r.status, ForwardResult::Status::kReply);
  EXPECT_EQ(r.target, good.address());
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_EQ(fwd_->stats().errors, 1u);
  EXPECT_EQ(fwd_->stats().timeouts, 0u);
  EXPECT_EQ(registry_->get(closed)->consecutiveFailures(), 1u);
}

TEST_F(ForwarderTest, RttSelectionPrefersTheFasterTarget) {
  start();
  FakeUpstream slow, fast;
  ASSERT_TRUE(slow.ok() && fast.ok());
  slow.setDelayMs(50);
  const ForwardPolicy p = policy({slow.address(), fast.address()}, Selection::kRtt, 2000);
  int from_slow = 0, from_fast = 0;
  for (int i = 0; i < 60; ++i) {
    const ForwardResult r = forwardOne(p, question("q.corp.example."));
    ASSERT_EQ(r.status, ForwardResult::Status::kReply);
    ++(r.target == fast.address() ? from_fast : from_slow);
  }
  EXPECT_GE(from_slow, 1);   // never heard from: tried first
  EXPECT_GE(from_fast, 45);  // then the faster one, but for ~5% exploration
  EXPECT_GT(registry_->get(slow.address())->srttUs(), registry_->get(fast.address())->srttUs());
}

TEST_F(ForwarderTest, OrderSelectionUsesThePrimaryWhileItIsUp) {
  start();
  FakeUpstream primary, backup;
  ASSERT_TRUE(primary.ok() && backup.ok());
  primary.setDelayMs(20);  // slower, but first in the list
  const ForwardPolicy p = policy({primary.address(), backup.address()}, Selection::kOrder);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(forwardOne(p, question("q.corp.")).target, primary.address());
  }
  EXPECT_EQ(backup.queries(), 0u);
}

TEST_F(ForwarderTest, SendsFromTheConfiguredSourceAddress) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  ForwardPolicy p = policy({up.address()});
  IpAddress source = IpAddress::parse(testing::randomLoopback()).value();
  while (source == up.address().ip()) source = IpAddress::parse(testing::randomLoopback()).value();
  p.source = source;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(forwardOne(p, question("s.corp.")).status, ForwardResult::Status::kReply);
  }
  for (const ReceivedQuery& q : up.received()) EXPECT_EQ(q.from.ip(), source);

  // The same target without a source gets its own channel and the kernel's address.
  ASSERT_EQ(forwardOne(policy({up.address()}), question("t.corp.")).status,
            ForwardResult::Status::kReply);
  EXPECT_NE(up.received().back().from.ip(), source);
}

TEST_F(ForwarderTest, SourceOfTheOtherFamilySkipsTheTarget) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  ForwardPolicy p = policy({up.address()});
  p.source = IpAddress::parse("::1").value();
  const ForwardResult r = forwardOne(p, question("s.corp."));
  EXPECT_EQ(r.status, ForwardResult::Status::kFailed);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_TRUE(up.received().empty());
  EXPECT_EQ(registry_->get(up.address())->consecutiveFailures(), 0u);  // not its fault
  EXPECT_EQ(fwd_->stats().errors, 1u);
}

TEST_F(ForwarderTest, TruncatedUdpReplyIsCompletedOverTcp) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  up.setBig(BigMode::kTruncateUdp);
  const ForwardResult r =
      forwardOne(policy({up.address()}), question("big.corp.example.", dns::rrtype::kTXT));
  ASSERT_EQ(r.status, ForwardResult::Status::kReply);
  EXPECT_GT(r.reply.size(), 3000u);
  const dns::Message m = parse(r.reply);
  EXPECT_FALSE(m.header.tc);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(std::get<dns::RdataTxt>(m.answer[0].rdata).strings.size(), testing::kBigTxtStrings);
  const auto received = up.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_FALSE(received[0].tcp);
  EXPECT_TRUE(received[1].tcp);
  EXPECT_EQ(idOf(r.reply), idOf(received[1].wire));
}

TEST_F(ForwarderTest, BigUdpReplyIsTakenAsItIs) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  up.setBig(BigMode::kWholeUdp);
  const ForwardResult r =
      forwardOne(policy({up.address()}), question("big.corp.example.", dns::rrtype::kTXT));
  ASSERT_EQ(r.status, ForwardResult::Status::kReply);
  EXPECT_GT(r.reply.size(), 3000u);
  const auto received = up.received();
  ASSERT_EQ(received.size(), 1u);  // no TCP retry for a reply over 512 octets
  EXPECT_FALSE(received[0].tcp);
}

TEST_F(ForwarderTest, FormerrWithoutOptIsRetriedWithoutEdnsAsAValidQuery) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  up.setFormerrToEdns(true);  // an old server that does not know EDNS
  const ForwardResult r = forwardOne(policy({up.address()}), question("old.corp."));
  ASSERT_EQ(r.status, ForwardResult::Status::kReply);
  EXPECT_EQ(parse(r.reply).rcode(), dns::rcode::kNoError);
  const auto received = up.received();
  ASSERT_EQ(received.size(), 2u);
  const dns::Message retry = parse(received[1].wire);  // strict: no trailing garbage
  EXPECT_FALSE(retry.edns.has_value());
  EXPECT_EQ(retry.header.arcount, 0u);
  EXPECT_TRUE(retry.questions[0].name == dns::Name::fromText("old.corp.").value());
}

TEST_F(ForwarderTest, DuplicateTargetsAreTriedOnce) {
  start(/*threshold=*/10);
  FakeUpstream silent;
  ASSERT_TRUE(silent.ok());
  silent.setSilent(true);
  const ForwardResult r = forwardOne(
      policy({silent.address(), silent.address()}, Selection::kOrder, 100), question("d.corp."));
  EXPECT_EQ(r.status, ForwardResult::Status::kFailed);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(silent.queries(), 1u);
}

TEST_F(ForwarderTest, ChannelIsReplacedUnderSteadyLoad) {
  start(/*threshold=*/10);
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  up.setIgnoredName("hold.corp.");
  const ForwardPolicy p = policy({up.address()}, Selection::kOrder, 1500);
  // One query left unanswered keeps the first channel busy, so c-ares keeps its UDP socket.
  std::optional<ForwardResult> held;
  fwd_->forward(p, question("hold.corp."), false, [&](ForwardResult&& r) { held = std::move(r); });
  const size_t n = kQueriesPerChannel + 20;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(forwardOne(p, question("n.corp.")).status, ForwardResult::Status::kReply);
  }
  std::vector<uint16_t> ports;
  for (const ReceivedQuery& q : up.received()) ports.push_back(q.from.port());
  ASSERT_EQ(ports.size(), n + 1);
  // The first channel carried kQueriesPerChannel queries (the held one included) from one port.
  for (size_t i = 1; i < kQueriesPerChannel; ++i) EXPECT_EQ(ports[i], ports[0]) << i;
  EXPECT_NE(ports[kQueriesPerChannel], ports[0]);
  EXPECT_EQ(fwd_->channelCount(), 2u);  // the retired one waits for its last query
  ASSERT_TRUE(runUntil([&] { return held.has_value(); }, 5000));
  EXPECT_EQ(held->status, ForwardResult::Status::kFailed);
  EXPECT_EQ(fwd_->channelCount(), 1u);  // then it is gone
}

TEST_F(ForwarderTest, CloseWithQueriesInFlightCallsNoCallback) {
  start();
  FakeUpstream silent, closed_target;
  ASSERT_TRUE(silent.ok() && closed_target.ok());
  silent.setSilent(true);
  int calls = 0;
  for (int i = 0; i < 5; ++i) {
    fwd_->forward(policy({silent.address()}, Selection::kOrder, 5000), question("a.corp."), false,
                  [&](ForwardResult&&) { ++calls; });
  }
  // And one decided inside forward(), waiting for the loop.
  ForwardPolicy down = policy({closed_target.address()});
  for (int i = 0; i < 3; ++i) registry_->get(closed_target.address())->reportFailure();
  fwd_->forward(down, question("b.corp."), false, [&](ForwardResult&&) { ++calls; });
  ASSERT_TRUE(runUntil([&] { return silent.queries() == 5 && calls == 1; }, 3000));  // kAllDown
  fwd_->forward(down, question("c.corp."), false, [&](ForwardResult&&) { ++calls; });
  fwd_->close();
  EXPECT_EQ(fwd_->inFlight(), 0u);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(calls, 1);
  fwd_->forward(policy({silent.address()}), question("d.corp."), false,
                [&](ForwardResult&&) { ++calls; });  // ignored after close()
  EXPECT_EQ(fwd_->inFlight(), 0u);
  // TearDown runs the loop to the end and checks uv_loop_close() == 0.
}

TEST_F(ForwarderTest, CloseFromInsideACallback) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  up.setIgnoredName("hold.corp.");
  const ForwardPolicy p = policy({up.address()}, Selection::kOrder, 5000);
  int held_calls = 0;
  bool answered = false;
  fwd_->forward(p, question("hold.corp."), false, [&](ForwardResult&&) { ++held_calls; });
  // Delivered from inside ares_process_fd on the channel that also carries the held query:
  // close() there must not destroy the channel under c-ares' feet.
  fwd_->forward(p, question("a.corp."), false, [&](ForwardResult&& r) {
    answered = r.status == ForwardResult::Status::kReply;
    fwd_->close();
  });
  ASSERT_TRUE(runUntil([&] { return answered; }, 3000));
  EXPECT_EQ(held_calls, 0);
  EXPECT_EQ(fwd_->inFlight(), 0u);
}

TEST_F(ForwarderTest, ForwardFromInsideACallback) {
  start();
  FakeUpstream up;
  ASSERT_TRUE(up.ok());
  const ForwardPolicy p = policy({up.address()});
  std::optional<ForwardResult> second;
  int first_calls = 0;
  fwd_->forward(p, question("one.corp."), false, [&](ForwardResult&& r) {
    ++first_calls;
    EXPECT_EQ(r.status, ForwardResult::Status::kReply);
    fwd_->forward(p, question("two.corp."), false,
                  [&](ForwardResult&& r2) { second = std::move(r2); });
  });
  ASSERT_TRUE(runUntil([&] { return second.has_value(); }, 5000));
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second->status, ForwardResult::Status::kReply);
  EXPECT_EQ(up.queries(), 2u);
}

TEST_F(ForwarderTest, ManyConcurrentQueriesAllComeBack) {
  start();
  FakeUpstream a, b;
  ASSERT_TRUE(a.ok() && b.ok());
  const ForwardPolicy p = policy({a.address(), b.address()}, Selection::kRtt);
  int replies = 0, calls = 0;
  for (int i = 0; i < 100; ++i) {
    fwd_->forward(p, question("m.corp."), false, [&](ForwardResult&& r) {
      ++calls;
      replies += r.status == ForwardResult::Status::kReply ? 1 : 0;
    });
  }
  ASSERT_TRUE(runUntil([&] { return calls == 100; }, 10000));
  EXPECT_EQ(replies, 100);
  EXPECT_EQ(a.queries() + b.queries(), 100u);
}

}  // namespace
}  // namespace vpcdns::forwarder
