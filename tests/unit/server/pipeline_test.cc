// The query pipeline without sockets: admission, error replies, stage order, and reply sizes.
#include "server/pipeline.h"

#include <gtest/gtest.h>

#include <array>

namespace vpcdns::server {
namespace {

std::shared_ptr<const config::Config> testConfig(uint16_t edns_size = 1232) {
  auto c = std::make_shared<config::Config>();
  c->server.allow = {*IpPrefix::parse("127.0.0.0/8")};
  c->server.edns_udp_size = edns_size;
  return c;
}

std::vector<uint8_t> query(const std::string& name, std::optional<uint16_t> edns_size) {
  dns::Message m;
  m.header.id = 0x1234;
  m.header.rd = true;
  m.questions.push_back({*dns::Name::fromText(name), dns::rrtype::kA, dns::rrclass::kIN});
  if (edns_size) {
    dns::Edns e;
    e.udp_size = *edns_size;
    m.edns = e;
  }
  return m.encode();
}

// Answers every query with `count` A records in one RRset.
class BigAnswerStage : public Stage {
 public:
  explicit BigAnswerStage(int count) : count_(count) {}
  Verdict answer(QueryContext& ctx) override {
    std::vector<dns::Record> rrset;
    for (int i = 0; i < count_; ++i) {
      dns::RdataA a;
      a.addr = {10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
      rrset.push_back({ctx.query.question.name, dns::rrtype::kA, dns::rrclass::kIN, 60, a});
    }
    ctx.reply.header().aa = true;
    ctx.reply.addRRset(dns::Section::kAnswer, rrset);
    return Verdict::kAnswered;
  }

 private:
  int count_;
};

class PassStage : public Stage {
 public:
  Verdict answer(QueryContext&) override {
    ++calls;
    return Verdict::kPass;
  }
  int calls = 0;
};

struct Fixture {
  explicit Fixture(uint16_t edns_size = 1232) : pipeline(*buildSnapshot(testConfig(edns_size))) {}
  dns::Message run(const std::vector<uint8_t>& q, Transport t = Transport::kUdp,
                   const char* src = "127.0.0.1") {
    ClientInfo client{SocketAddress(*IpAddress::parse(src), 4000), t, 0};
    size = pipeline.handle(q, client, out);
    if (size == 0) return {};
    auto m = dns::Message::parse({out.data(), size});
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : dns::Message{};
  }
  Pipeline pipeline;
  std::array<uint8_t, 65535> out{};
  size_t size = 0;
};

TEST(Pipeline, NoStageAnswersGivesServfail) {
  Fixture f;
  auto* pass = new PassStage;
  f.pipeline.addStage(std::unique_ptr<Stage>(pass));
  const auto m = f.run(query("example.com.", std::nullopt));
  EXPECT_EQ(pass->calls, 1);
  EXPECT_EQ(m.rcode(), dns::rcode::kServFail);
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_EQ(f.pipeline.stats().servfail.get(), 1u);
}

TEST(Pipeline, StagesRunInOrderUntilOneAnswers) {
  Fixture f;
  auto* first = new PassStage;
  auto* last = new PassStage;
  f.pipeline.addStage(std::unique_ptr<Stage>(first));
  f.pipeline.addStage(std::make_unique<BigAnswerStage>(1));
  f.pipeline.addStage(std::unique_ptr<Stage>(last));
  const auto m = f.run(query("example.com.", std::nullopt));
  EXPECT_EQ(first->calls, 1);
  EXPECT_EQ(last->calls, 0);
  EXPECT_EQ(m.rcode(), dns::rcode::kNoError);
  EXPECT_EQ(m.answer.size(), 1u);
}

TEST(Pipeline, UdpWithoutEdnsIsCutAt512WithTc) {
  Fixture f;
  f.pipeline.addStage(std::make_unique<BigAnswerStage>(100));  // ~1.6 kB
  const auto m = f.run(query("example.com.", std::nullopt));
  EXPECT_LE(f.size, 512u);
  EXPECT_TRUE(m.header.tc);
  EXPECT_TRUE(m.answer.empty()) << "the RRset is dropped whole, never split";
  EXPECT_EQ(m.questions.size(), 1u);
}

TEST(Pipeline, UdpWithEdnsUsesTheSmallerOfBothSizes) {
  Fixture f(1232);
  f.pipeline.addStage(std::make_unique<BigAnswerStage>(100));
  auto m = f.run(query("example.com.", 4096));
  EXPECT_LE(f.size, 1232u);
  EXPECT_TRUE(m.header.tc);
  ASSERT_TRUE(m.edns) << "OPT is kept when the answer is dropped";
  EXPECT_EQ(m.edns->udp_size, 1232);

  Fixture big(4096);
  big.pipeline.addStage(std::make_unique<BigAnswerStage>(100));
  m = big.run(query("example.com.", 4096));
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 100u);
  EXPECT_GT(big.size, 1232u);

