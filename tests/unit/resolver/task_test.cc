// Scenario tests of Resolver/Task against a scripted Transport and a tiny fake DNS hierarchy.
//
// FakeTransport records every query and queues it; nothing is answered inside send(). The test
// drives the "network" with pump(): each queued query is answered by the script (by default a
// small authoritative server model over the zones below, or a per-test override), and the
// reply is delivered through the query's callback, echoing its ID and question octet for octet
// as the real transport requires.
//
// The hierarchy:
//   .             127.0.0.1  ns.root.          delegates test. (ns.test.) and other. (ns.other.)
//   test.         127.0.0.2  ns.test.          delegates example.test. (ns.example.test.)
//   example.test. 127.0.0.3  ns.example.test.  www.example.test. A 192.0.2.80
//   other.        127.0.0.4  ns.other.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "cache/record_cache.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/writer.h"
#include "resolver/resolver.h"
#include "resolver/root_hints.h"
#include "resolver/server_table.h"
#include "resolver/transport.h"

namespace vpcdns::resolver {
namespace {

using dns::rrtype::kA;
using dns::rrtype::kCNAME;
using dns::rrtype::kNS;
using dns::rrtype::kSOA;
using dns::rrtype::kTXT;

dns::Name name(std::string_view text) {
  auto n = dns::Name::fromText(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? n.value() : dns::Name();
}

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

// "owner ttl TYPE rdata", names absolute.
dns::Record rr(std::string_view line) {
  const size_t a = line.find(' ');
  const size_t b = line.find(' ', a + 1);
  const size_t c = line.find(' ', b + 1);
  dns::Record r;
  r.name = name(line.substr(0, a));
  r.ttl = static_cast<uint32_t>(std::stoul(std::string(line.substr(a + 1, b - a - 1))));
  const auto type = dns::typeFromText(line.substr(b + 1, c - b - 1));
  EXPECT_TRUE(type.has_value()) << line;
  r.type = type.value_or(0);
  auto rdata = dns::rdataFromText(r.type, line.substr(c + 1));
  EXPECT_TRUE(rdata.ok()) << line;
  if (rdata.ok()) r.rdata = rdata.value();
  return r;
}

const dns::Name* nameIn(const dns::Record& r) {
  if (const auto* n = std::get_if<dns::RdataName>(&r.rdata)) return &n->name;
  return nullptr;
}

std::string lower(const dns::Name& n) {
  return n.lowercased().toText();
}

// ---- the fake network ---------------------------------------------------------------------------

struct Sent {
  uint64_t handle = 0;
  SocketAddress server;
  dns::Header header;
  dns::Question question;  // as sent: 0x20 case kept
  bool tcp = false;
  uint32_t timeout_ms = 0;
  std::vector<uint8_t> wire;

  // "127.0.0.3 www.example.test. A" (+ " tcp"), lowercased.
  std::string text() const {
    return server.ip().toString() + " " + lower(question.name) + " " +
           dns::typeToText(question.type) + (tcp ? " tcp" : "");
  }
};

struct Action {
  enum Kind { kReply, kTimeout, kNetwork, kHold } kind = kReply;
  dns::Message message;  // kReply: header flags, RCODE and sections; ID and question are filled in

  static Action timeout() { return {kTimeout, {}}; }
  static Action network() { return {kNetwork, {}}; }
  static Action hold() { return {kHold, {}}; }
  static Action answer(dns::Message m) { return {kReply, std::move(m)}; }
};

class FakeTransport : public Transport {
 public:
  std::function<Action(const Sent&)> script;
  std::vector<Sent> log;  // every send, in order
  std::vector<uint64_t> cancelled;

  uint64_t send(const SocketAddress& server, std::span<const uint8_t> query, bool tcp,
                uint32_t timeout_ms, UpstreamCallback done) override {
    Sent s;
    s.handle = next_++;
    s.server = server;
    s.tcp = tcp;
    s.timeout_ms = timeout_ms;
    s.wire.assign(query.begin(), query.end());
    auto m = dns::Message::parse(s.wire);
    EXPECT_TRUE(m.ok()) << "unparseable query";
    if (m.ok()) {
      s.header = m->header;
      EXPECT_EQ(m->questions.size(), 1u);
      if (!m->questions.empty()) s.question = m->questions.front();
      EXPECT_FALSE(m->header.rd) << "iterative queries have RD=0";
    }
    EXPECT_EQ(server.port(), 53);
    (tcp ? stats_.tcp_sent : stats_.udp_sent)++;
    log.push_back(s);
    queue_.push_back({std::move(s), std::move(done)});
    return log.back().handle;
  }

  void cancel(uint64_t handle) override {
    cancelled.push_back(handle);
    auto drop = [&](std::deque<Pending>& q) {
      q.erase(std::remove_if(q.begin(), q.end(),
                             [&](const Pending& p) { return p.sent.handle == handle; }),
              q.end());
    };
    drop(queue_);
    drop(held_);
  }

  TransportStats stats() const override { return stats_; }

  // Answers queued queries (and those their answers cause) until none is left, but held ones.
  // Returns the number of callbacks made.
  size_t pump(size_t max_steps = 100000) {
    size_t steps = 0;
    while (!queue_.empty() && steps < max_steps) {
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      Action a = script(p.sent);
      if (a.kind == Action::kHold) {
        held_.push_back(std::move(p));
        continue;
      }
      ++steps;
      deliver(p, std::move(a));
    }
    EXPECT_LT(steps, max_steps) << "the resolution does not stop";
    return steps;
  }

  // Ends every held query with `error` (kTimeout or kNetwork), then pumps.
  void releaseHeld(UpstreamError error) {
    while (!held_.empty()) {
      Pending p = std::move(held_.front());
      held_.pop_front();
      deliver(p, error == UpstreamError::kTimeout ? Action::timeout() : Action::network());
    }
    pump();
  }

  size_t queued() const { return queue_.size(); }
  size_t held() const { return held_.size(); }

 private:
  struct Pending {
    Sent sent;
    UpstreamCallback done;
  };

  void deliver(Pending& p, Action a) {
    UpstreamResult r;
    r.rtt_us = 1000;
    if (a.kind == Action::kTimeout) {
      r.error = UpstreamError::kTimeout;
      ++stats_.timeouts;
    } else if (a.kind == Action::kNetwork) {
      r.error = UpstreamError::kNetwork;
      ++stats_.network_errors;
    } else {
      dns::Message& m = a.message;
      m.header.id = p.sent.header.id;
      m.header.qr = true;
      m.header.opcode = 0;
      m.questions = {p.sent.question};
      if (!m.edns) m.edns.emplace();
      r.reply = m.encode();
      // What the real transport checks: the ID and the question, octet for octet.
      const size_t qlen = dns::kHeaderSize + p.sent.question.name.wireLength() + 4;
      EXPECT_TRUE(r.reply.size() >= qlen &&
                  std::equal(p.sent.wire.begin(), p.sent.wire.begin() + 2, r.reply.begin()) &&
                  std::equal(p.sent.wire.begin() + dns::kHeaderSize,
                             p.sent.wire.begin() + static_cast<std::ptrdiff_t>(qlen),
                             r.reply.begin() + dns::kHeaderSize))
          << "the fake's reply does not echo the query";
    }
    auto done = std::move(p.done);
    done(std::move(r));
  }

  std::deque<Pending> queue_;
  std::deque<Pending> held_;
  uint64_t next_ = 1;
  TransportStats stats_;
};

// ---- the fake authoritative servers -------------------------------------------------------------

struct Zone {
  dns::Name apex;
  std::vector<IpAddress> servers;
  std::vector<dns::Record> records;

  std::vector<dns::Record> at(const dns::Name& owner, uint16_t type) const {
    std::vector<dns::Record> out;
    for (const auto& r : records) {
      if (r.name == owner && r.type == type) out.push_back(r);
    }
    return out;
  }
  std::vector<dns::Record> addressesOf(const std::vector<dns::Record>& ns) const {
    std::vector<dns::Record> out;
    for (const auto& n : ns) {
      const dns::Name* host = nameIn(n);
      if (host == nullptr) continue;
      for (const auto& r : records) {
        if (r.name == *host && (r.type == kA || r.type == dns::rrtype::kAAAA)) out.push_back(r);
      }
    }
    return out;
  }
};

dns::Message negative(const Zone& z, uint16_t rcode) {
  dns::Message m;
  m.header.aa = true;
  m.setRcode(rcode);
  m.authority = z.at(z.apex, kSOA);
  return m;
}

// RFC 1034 §4.3.2, simplified: referral below a zone cut, else the data (CNAMEs followed inside
// the zone), else NODATA (the name or a name below it exists) or NXDOMAIN, with the SOA.
dns::Message authoritative(const Zone& z, const dns::Question& q) {
  dns::Message m;
  const size_t below = q.name.labelCount() - z.apex.labelCount();
  for (size_t i = below; i-- > 0;) {  // from the apex's child down to the name
    const dns::Name cut = q.name.stripLeft(i);
    auto ns = z.at(cut, kNS);
    if (ns.empty()) continue;
    m.authority = ns;
    m.additional = z.addressesOf(ns);
    return m;
  }
  m.header.aa = true;
  dns::Name cur = q.name;
  for (int hops = 0; hops < 16; ++hops) {
    auto data = z.at(cur, q.type);
    if (!data.empty()) {
      m.answer.insert(m.answer.end(), data.begin(), data.end());
      if (q.type == kNS) m.additional = z.addressesOf(data);
      return m;
    }
    auto cname = q.type == kCNAME ? std::vector<dns::Record>{} : z.at(cur, kCNAME);
    if (cname.empty()) break;
    m.answer.push_back(cname.front());
    cur = *nameIn(cname.front());
    if (!cur.isSubdomainOf(z.apex)) return m;
  }
  const bool exists = std::any_of(z.records.begin(), z.records.end(),
                                  [&](const dns::Record& r) { return r.name.isSubdomainOf(cur); });
  m.setRcode(exists ? dns::rcode::kNoError : dns::rcode::kNXDomain);
  m.authority = z.at(z.apex, kSOA);
  return m;
}

dns::Message rcodeOnly(uint16_t rcode, bool aa = false) {
  dns::Message m;
  m.header.aa = aa;
  m.setRcode(rcode);
  return m;
}

// ---- the fixture --------------------------------------------------------------------------------

struct Collected {
  int calls = 0;
  Answer answer;
};

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options.dont_query.clear();  // everything here is on loopback
    addZone(
        ".", {"127.0.0.1"},
        {". 86400 SOA ns.root. host.root. 1 1800 900 604800 86400", ". 518400 NS ns.root.",
         "ns.root. 518400 A 127.0.0.1", "test. 172800 NS ns.test.", "ns.test. 172800 A 127.0.0.2",
         "other. 172800 NS ns.other.", "ns.other. 172800 A 127.0.0.4"});
    addZone("test.", {"127.0.0.2"},
            {"test. 3600 SOA ns.test. host.test. 1 1800 900 604800 300", "test. 3600 NS ns.test.",
             "ns.test. 3600 A 127.0.0.2", "example.test. 3600 NS ns.example.test.",
             "ns.example.test. 3600 A 127.0.0.3"});
    addZone("example.test.", {"127.0.0.3"},
            {"example.test. 3600 SOA ns.example.test. host.example.test. 1 1800 900 604800 300",
             "example.test. 3600 NS ns.example.test.", "ns.example.test. 3600 A 127.0.0.3",
             "www.example.test. 300 A 192.0.2.80"});
    addZone("other.", {"127.0.0.4"},
            {"other. 3600 SOA ns.other. host.other. 1 1800 900 604800 300",
             "other. 3600 NS ns.other.", "ns.other. 3600 A 127.0.0.4"});
    hints.ns = {rr(". 3600000 NS ns.root.")};
    hints.addresses = {rr("ns.root. 3600000 A 127.0.0.1")};
    net.script = [this](const Sent& s) { return respond(s); };
  }

