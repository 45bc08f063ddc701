// End-to-end tests of the iterative resolver: the real daemon, with its root hints pointing at a
// fake DNS hierarchy of real authoritative servers on loopback (tests/e2e/hierarchy.h,
// tests/data/hierarchy/README.md), queried with dig. The hierarchy is started once for the
// binary; each test gets its own daemon on a fresh address, so no cache is shared.
//
// HierarchySanity checks the hierarchy itself (each server queried directly, and Unbound as a
// reference resolver), independent of vpcdns. ResolverTest checks vpcdns, and uses the
// daemon's SIGUSR1 statistics line to count upstream queries.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "tests/e2e/daemon_process.h"
#include "tests/e2e/hierarchy.h"

namespace vpcdns::test {
namespace {

[[maybe_unused]] ::testing::Environment* const kHierarchy =
    ::testing::AddGlobalTestEnvironment(new HierarchyEnvironment);

constexpr uint16_t kPort = 5353;

FakeHierarchy& hierarchy() {
  // The environment's SetUp fails fatally when the hierarchy does not start, and then no test
  // runs; so here it exists.
  return *FakeHierarchy::current();
}

std::vector<std::string> dataOf(const std::vector<DigRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.data);
  std::sort(out.begin(), out.end());
  return out;
}

// Names below deep.test. that its server was asked after log byte `offset`, each at its first
// appearance, in order; waits (bounded) until `last` is among them.
std::vector<std::string> namesBelowDeep(const FakeHierarchy& h, size_t offset,
                                        const std::string& last, std::string* seen) {
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) {  // Unbound logs a query as it answers it; allow it 2 s
    names = h.deepLoggedNames(offset);
    if (std::find(names.begin(), names.end(), last) != names.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<std::string> firsts;
  for (const auto& n : names) {
    *seen += "  " + n + "\n";
    if (n != "deep.test." && n.ends_with(".deep.test.") &&
        std::find(firsts.begin(), firsts.end(), n) == firsts.end()) {
      firsts.push_back(n);
    }
  }
  return firsts;
}

// With QNAME minimisation, deep.test.'s server sees the name grow one label at a time below its
// zone, then the full name (RFC 9156: one label per step for the first labels).
const std::vector<std::string> kMinimisedDeepNames = {"d.deep.test.", "c.d.deep.test.",
                                                      "b.c.d.deep.test.", "a.b.c.d.deep.test."};

// ---- The hierarchy on its own ----------------------------------------------------------------

TEST(HierarchySanity, ServersAnswerDirectly) {
  FakeHierarchy& h = hierarchy();
  // The root refers test. with glue.
  auto r = dig(h.rootAddress(), 53, "www.example.test.", "A", {"+norec"});
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(r.flags.count("aa"), 0u) << r.describe();
  EXPECT_EQ(dataOf(r.find(r.authority, "NS", "test.")), std::vector<std::string>{"ns.nic.test."})
      << r.describe();
  EXPECT_EQ(dataOf(r.find(r.additional, "A", "ns.nic.test.")),
            std::vector<std::string>{h.address("1.1")})
      << r.describe();

  // Data of example.test., and its negative answers with the SOA (negative TTL 30).
  r = dig(h.exampleAddress(), 53, "www.example.test.", "A", {"+norec"});
  EXPECT_TRUE(r.flags.count("aa")) << r.describe();
  EXPECT_EQ(dataOf(r.answer), std::vector<std::string>{"192.0.2.10"}) << r.describe();
  r = dig(h.exampleAddress(), 53, "nope.example.test.", "A", {"+norec"});
  EXPECT_EQ(r.status, "NXDOMAIN") << r.describe();
  ASSERT_EQ(r.find(r.authority, "SOA").size(), 1u) << r.describe();
  EXPECT_EQ(r.find(r.authority, "SOA")[0].ttl, 30u) << r.describe();
  r = dig(h.exampleAddress(), 53, "host1.example.test.", "TXT", {"+norec"});
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_TRUE(r.answer.empty()) << r.describe();
  EXPECT_EQ(r.find(r.authority, "SOA").size(), 1u) << r.describe();

  // The glueless delegation: test. names ns.other. and gives no address for it.
  r = dig(h.address("1.1"), 53, "www.glueless.test.", "A", {"+norec"});
  EXPECT_EQ(dataOf(r.find(r.authority, "NS", "glueless.test.")),
            std::vector<std::string>{"ns.other."})
      << r.describe();
  EXPECT_TRUE(r.find(r.additional, "A").empty()) << r.describe();

  // big.test.: truncated over UDP at EDNS 1232 (+ignore shows the truncated reply), complete
  // over TCP.
  r = dig(h.bigAddress(), 53, "txt.big.test.", "TXT", {"+norec", "+bufsize=1232", "+ignore"});
  EXPECT_TRUE(r.flags.count("tc")) << r.describe();
  r = dig(h.bigAddress(), 53, "txt.big.test.", "TXT", {"+norec", "+tcp"});
  EXPECT_EQ(r.answer.size(), 16u) << r.describe();

  // multi.test.: one server REFUSED, one silent, one that answers.
  r = dig(h.refusedAddress(), 53, "www.multi.test.", "A", {"+norec"});
  EXPECT_EQ(r.status, "REFUSED") << r.describe();
  const uint64_t swallowed = h.silentQueries();
  r = dig(h.silentAddress(), 53, "www.multi.test.", "A", {"+norec", "+timeout=1"});
  EXPECT_EQ(r.status, "") << r.describe();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_GT(h.silentQueries(), swallowed);
  r = dig(h.multiAddress(), 53, "www.multi.test.", "A", {"+norec"});
  EXPECT_EQ(dataOf(r.answer), std::vector<std::string>{"192.0.2.88"}) << r.describe();

  // deep.test. on Unbound: answered with AA, and the query is in its log.
  const size_t offset = h.deepLogText().size();
  r = dig(h.deepAddress(), 53, "a.b.c.d.deep.test.", "A", {"+norec"});
  EXPECT_TRUE(r.flags.count("aa")) << r.describe();
  EXPECT_EQ(dataOf(r.answer), std::vector<std::string>{"192.0.2.77"}) << r.describe();
  r = dig(h.deepAddress(), 53, "c.d.deep.test.", "A", {"+norec"});
  EXPECT_EQ(r.status, "NOERROR") << "an empty non-terminal\n" << r.describe();
  std::string seen;
  EXPECT_EQ(namesBelowDeep(h, offset, "c.d.deep.test.", &seen),
            (std::vector<std::string>{"a.b.c.d.deep.test.", "c.d.deep.test."}))
      << seen;
}

// Unbound, as a recursive resolver against the hierarchy, resolves every case the vpcdns tests
// use: the hierarchy is right whatever vpcdns does.
TEST(HierarchySanity, UnboundResolves) {
  FakeHierarchy& h = hierarchy();
  const std::string address = freshLoopbackAddress();
  std::string error;
  UnboundResolver unbound(h, address, kPort, &error);
  ASSERT_TRUE(unbound.ok()) << error;

  struct Case {
    const char* name;
    const char* type;
    const char* status;
    std::vector<std::string> data;  // of the final type's records in the answer
  };
  const std::vector<Case> cases = {
      {"www.example.test.", "A", "NOERROR", {"192.0.2.10"}},
      {"www.example.test.", "AAAA", "NOERROR", {"2001:db8::10"}},
      {"www.example.test.", "MX", "NOERROR", {"10 mail.example.test."}},
      {"alias.example.test.", "A", "NOERROR", {"198.51.100.10"}},
      {"nope.example.test.", "A", "NXDOMAIN", {}},
      {"host1.example.test.", "TXT", "NOERROR", {}},
      {"www.glueless.test.", "A", "NOERROR", {"192.0.2.44"}},
      {"www.multi.test.", "A", "NOERROR", {"192.0.2.88"}},
      {"a.b.c.d.deep.test.", "A", "NOERROR", {"192.0.2.77"}},
  };
  const size_t offset = h.deepLogText().size();
  for (const auto& c : cases) {
    // Unbound's first try may go to multi.test's silent server and back off (376 ms, doubling)
    // before it tries the one that answers: on a loaded machine (the ASan suite) it has left
    // dig's question unanswered for over 15 s, and answered the same question asked again.
    // This test checks the hierarchy, not Unbound's speed: three tries of 15 s each.
    const auto r = dig(address, kPort, c.name, c.type, {"+timeout=15", "+tries=3"});
    EXPECT_EQ(r.status, c.status) << r.describe();
    EXPECT_EQ(dataOf(r.find(r.answer, c.type)), c.data) << r.describe();
  }
  const auto big = dig(address, kPort, "txt.big.test.", "TXT");
  EXPECT_TRUE(big.retried_over_tcp) << big.describe();
  EXPECT_EQ(big.find(big.answer, "TXT").size(), 16u) << big.describe();

  // Unbound minimises too: this is what ResolverTest.QnameMinimisationSeenByTheDeepServer
  // expects of vpcdns.
  std::string seen;
  EXPECT_EQ(namesBelowDeep(h, offset, kMinimisedDeepNames.back(), &seen), kMinimisedDeepNames)
      << "queries seen by deep.test.'s server:\n"
      << seen;
}

// ---- vpcdns ----------------------------------------------------------------------------------

std::string daemonConfig(const std::string& address) {
  return "server:\n"
         "  listen: [{address: \"" +
         address +
         ":5353\"}]\n"
         "  workers: 1\n"
         "  allow: [127.0.0.0/8]\n"
         "resolver:\n"
         "  root_hints: hints.root\n"
         "  dont_query: []\n"
         "  qname_minimisation: true\n"
         "  ipv6: false\n"
         "cache:\n"
         "  max_memory: 64MiB\n"
         "  min_ttl: 0\n";
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(
        daemonConfig(addr_), addr_, kPort,
        std::vector<std::pair<std::string, std::string>>{{"hints.root", hierarchy().rootHints()}});
  }
  void TearDown() override {
    EXPECT_TRUE(daemon_->alive()) << "daemon died:\n" << daemon_->stderrText();
  }

  DigResult ask(const std::string& name, const std::string& type,
                const std::vector<std::string>& extra = {}) {
    return dig(addr_, kPort, name, type, extra);
  }

  // The daemon's counters now; a failed read fails the test (and yields an empty map).
  Stats stats() {
    std::string error;
    auto s = daemonStats(*daemon_, &error);
    EXPECT_TRUE(s) << error;
    return s ? *s : Stats{};
  }
  static uint64_t value(const Stats& stats, const std::string& key) {
    const auto it = stats.find(key);
    return it == stats.end() ? 0 : it->second;
  }
  static uint64_t delta(const Stats& before, const Stats& after, const std::string& key) {
    const auto b = before.find(key), a = after.find(key);
    if (b == before.end() || a == after.end()) return 0;
    return a->second - b->second;
  }

  std::string addr_ = freshLoopbackAddress();
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ResolverTest, PlainAnswers) {
  auto r = ask("www.example.test.", "A");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "www.example.test.")),
            std::vector<std::string>{"192.0.2.10"})
      << r.describe();
  r = ask("www.example.test.", "AAAA");
  EXPECT_EQ(dataOf(r.find(r.answer, "AAAA", "www.example.test.")),
            std::vector<std::string>{"2001:db8::10"})
      << r.describe();
  r = ask("www.example.test.", "MX");
  EXPECT_EQ(dataOf(r.find(r.answer, "MX", "www.example.test.")),
            std::vector<std::string>{"10 mail.example.test."})
      << r.describe();
  r = ask("www.example.test.", "TXT");
  EXPECT_EQ(dataOf(r.find(r.answer, "TXT", "www.example.test.")),
            std::vector<std::string>{"\"v=vpcdns-test www\""})
      << r.describe();
}