  // A client size under 512 counts as 512 (RFC 6891 §6.2.5).
  Fixture small(4096);
  small.pipeline.addStage(std::make_unique<BigAnswerStage>(25));  // ~420 bytes
  m = small.run(query("example.com.", 100));
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 25u);
}

TEST(Pipeline, TcpRepliesAreNotTruncated) {
  Fixture f;
  f.pipeline.addStage(std::make_unique<BigAnswerStage>(1000));
  const auto m = f.run(query("example.com.", std::nullopt), Transport::kTcp);
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 1000u);
}

TEST(Pipeline, RefusesClientsOutsideAllowBeforeAnyStage) {
  Fixture f;
  auto* pass = new PassStage;
  f.pipeline.addStage(std::unique_ptr<Stage>(pass));
  const auto m = f.run(query("example.com.", std::nullopt), Transport::kUdp, "192.0.2.1");
  EXPECT_EQ(m.rcode(), dns::rcode::kRefused);
  EXPECT_EQ(pass->calls, 0);
  // IPv4-mapped IPv6 sources are matched as IPv4.
  const auto mapped =
      f.run(query("example.com.", std::nullopt), Transport::kUdp, "::ffff:127.0.0.1");
  EXPECT_EQ(mapped.rcode(), dns::rcode::kServFail);
}

TEST(Pipeline, DropsWhatCannotBeAnswered) {
  Fixture f;
  f.run({1, 2, 3});
  EXPECT_EQ(f.size, 0u);
  auto response = query("example.com.", std::nullopt);
  response[2] |= 0x80;
  f.run(response);
  EXPECT_EQ(f.size, 0u);
  EXPECT_EQ(f.pipeline.stats().dropped.get(), 2u);
}

TEST(Pipeline, HeaderOnlyQueryGetsFormerr) {
  Fixture f;
  std::vector<uint8_t> q = {0xab, 0xcd, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto m = f.run(q);
  EXPECT_EQ(m.rcode(), dns::rcode::kFormErr);
  EXPECT_EQ(m.header.id, 0xabcd);
}

}  // namespace
}  // namespace vpcdns::server

namespace vpcdns::server {
namespace {

// Keeps what it is given, to answer later.
class DeferStage : public Stage {
 public:
  Verdict answer(QueryContext& ctx) override {
    pending.push_back(ctx.defer());
    return Verdict::kDeferred;
  }
  std::vector<PendingReply> pending;
};

class RecordingSink : public ReplySink {
 public:
  void sendLater(const ClientInfo& client, std::span<const uint8_t> reply) override {
    to.push_back(client);
    sent.emplace_back(reply.begin(), reply.end());
  }
  std::vector<ClientInfo> to;
  std::vector<std::vector<uint8_t>> sent;
};

TEST(Pipeline, DeferredQueryIsAnsweredLaterThroughTheSink) {
  Fixture f;
  auto* defer = new DeferStage;
  auto* after = new PassStage;
  f.pipeline.addStage(std::unique_ptr<Stage>(defer));
  f.pipeline.addStage(std::unique_ptr<Stage>(after));
  RecordingSink sink;
  ClientInfo client{SocketAddress(*IpAddress::parse("127.0.0.1"), 4000), Transport::kTcp, 0, &sink,
                    42};
  const auto q = query("Example.COM.", 1232);
  EXPECT_EQ(f.pipeline.handle(q, client, f.out), 0u);  // nothing to send now
  EXPECT_EQ(after->calls, 0);
  EXPECT_EQ(f.pipeline.stats().deferred.get(), 1u);
  EXPECT_EQ(f.pipeline.stats().servfail.get(), 0u);
  ASSERT_EQ(defer->pending.size(), 1u);

  // Later: the stage writes the reply with the client's header, question and EDNS.
  const PendingReply& p = defer->pending.front();
  std::array<uint8_t, 65535> buf{};
  dns::MessageWriter w = p.startReply(buf);
  w.setRcode(dns::rcode::kNXDomain);
  const size_t n = w.finish();
  p.send({buf.data(), n});
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.to.front().connection, 42u);
  auto m = dns::Message::parse(sink.sent.front());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.id, 0x1234);
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.rd);
  EXPECT_EQ(m->rcode(), dns::rcode::kNXDomain);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_TRUE(m->questions.front().name.identical(*dns::Name::fromText("Example.COM.")));
  EXPECT_TRUE(m->edns.has_value());
}

}  // namespace
}  // namespace vpcdns::server