  void TearDown() override {
    if (!HasFailure() && std::getenv("VPCDNS_TEST_VERBOSE") == nullptr) return;
    std::string text = "queries sent:\n";
    for (const auto& s : net.log) text += "  " + s.text() + "\n";
    std::cout << text;
  }

  void addZone(std::string_view apex, std::initializer_list<std::string_view> addresses,
               std::initializer_list<std::string_view> lines) {
    Zone z;
    z.apex = name(apex);
    for (auto s : addresses) z.servers.push_back(ip(s));
    for (auto l : lines) z.records.push_back(rr(l));
    zones.push_back(std::move(z));
  }

  Zone& zone(std::string_view apex) {
    for (auto& z : zones) {
      if (z.apex == name(apex)) return z;
    }
    ADD_FAILURE() << "no zone " << apex;
    return zones.front();
  }

  void add(std::string_view apex, std::string_view line) { zone(apex).records.push_back(rr(line)); }

  // Replaces the RRset (owner, type) of a zone by `lines` (none: removes it).
  void replace(std::string_view apex, std::string_view owner, uint16_t type,
               std::initializer_list<std::string_view> lines = {}) {
    auto& recs = zone(apex).records;
    const dns::Name o = name(owner);
    recs.erase(std::remove_if(recs.begin(), recs.end(),
                              [&](const dns::Record& r) { return r.name == o && r.type == type; }),
               recs.end());
    for (auto l : lines) recs.push_back(rr(l));
  }