TEST_F(ResolverTest, CnameChainCrossesTlds) {
  const auto r = ask("alias.example.test.", "A");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "CNAME", "alias.example.test.")),
            std::vector<std::string>{"www.target.other."})
      << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "www.target.other.")),
            std::vector<std::string>{"198.51.100.10"})
      << r.describe();
}

// A negative answer carries example.test.'s SOA, and the second one comes from the cache.
void expectNegativeCached(const DigResult& first, const DigResult& second,
                          const std::string& status, uint64_t upstream_delta) {
  for (const auto* r : {&first, &second}) {
    EXPECT_EQ(r->status, status) << r->describe();
    EXPECT_TRUE(r->answer.empty()) << r->describe();
    ASSERT_EQ(r->find(r->authority, "SOA", "example.test.").size(), 1u) << r->describe();
    EXPECT_LE(r->find(r->authority, "SOA")[0].ttl, 30u) << "the negative TTL\n" << r->describe();
  }
  EXPECT_LE(second.find(second.authority, "SOA")[0].ttl, first.find(first.authority, "SOA")[0].ttl)
      << first.describe() << second.describe();
  EXPECT_EQ(upstream_delta, 0u) << "the second answer should come from the cache";
}

TEST_F(ResolverTest, NxdomainWithSoaIsCached) {
  const auto first = ask("nope.example.test.", "A");
  const Stats before = stats();
  const auto second = ask("nope.example.test.", "A");
  const Stats after = stats();
  expectNegativeCached(first, second, "NXDOMAIN", delta(before, after, "upstream_queries"));
}