  Action respond(const Sent& s) {
    if (override_) {
      if (auto a = override_(s)) return std::move(*a);
    }
    return Action::answer(serve(s));
  }

  // What the zones say: the deepest zone this address serves that contains the name.
  dns::Message serve(const Sent& s) const {
    const Zone* best = nullptr;
    for (const auto& z : zones) {
      if (std::find(z.servers.begin(), z.servers.end(), s.server.ip()) == z.servers.end()) continue;
      if (!s.question.name.isSubdomainOf(z.apex)) continue;
      if (best == nullptr || z.apex.labelCount() > best->apex.labelCount()) best = &z;
    }
    if (best == nullptr) return rcodeOnly(dns::rcode::kRefused);
    return authoritative(*best, s.question);
  }

  Resolver& start() {
    auto shared = std::make_shared<ResolverShared>();
    shared->options = options;
    shared->hints = hints;
    shared->cache = &cache;
    shared->servers = &servers;
    resolver = std::make_unique<Resolver>(shared, net, counters);
    return *resolver;
  }

  // Starts a resolution; the result lands in the returned object (kept alive by the fixture).
  Collected& launch(std::string_view qname, uint16_t qtype = kA) {
    if (!resolver) start();
    auto& c = collected.emplace_back(std::make_unique<Collected>());
    Collected* p = c.get();
    resolver->resolve({name(qname), qtype, dns::rrclass::kIN}, [p](const Answer& a) {
      ++p->calls;
      p->answer = a;
    });
    return *p;
  }

  // Resolves and pumps the network until nothing is left.
  Answer resolve(std::string_view qname, uint16_t qtype = kA) {
    Collected& c = launch(qname, qtype);
    net.pump();
    EXPECT_EQ(c.calls, 1) << qname;
    return c.answer;
  }

  // answerFromCache() into a MessageWriter, parsed back; nullopt when it returns false.
  std::optional<dns::Message> fromCache(std::string_view qname, uint16_t qtype = kA) {
    if (!resolver) start();
    std::vector<uint8_t> buf(4096);
    dns::MessageWriter w(buf, buf.size());
    dns::Header h;
    h.qr = true;
    w.setHeader(h);
    const dns::Question q{name(qname), qtype, dns::rrclass::kIN};
    EXPECT_TRUE(w.addQuestion(q));
    if (!resolver->answerFromCache(q, w)) return std::nullopt;
    const size_t n = w.finish();
    auto m = dns::Message::parse({buf.data(), n});
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return std::nullopt;
    return m.value();
  }

  std::vector<std::string> queries(size_t from = 0) const {
    std::vector<std::string> out;
    for (size_t i = from; i < net.log.size(); ++i) out.push_back(net.log[i].text());
    return out;
  }

  ResolverOptions options;
  RootHints hints;
  std::vector<Zone> zones;
  std::function<std::optional<Action>(const Sent&)> override_;
  FakeTransport net;
  cache::RecordCache cache;
  ServerTable servers;
  ResolverCounters counters;
  std::vector<std::unique_ptr<Collected>> collected;
  std::unique_ptr<Resolver> resolver;  // last: destroyed first
};

void expectAddress(const Answer& a, std::string_view owner, std::string_view address) {
  ASSERT_FALSE(a.answer.empty());
  const dns::Record& last = a.answer.back();
  EXPECT_EQ(last.name, name(owner));
  ASSERT_EQ(last.type, kA);
  EXPECT_EQ(IpAddress::fromBytes(std::get<dns::RdataA>(last.rdata).addr), ip(address));
}

// ---- cold resolution ----------------------------------------------------------------------------

TEST_F(ResolverTest, ColdResolutionWithQnameMinimisation) {
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  EXPECT_EQ(a.ede, ede::kNone);
  ASSERT_EQ(a.answer.size(), 1u);
  expectAddress(a, "www.example.test.", "192.0.2.80");
  EXPECT_TRUE(a.authority.empty());
  EXPECT_EQ(queries(), (std::vector<std::string>{
                           "127.0.0.1 . NS",
                           "127.0.0.1 test. A",
                           "127.0.0.2 example.test. A",
                           "127.0.0.3 www.example.test. A",
                       }));
  EXPECT_EQ(counters.upstream_queries.get(), 4u);
  EXPECT_EQ(resolver->inFlight(), 0u);

  // Warm: straight from the cache, no query.
  const auto m = fromCache("www.example.test.");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rcode(), dns::rcode::kNoError);
  ASSERT_EQ(m->answer.size(), 1u);
  EXPECT_EQ(m->answer[0].name, name("www.example.test."));
  EXPECT_EQ(std::get<dns::RdataA>(m->answer[0].rdata).addr,
            (std::array<uint8_t, 4>{192, 0, 2, 80}));
  EXPECT_TRUE(m->authority.empty());
  EXPECT_EQ(net.log.size(), 4u);
  EXPECT_EQ(counters.cache_hits.get(), 1u);
}

TEST_F(ResolverTest, ColdResolutionWithoutQnameMinimisation) {
  options.qname_minimisation = false;
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "www.example.test.", "192.0.2.80");
  EXPECT_EQ(queries(), (std::vector<std::string>{
                           "127.0.0.1 . NS",
                           "127.0.0.1 www.example.test. A",
                           "127.0.0.2 www.example.test. A",
                           "127.0.0.3 www.example.test. A",
                       }));
  EXPECT_TRUE(fromCache("www.example.test.").has_value());
  EXPECT_EQ(net.log.size(), 4u);
}

TEST_F(ResolverTest, SecondNameInAKnownZoneStartsFromTheCachedDelegation) {
  add("example.test.", "mail.example.test. 300 A 192.0.2.25");
  resolve("www.example.test.");
  const size_t before = net.log.size();
  const Answer a = resolve("mail.example.test.");
  expectAddress(a, "mail.example.test.", "192.0.2.25");
  EXPECT_EQ(queries(before), (std::vector<std::string>{"127.0.0.3 mail.example.test. A"}));
}

TEST_F(ResolverTest, SecondResolveOfACachedNameSendsNothing) {
  resolve("www.example.test.");
  const size_t before = net.log.size();
  const Answer a = resolve("www.example.test.");
  expectAddress(a, "www.example.test.", "192.0.2.80");
  EXPECT_EQ(net.log.size(), before);
}

// ---- 0x20 ---------------------------------------------------------------------------------------

TEST_F(ResolverTest, QueryNamesHaveRandomCase) {
  const std::string label = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 4; ++i) {
    const std::string qname = label + std::to_string(i) + ".example.test.";
    add("example.test.", qname + " 300 A 192.0.2.1");
    const Answer a = resolve(qname);
    EXPECT_EQ(a.rcode, dns::rcode::kNoError);
    EXPECT_EQ(a.answer.size(), 1u);
  }
  size_t upper = 0, lowercase = 0, mixed_names = 0;
  for (const auto& s : net.log) {
    const auto wire = s.question.name.wire();
    bool has_upper = false;
    for (uint8_t c : wire) {
      if (c >= 'A' && c <= 'Z') ++upper, has_upper = true;
      if (c >= 'a' && c <= 'z') ++lowercase;
    }
    if (has_upper) ++mixed_names;
  }
  EXPECT_GT(upper, 0u);
  EXPECT_GT(lowercase, 0u);
  EXPECT_GT(mixed_names, 0u);
}

// ---- sharing ------------------------------------------------------------------------------------

TEST_F(ResolverTest, IdenticalQuestionsInFlightShareOneResolution) {
  std::vector<Collected*> all;
  for (int i = 0; i < 1000; ++i) {
    // Case differences do not make a different question.
    all.push_back(&launch(i % 2 ? "www.example.test." : "WWW.Example.TEST."));
  }
  EXPECT_EQ(net.log.size(), 1u);        // the priming query, nothing else yet
  EXPECT_EQ(resolver->inFlight(), 2u);  // the client question and the priming
  net.pump();
  EXPECT_EQ(net.log.size(), 4u);  // as for one question
  for (const Collected* c : all) {
    ASSERT_EQ(c->calls, 1);
    EXPECT_EQ(c->answer.rcode, dns::rcode::kNoError);
    ASSERT_EQ(c->answer.answer.size(), 1u);
  }
  expectAddress(all.back()->answer, "www.example.test.", "192.0.2.80");
  EXPECT_EQ(counters.joined.get(), 999u);
  EXPECT_EQ(resolver->inFlight(), 0u);
}

// ---- negative answers ---------------------------------------------------------------------------

TEST_F(ResolverTest, NxDomainIsAnsweredWithTheSoaAndCached) {
  const Answer a = resolve("nx.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNXDomain);
  EXPECT_TRUE(a.answer.empty());
  ASSERT_EQ(a.authority.size(), 1u);
  EXPECT_EQ(a.authority[0].type, kSOA);
  EXPECT_EQ(a.authority[0].name, name("example.test."));
  EXPECT_EQ(a.ede, ede::kNone);
  const size_t before = net.log.size();

  const auto m = fromCache("nx.example.test.");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rcode(), dns::rcode::kNXDomain);
  EXPECT_TRUE(m->answer.empty());
  ASSERT_EQ(m->authority.size(), 1u);
  EXPECT_EQ(m->authority[0].type, kSOA);
  // An NXDOMAIN answers every type of the name.
  const auto txt = fromCache("nx.example.test.", kTXT);
  ASSERT_TRUE(txt.has_value());
  EXPECT_EQ(txt->rcode(), dns::rcode::kNXDomain);
  EXPECT_EQ(resolve("nx.example.test.").rcode, dns::rcode::kNXDomain);
  EXPECT_EQ(net.log.size(), before);
}