TEST_F(ResolverTest, NodataWithSoaIsCached) {
  const auto first = ask("host1.example.test.", "TXT");
  const Stats before = stats();
  const auto second = ask("host1.example.test.", "TXT");
  const Stats after = stats();
  expectNegativeCached(first, second, "NOERROR", delta(before, after, "upstream_queries"));
}

TEST_F(ResolverTest, GluelessDelegation) {
  // test. names ns.other. for glueless.test. without an address: the resolver resolves
  // ns.other. A through the other TLD first.
  const auto r = ask("www.glueless.test.", "A");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "www.glueless.test.")),
            std::vector<std::string>{"192.0.2.44"})
      << r.describe();
}

TEST_F(ResolverTest, SilentAndRefusedServersAreSkipped) {
  // multi.test. has three servers: ns1 never answers, ns2 answers REFUSED, ns3 works. Which
  // ones the resolver tries first is its (random, then RTT-based) choice, so several names are
  // asked, each a new upstream question to multi.test.'s servers.
  FakeHierarchy& h = hierarchy();
  const uint64_t swallowed = h.silentQueries();
  const Stats before = stats();
  const auto r = ask("www.multi.test.", "A");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "www.multi.test.")),
            std::vector<std::string>{"192.0.2.88"})
      << r.describe();
  for (int i = 1; i <= 5; ++i) {
    const auto nx = ask("n" + std::to_string(i) + ".multi.test.", "A");
    EXPECT_EQ(nx.status, "NXDOMAIN") << nx.describe();
    EXPECT_EQ(nx.find(nx.authority, "SOA", "multi.test.").size(), 1u) << nx.describe();
  }
  const Stats after = stats();
  std::cout << "[multi.test] 6 names: the silent server got " << (h.silentQueries() - swallowed)
            << " queries; upstream_queries +" << delta(before, after, "upstream_queries")
            << ", upstream_timeouts +" << delta(before, after, "upstream_timeouts")
            << ", upstream_ignored +" << delta(before, after, "upstream_ignored") << "\n";
}