TEST_F(ResolverTest, NoDataIsAnsweredWithTheSoaAndCached) {
  const Answer a = resolve("www.example.test.", kTXT);
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  EXPECT_TRUE(a.answer.empty());
  ASSERT_EQ(a.authority.size(), 1u);
  EXPECT_EQ(a.authority[0].type, kSOA);
  EXPECT_EQ(a.authority[0].name, name("example.test."));
  EXPECT_EQ(net.log.back().text(), "127.0.0.3 www.example.test. TXT");
  const size_t before = net.log.size();

  const auto m = fromCache("www.example.test.", kTXT);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rcode(), dns::rcode::kNoError);
  EXPECT_TRUE(m->answer.empty());
  ASSERT_EQ(m->authority.size(), 1u);
  EXPECT_EQ(m->authority[0].type, kSOA);
  EXPECT_EQ(net.log.size(), before);
  // The A RRset of the name is not affected.
  EXPECT_FALSE(fromCache("www.example.test.").has_value());
}

// ---- delegations --------------------------------------------------------------------------------

TEST_F(ResolverTest, GluelessDelegationResolvesTheNsNameFirst) {
  replace("test.", "example.test.", kNS, {"example.test. 3600 NS ns.other."});
  // ns.other. serves both zones, under another address than the glue for other. (127.0.0.4).
  replace("other.", "ns.other.", kA, {"ns.other. 3600 A 127.0.0.3"});
  zone("other.").servers.push_back(ip("127.0.0.3"));
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "www.example.test.", "192.0.2.80");
  EXPECT_EQ(queries(), (std::vector<std::string>{
                           "127.0.0.1 . NS",
                           "127.0.0.1 test. A",
                           "127.0.0.2 example.test. A",
                           "127.0.0.1 other. A",
                           "127.0.0.4 ns.other. A",
                           "127.0.0.3 www.example.test. A",
                       }));
}

class AmplificationTest : public ResolverTest, public ::testing::WithParamInterface<uint16_t> {};

TEST_P(AmplificationTest, ManyGluelessNsNamesCostABoundedNumberOfQueries) {
  options.max_upstream_queries = 20;
  options.max_glueless_ns = 3;
  replace("test.", "example.test.", kNS);
  for (int i = 0; i < 100; ++i) {
    add("test.", "example.test. 3600 NS ns" + std::to_string(i) + ".bad.other.");
  }
  const uint16_t rcode = GetParam();
  if (rcode != dns::rcode::kNXDomain) {
    override_ = [rcode](const Sent& s) -> std::optional<Action> {
      if (s.question.name.isSubdomainOf(name("bad.other."))) {
        return Action::answer(rcodeOnly(rcode));
      }
      return std::nullopt;
    };
  }
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kServFail);
  EXPECT_NE(a.ede, ede::kNone);
  EXPECT_LE(net.log.size(), options.max_upstream_queries);
  std::set<std::string> ns_names;
  for (const auto& s : net.log) {
    if (s.question.name.labelCount() == 3 && s.question.name.isSubdomainOf(name("bad.other."))) {
      ns_names.insert(lower(s.question.name));
    }
  }
  EXPECT_GE(ns_names.size(), 1u);
  EXPECT_LE(ns_names.size(), options.max_glueless_ns);
  EXPECT_EQ(resolver->inFlight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Rcodes, AmplificationTest,
                         ::testing::Values(dns::rcode::kNXDomain, dns::rcode::kServFail,
                                           dns::rcode::kRefused));

TEST_F(ResolverTest, QueryBudgetBoundsGluelessLookupsToo) {
  options.max_upstream_queries = 20;
  options.max_glueless_ns = 100;  // only the query budget stops it
  replace("test.", "example.test.", kNS);
  for (int i = 0; i < 100; ++i) {
    add("test.", "example.test. 3600 NS ns" + std::to_string(i) + ".bad.other.");
  }
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kServFail);
  EXPECT_NE(a.ede, ede::kNone);
  // The priming query is a resolution of its own, with its own budget.
  EXPECT_LE(net.log.size(), options.max_upstream_queries + 1);
  EXPECT_GE(net.log.size(), options.max_upstream_queries);
}

// www.z0. is served by ns.z1., whose zone is served by ns.z2., whose zone is served by ns.z3.
// (with glue): two glueless lookups nested in each other.
class NestedGluelessTest : public ResolverTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(NestedGluelessTest, NestingIsBoundedByMaxSubqueryDepth) {
  options.max_subquery_depth = GetParam();
  add(".", "z0. 3600 NS ns.z1.");
  add(".", "z1. 3600 NS ns.z2.");
  add(".", "z2. 3600 NS ns.z3.");
  add(".", "z3. 3600 NS ns.z3.");
  add(".", "ns.z3. 3600 A 127.0.0.20");
  addZone("z0.", {"127.0.0.20"},
          {"z0. 3600 SOA ns.z1. h.z0. 1 1800 900 604800 300", "z0. 3600 NS ns.z1.",
           "www.z0. 300 A 192.0.2.100"});
  addZone("z1.", {"127.0.0.20"},
          {"z1. 3600 SOA ns.z2. h.z1. 1 1800 900 604800 300", "z1. 3600 NS ns.z2.",
           "ns.z1. 300 A 127.0.0.20"});
  addZone("z2.", {"127.0.0.20"},
          {"z2. 3600 SOA ns.z3. h.z2. 1 1800 900 604800 300", "z2. 3600 NS ns.z3.",
           "ns.z2. 300 A 127.0.0.20"});
  addZone("z3.", {"127.0.0.20"},
          {"z3. 3600 SOA ns.z3. h.z3. 1 1800 900 604800 300", "z3. 3600 NS ns.z3.",
           "ns.z3. 300 A 127.0.0.20"});
  const Answer a = resolve("www.z0.");
  if (GetParam() >= 2) {
    EXPECT_EQ(a.rcode, dns::rcode::kNoError);
    expectAddress(a, "www.z0.", "192.0.2.100");
  } else {
    EXPECT_EQ(a.rcode, dns::rcode::kServFail);
    EXPECT_EQ(a.ede, ede::kNoReachableAuthority);
    for (const auto& s : net.log) EXPECT_NE(lower(s.question.name), "ns.z2.");
  }
}

INSTANTIATE_TEST_SUITE_P(Depths, NestedGluelessTest, ::testing::Values(1u, 2u, 4u));

// ---- bailiwick ----------------------------------------------------------------------------------

TEST_F(ResolverTest, OutOfBailiwickGlueIsNeitherUsedNorCached) {
  replace("test.", "example.test.", kNS,
          {"example.test. 3600 NS ns.example.test.", "example.test. 3600 NS ns.evil.other."});
  add("test.", "ns.evil.other. 3600 A 127.0.0.66");  // the test. server sends it as glue
  override_ = [this](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() != ip("127.0.0.2")) return std::nullopt;
    dns::Message m = serve(s);
    m.additional.push_back(rr("www.victim.test. 3600 A 127.0.0.66"));
    return Action::answer(std::move(m));
  };
  const Answer a = resolve("www.example.test.");
  expectAddress(a, "www.example.test.", "192.0.2.80");
  for (const auto& s : net.log) EXPECT_NE(s.server.ip(), ip("127.0.0.66"));
  std::vector<dns::Record> out;
  EXPECT_FALSE(cache.lookup({cache::kPublicContext, name("ns.evil.other."), kA}, out).hit());
  EXPECT_FALSE(cache.lookup({cache::kPublicContext, name("www.victim.test."), kA}, out).hit());
}

TEST_F(ResolverTest, OutOfZoneAnswerRecordsAreNotCached) {
  override_ = [this](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() != ip("127.0.0.3")) return std::nullopt;
    dns::Message m = serve(s);
    m.answer.push_back(rr("www.other. 300 A 127.0.0.66"));
    m.answer.push_back(rr("www.test. 300 A 127.0.0.66"));
    return Action::answer(std::move(m));
  };
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.answer.size(), 1u);
  EXPECT_FALSE(fromCache("www.other.").has_value());
  EXPECT_FALSE(fromCache("www.test.").has_value());
  std::vector<dns::Record> out;
  EXPECT_FALSE(cache.lookup({cache::kPublicContext, name("www.other."), kA}, out).hit());
}

TEST_F(ResolverTest, KeepsReferringDeeperStopsAtTheReferralDepth) {
  options.max_referral_depth = 5;
  add(".", "x. 172800 NS ns.x.");
  add(".", "ns.x. 172800 A 127.0.0.9");
  // 127.0.0.9 refers every name it is asked to itself, one level down.
  override_ = [](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() != ip("127.0.0.9")) return std::nullopt;
    const dns::Name cut = s.question.name.lowercased();
    const dns::Name host = name("ns." + cut.toText());
    dns::Message m;
    m.authority.push_back({cut, kNS, dns::rrclass::kIN, 3600, dns::RdataName{host}});
    m.additional.push_back({host, kA, dns::rrclass::kIN, 3600, dns::RdataA{{127, 0, 0, 9}}});
    return Action::answer(std::move(m));
  };
  const Answer a = resolve("a.b.c.d.e.f.g.h.i.j.k.l.m.x.");
  EXPECT_EQ(a.rcode, dns::rcode::kServFail);
  EXPECT_NE(a.ede, ede::kNone);
  size_t deep = 0;
  for (const auto& s : net.log) deep += s.server.ip() == ip("127.0.0.9");
  EXPECT_LE(deep, options.max_referral_depth);
  EXPECT_LE(net.log.size(), options.max_referral_depth + 2);  // + priming, + the root
}

// ---- CNAME chains -------------------------------------------------------------------------------

TEST_F(ResolverTest, CnameAcrossZonesIsFollowed) {
  replace("example.test.", "www.example.test.", kA, {"www.example.test. 300 CNAME www.other."});
  add("other.", "www.other. 300 A 198.51.100.1");
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  ASSERT_EQ(a.answer.size(), 2u);
  EXPECT_EQ(a.answer[0].type, kCNAME);
  expectAddress(a, "www.other.", "198.51.100.1");
  const auto m = fromCache("www.example.test.");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->answer.size(), 2u);
}

TEST_F(ResolverTest, DnameFromTheServerIsInTheAnswer) {
  add("other.", "www.target.other. 300 A 198.51.100.7");
  // The example.test. server answers like every RFC 6672 server: the DNAME and the CNAME it
  // synthesized (with TTL 0, as older servers do).
  override_ = [](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() != ip("127.0.0.3") ||
        !s.question.name.isSubdomainOf(name("sub.example.test.")) ||
        s.question.name == name("sub.example.test.")) {
      return std::nullopt;
    }
    dns::Message m;
    m.header.aa = true;
    m.answer.push_back(rr("sub.example.test. 300 DNAME target.other."));
    dns::Record cname = rr("www.target.other. 0 CNAME www.target.other.");
    cname.name = s.question.name;
    m.answer.push_back(cname);
    return Action::answer(std::move(m));
  };
  options.qname_minimisation = false;
  const Answer a = resolve("www.sub.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  ASSERT_EQ(a.answer.size(), 3u);
  EXPECT_EQ(a.answer[0].type, dns::rrtype::kDNAME);  // RFC 6672 §3.4 / §5.3.3
  EXPECT_EQ(a.answer[1].type, kCNAME);
  expectAddress(a, "www.target.other.", "198.51.100.7");
}