TEST_F(ResolverTest, LargeAnswerUsesTcpUpstream) {
  // Over UDP at EDNS 1232 the ~3.3 kB RRset does not fit: big.test.'s server sets TC, so the
  // daemon must ask again over TCP; its own reply to dig is truncated too, and dig retries
  // over TCP.
  const auto r = ask("txt.big.test.", "TXT");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_TRUE(r.retried_over_tcp) << r.describe();
  const auto txt = r.find(r.answer, "TXT", "txt.big.test.");
  ASSERT_EQ(txt.size(), 16u) << r.describe();
  for (int i = 1; i <= 16; ++i) {
    const std::string tag = std::string("\"record ") + (i < 10 ? "0" : "") + std::to_string(i);
    EXPECT_TRUE(std::any_of(txt.begin(), txt.end(),
                            [&](const DigRecord& rec) { return rec.data.starts_with(tag); }))
        << tag << " missing\n"
        << r.describe();
  }
  const Stats s = stats();
  EXPECT_GE(value(s, "upstream_tcp"), 1u) << "the daemon must have used TCP upstream";
}

TEST_F(ResolverTest, ShortTtlExpiresAndIsRefetched) {
  const auto first = ask("short.example.test.", "A");
  EXPECT_EQ(dataOf(first.find(first.answer, "A")), std::vector<std::string>{"192.0.2.99"})
      << first.describe();
  const Stats before = stats();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the record's TTL is 2 s
  const auto second = ask("short.example.test.", "A");
  const Stats after = stats();
  EXPECT_EQ(dataOf(second.find(second.answer, "A")), std::vector<std::string>{"192.0.2.99"})
      << second.describe();
  for (const auto& rec : second.find(second.answer, "A")) EXPECT_LE(rec.ttl, 2u);
  EXPECT_GE(delta(before, after, "upstream_queries"), 1u) << "expired: fetched again";
}