TEST_F(ResolverTest, CnameLoopAcrossTwoZonesIsServfailWithEde) {
  replace("example.test.", "www.example.test.", kA, {"www.example.test. 300 CNAME www.other."});
  add("other.", "www.other. 300 CNAME www.example.test.");
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kServFail);
  EXPECT_NE(a.ede, ede::kNone);
  EXPECT_FALSE(a.ede_text.empty());
  EXPECT_LE(net.log.size(), 8u);
  // Again, from the cached links alone: still SERVFAIL, no query, no cache answer.
  const size_t before = net.log.size();
  EXPECT_EQ(resolve("www.example.test.").rcode, dns::rcode::kServFail);
  EXPECT_EQ(net.log.size(), before);
  EXPECT_FALSE(fromCache("www.example.test.").has_value());
}

TEST_F(ResolverTest, CnameChainUpToTheLimitIsFollowedAndLongerIsServfail) {
  options.max_cname_chain = 3;
  // Alternating zones, so every link is a separate reply.
  add("example.test.", "c0.example.test. 300 CNAME c1.other.");
  add("other.", "c1.other. 300 CNAME c2.example.test.");
  add("example.test.", "c2.example.test. 300 CNAME c3.other.");
  add("other.", "c3.other. 300 A 198.51.100.3");
  add("example.test.", "d0.example.test. 300 CNAME d1.other.");
  add("other.", "d1.other. 300 CNAME d2.example.test.");
  add("example.test.", "d2.example.test. 300 CNAME d3.other.");
  add("other.", "d3.other. 300 CNAME d4.example.test.");
  add("example.test.", "d4.example.test. 300 A 192.0.2.4");

  const Answer ok = resolve("c0.example.test.");
  EXPECT_EQ(ok.rcode, dns::rcode::kNoError);
  EXPECT_EQ(ok.answer.size(), 4u);
  expectAddress(ok, "c3.other.", "198.51.100.3");

  const Answer bad = resolve("d0.example.test.");
  EXPECT_EQ(bad.rcode, dns::rcode::kServFail);
  EXPECT_NE(bad.ede, ede::kNone);
  EXPECT_TRUE(bad.answer.empty());
}

// ---- failures of servers ------------------------------------------------------------------------

class TwoServersTest : public ResolverTest {
 protected:
  void SetUp() override {
    ResolverTest::SetUp();
    replace("test.", "example.test.", kNS,
            {"example.test. 3600 NS ns1.example.test.", "example.test. 3600 NS ns2.example.test."});
    replace("test.", "ns.example.test.", kA,
            {"ns1.example.test. 3600 A 127.0.0.3", "ns2.example.test. 3600 A 127.0.0.13"});
    zone("example.test.").servers.push_back(ip("127.0.0.13"));
  }
  static bool isExample(const Sent& s) {
    return s.server.ip() == ip("127.0.0.3") || s.server.ip() == ip("127.0.0.13");
  }
};

TEST_F(TwoServersTest, TimeoutMovesToTheNextAddress) {
  std::vector<IpAddress> timed_out;
  override_ = [&](const Sent& s) -> std::optional<Action> {
    if (isExample(s) && timed_out.empty()) {
      timed_out.push_back(s.server.ip());
      return Action::timeout();
    }
    return std::nullopt;
  };
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "www.example.test.", "192.0.2.80");
  ASSERT_EQ(timed_out.size(), 1u);
  std::vector<IpAddress> asked;
  for (const auto& s : net.log) {
    if (isExample(s)) asked.push_back(s.server.ip());
  }
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], timed_out[0]);
  EXPECT_NE(asked[1], timed_out[0]);
  EXPECT_EQ(counters.upstream_timeouts.get(), 1u);
  EXPECT_EQ(servers.info(timed_out[0]).timeouts, 1u);
}

TEST_F(TwoServersTest, AllTimingOutIsServfailNoReachableAuthority) {
  override_ = [&](const Sent& s) -> std::optional<Action> {
    if (isExample(s)) return Action::timeout();
    return std::nullopt;
  };
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kServFail);
  EXPECT_EQ(a.ede, ede::kNoReachableAuthority);
  std::set<std::string> asked;
  size_t n = 0;
  for (const auto& s : net.log) {
    if (isExample(s)) asked.insert(s.server.ip().toString()), ++n;
  }
  EXPECT_EQ(n, 4u);  // each address twice: a lost packet is not a dead server
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_EQ(counters.servfail.get(), 1u);
}

TEST_F(TwoServersTest, NetworkErrorAndLameMoveToTheNextAddress) {
  int n = 0;
  override_ = [&](const Sent& s) -> std::optional<Action> {
    if (!isExample(s)) return std::nullopt;
    if (n++ == 0) return Action::network();
    return std::nullopt;
  };
  EXPECT_EQ(resolve("www.example.test.").rcode, dns::rcode::kNoError);

  // A lame server (empty non-authoritative reply) for another name.
  add("example.test.", "lame.example.test. 300 A 192.0.2.5");
  const size_t before = net.log.size();
  n = 0;
  override_ = [&](const Sent& s) -> std::optional<Action> {
    if (!isExample(s)) return std::nullopt;
    if (n++ == 0) return Action::answer(rcodeOnly(dns::rcode::kNoError));
    return std::nullopt;
  };
  const Answer a = resolve("lame.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "lame.example.test.", "192.0.2.5");
  const auto q = queries(before);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_NE(net.log[before].server, net.log[before + 1].server);
}

TEST_F(ResolverTest, TruncatedReplyIsAskedAgainOverTcp) {
  override_ = [](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() == ip("127.0.0.3") && !s.tcp) {
      dns::Message m;
      m.header.aa = true;
      m.header.tc = true;
      return Action::answer(std::move(m));
    }
    return std::nullopt;
  };
  const Answer a = resolve("www.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "www.example.test.", "192.0.2.80");
  const auto q = queries();
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q[q.size() - 2], "127.0.0.3 www.example.test. A");
  EXPECT_EQ(q[q.size() - 1], "127.0.0.3 www.example.test. A tcp");
  EXPECT_EQ(counters.upstream_tcp.get(), 1u);
  EXPECT_EQ(net.stats().tcp_sent, 1u);
}

TEST_F(ResolverTest, MinimisationFallsBackToTheFullNameAfterNxDomain) {
  add("example.test.", "x.y.example.test. 300 A 192.0.2.99");
  // A broken server: NXDOMAIN for the empty non-terminal y.example.test.
  override_ = [this](const Sent& s) -> std::optional<Action> {
    if (s.server.ip() == ip("127.0.0.3") && s.question.name == name("y.example.test.")) {
      return Action::answer(negative(zone("example.test."), dns::rcode::kNXDomain));
    }
    return std::nullopt;
  };
  const Answer a = resolve("x.y.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "x.y.example.test.", "192.0.2.99");
  const auto q = queries();
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q[q.size() - 2], "127.0.0.3 y.example.test. A");
  EXPECT_EQ(q[q.size() - 1], "127.0.0.3 x.y.example.test. A");
  // The bogus NXDOMAIN was not cached.
  EXPECT_FALSE(fromCache("y.example.test.").has_value());
  EXPECT_TRUE(fromCache("x.y.example.test.").has_value());
}

TEST_F(ResolverTest, MinimisationWalksDownEmptyNonTerminals) {
  add("example.test.", "x.y.example.test. 300 A 192.0.2.99");
  const Answer a = resolve("x.y.example.test.");
  expectAddress(a, "x.y.example.test.", "192.0.2.99");
  const auto q = queries();
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q[q.size() - 2], "127.0.0.3 y.example.test. A");
  EXPECT_EQ(q[q.size() - 1], "127.0.0.3 x.y.example.test. A");
}

TEST_F(ResolverTest, ResolutionBudgetRunsOut) {
  options.resolution_timeout_ms = 30;
  override_ = [](const Sent&) -> std::optional<Action> { return Action::hold(); };
  Collected& c = launch("www.example.test.");
  net.pump();
  EXPECT_EQ(c.calls, 0);
  ASSERT_EQ(net.held(), 1u);  // the priming query
  for (const auto& s : net.log) EXPECT_LE(s.timeout_ms, 30u);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  for (int i = 0; i < 10 && c.calls == 0; ++i) net.releaseHeld(UpstreamError::kTimeout);
  ASSERT_EQ(c.calls, 1);
  EXPECT_EQ(c.answer.rcode, dns::rcode::kServFail);
  EXPECT_EQ(c.answer.ede, ede::kNoReachableAuthority);
  EXPECT_LE(net.log.size(), 2u);
  EXPECT_EQ(resolver->inFlight(), 0u);
}

TEST_F(ResolverTest, ZeroQueryBudgetFailsAtOnce) {
  options.max_upstream_queries = 0;
  Collected& c = launch("www.example.test.");
  EXPECT_EQ(c.calls, 1);  // before resolve() returned
  EXPECT_EQ(c.answer.rcode, dns::rcode::kServFail);
  EXPECT_TRUE(net.log.empty());
  EXPECT_EQ(resolver->inFlight(), 0u);
}

// ---- trust --------------------------------------------------------------------------------------

TEST_F(ResolverTest, GlueIsNotAnAnswer) {
  resolve("www.example.test.");
  // ns.example.test. A is cached as glue (from test.'s referral), ns.test. A as well.
  EXPECT_FALSE(fromCache("ns.example.test.").has_value());
  EXPECT_FALSE(fromCache("ns.test.").has_value());
  const size_t before = net.log.size();
  const Answer a = resolve("ns.example.test.");
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  expectAddress(a, "ns.example.test.", "127.0.0.3");
  EXPECT_EQ(queries(before), (std::vector<std::string>{"127.0.0.3 ns.example.test. A"}));
  // Now an authoritative answer: from the cache.
  EXPECT_TRUE(fromCache("ns.example.test.").has_value());
}

TEST_F(ResolverTest, ReferralNsSetIsNotAnAnswer) {
  resolve("www.example.test.");
  EXPECT_FALSE(fromCache("example.test.", kNS).has_value());
  const size_t before = net.log.size();
  const Answer a = resolve("example.test.", kNS);
  EXPECT_EQ(a.rcode, dns::rcode::kNoError);
  ASSERT_EQ(a.answer.size(), 1u);
  EXPECT_EQ(a.answer[0].type, kNS);
  EXPECT_EQ(queries(before), (std::vector<std::string>{"127.0.0.3 example.test. NS"}));
}

// ---- shutdown -----------------------------------------------------------------------------------

TEST_F(ResolverTest, ShutdownCancelsWithoutAnswering) {
  Collected& c = launch("www.example.test.");
  EXPECT_EQ(net.queued(), 1u);
  resolver->shutdown();
  EXPECT_EQ(resolver->inFlight(), 0u);
  EXPECT_EQ(net.queued(), 0u);
  EXPECT_EQ(net.cancelled.size(), 1u);
  net.pump();
  EXPECT_EQ(c.calls, 0);
}

}  // namespace
}  // namespace vpcdns::resolver