TEST_F(ResolverTest, QnameMinimisationSeenByTheDeepServer) {
  FakeHierarchy& h = hierarchy();
  const size_t offset = h.deepLogText().size();
  const auto r = ask("a.b.c.d.deep.test.", "A");
  EXPECT_EQ(r.status, "NOERROR") << r.describe();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "a.b.c.d.deep.test.")),
            std::vector<std::string>{"192.0.2.77"})
      << r.describe();

  std::string seen;
  const auto firsts = namesBelowDeep(h, offset, kMinimisedDeepNames.back(), &seen);
  std::cout << "[deep.test] queries seen by its server:\n" << seen;
  EXPECT_EQ(firsts, kMinimisedDeepNames) << "queries seen by deep.test.'s server:\n" << seen;

  // The same question again is answered from the cache.
  const Stats before = stats();
  const auto again = ask("a.b.c.d.deep.test.", "A");
  const Stats after = stats();
  EXPECT_EQ(dataOf(again.find(again.answer, "A")), std::vector<std::string>{"192.0.2.77"})
      << again.describe();
  EXPECT_EQ(delta(before, after, "upstream_queries"), 0u);
}

TEST_F(ResolverTest, ColdResolutionQueryEconomy) {
  // DaemonProcess's readiness probe asked ". NS", so the root is primed by now: the priming
  // query (". NS" at a.root-servers.) answered the probe. What remains for a cold
  // www.example.test. A, with QNAME minimisation and glue for every server on the path:
  //   1. "test. A" at the root           -> referral to test. (glue for ns.nic.test.)
  //   2. "example.test. A" at test.      -> referral to example.test. (glue for ns1)
  //   3. "www.example.test. A" at ns1    -> the answer
  // Glue is used as given; with ipv6: false no AAAA is asked for any NS name (each would add
  // one query, so the exact count also covers that).
  const Stats before = stats();
  const auto r = ask("www.example.test.", "A");
  const Stats after = stats();
  EXPECT_EQ(dataOf(r.find(r.answer, "A", "www.example.test.")),
            std::vector<std::string>{"192.0.2.10"})
      << r.describe();
  const uint64_t cold = delta(before, after, "upstream_queries");
  const uint64_t total = value(after, "upstream_queries");
  std::cout << "[economy] www.example.test. A cold: " << cold
            << " upstream queries; since start (priming and the readiness probe included): "
            << total << "\n";
  EXPECT_EQ(cold, 3u);
  EXPECT_LE(total, 5u) << "priming (1) + at most one more for the probe's \". NS\" + the 3 above";
  EXPECT_EQ(delta(before, after, "upstream_tcp"), 0u);
  EXPECT_EQ(delta(before, after, "upstream_timeouts"), 0u);

  // Another name in the same zone: only the final query.
  const Stats before_mail = stats();
  ask("mail.example.test.", "A");
  const Stats after_mail = stats();
  EXPECT_EQ(delta(before_mail, after_mail, "upstream_queries"), 1u)
      << "the example.test. delegation is cached";
}

}  // namespace
}  // namespace vpcdns::test
