// Forwarding rules in the per-VPC policy tables (GUIDE §2): most specific wins whatever the file
// order, a FORWARD rule beats a private zone on an exact tie, a SYSTEM rule keeps a private zone
// of its name and takes the rest back to recursion, rules apply only to their VPCs, and each
// rule's route carries its targets, choice and cache context.
#include <gtest/gtest.h>

#include "config/config.h"
#include "server/snapshot.h"

namespace vpcdns::server {
namespace {

std::shared_ptr<const Snapshot> snapshotOf(std::string_view yaml) {
  auto loaded = config::loadString(yaml, "cfg.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().front().toString());
  if (!loaded.ok()) return nullptr;
  auto built = buildSnapshot(std::make_shared<const config::Config>(std::move(loaded).value()));
  EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().front());
  return built.ok() ? *built : nullptr;
}

const PolicyEntry* entryFor(const Snapshot& s, const char* client, std::string_view name) {
  const View* view = s.viewFor(*IpAddress::parse(client), 0);
  if (view == nullptr) return nullptr;
  return view->table.match(*dns::Name::fromText(name));
}

std::string kindOf(const Snapshot& s, const char* client, std::string_view name) {
  const PolicyEntry* e = entryFor(s, client, name);
  if (e == nullptr) return "recursion";
  switch (e->kind) {
    case PolicyEntry::Kind::kForward:
      return "forward " + e->route->targets.front().toString();
    case PolicyEntry::Kind::kSystem:
      return "system";
    case PolicyEntry::Kind::kPrivateZone:
      return "zone " + e->apex.toText();
    case PolicyEntry::Kind::kLocalZone:
      return "local";
    case PolicyEntry::Kind::kHostnames:
      return "hostnames";
  }
  return "?";
}

constexpr std::string_view kConfig = R"(
server: {allow: [127.0.0.0/8]}
vpcs:
  - {id: app, cidrs: [10.0.0.0/16]}
  - {id: data, cidrs: [10.1.0.0/16]}
zones:
  - name: corp.example
    vpcs: [app]
    records: [{name: www, type: A, values: [10.0.0.1]}]
  - name: public.corp.example
    vpcs: [app, data]
    records: [{name: www, type: A, values: [10.0.0.2]}]
rules:
  - {domain: dev.corp.example, targets: ["192.168.0.3"]}   # more specific, written first
  - {domain: corp.example, targets: ["192.168.0.1", "192.168.0.2:5353"], selection: order}
  - {domain: public.corp.example, type: system}
  - {domain: internal.public.corp.example, type: system, vpcs: [data]}
  - {domain: 10.in-addr.arpa, targets: ["192.168.0.9"], vpcs: [data]}
  - {domain: ., targets: ["192.168.0.8"], vpcs: [data]}
)";

TEST(RulesPolicy, MostSpecificRuleWinsWhateverTheOrder) {
  auto s = snapshotOf(kConfig);
  ASSERT_TRUE(s);
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "x.dev.corp.example."), "forward 192.168.0.3:53");
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "x.corp.example."), "forward 192.168.0.1:53");
}

TEST(RulesPolicy, ForwardRuleBeatsAPrivateZoneOfTheSameName) {
  auto s = snapshotOf(kConfig);
  ASSERT_TRUE(s);
  // app has a private zone corp.example, and the rule for corp.example wins the tie.
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "www.corp.example."), "forward 192.168.0.1:53");
}

TEST(RulesPolicy, SystemRuleKeepsThePrivateZoneOfItsNameAndElseRecurses) {
  auto s = snapshotOf(kConfig);
  ASSERT_TRUE(s);
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "www.public.corp.example."), "zone public.corp.example.");
  // data sees public.corp.example as a zone too; below it, its own SYSTEM rule.
  EXPECT_EQ(kindOf(*s, "10.1.0.5", "a.internal.public.corp.example."), "system");
  // A client in no VPC: the all-VPC rules apply, the zones do not (none is associated).
  EXPECT_EQ(kindOf(*s, "127.0.0.1", "www.public.corp.example."), "system");
  EXPECT_EQ(kindOf(*s, "127.0.0.1", "www.corp.example."), "forward 192.168.0.1:53");
}

TEST(RulesPolicy, RulesApplyOnlyToTheirVpcs) {
  auto s = snapshotOf(kConfig);
  ASSERT_TRUE(s);
  EXPECT_EQ(kindOf(*s, "10.1.0.5", "www.example.com."), "forward 192.168.0.8:53");
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "www.example.com."), "recursion");
  EXPECT_EQ(kindOf(*s, "127.0.0.1", "www.example.com."), "recursion");
  // A FORWARD rule replaces a built-in RFC 6303 zone (reverse lookups sent on-premises).
  EXPECT_EQ(kindOf(*s, "10.1.0.5", "4.3.2.10.in-addr.arpa."), "forward 192.168.0.9:53");
  EXPECT_EQ(kindOf(*s, "10.0.0.5", "4.3.2.10.in-addr.arpa."), "local");
}

TEST(RulesPolicy, RoutesCarryChoiceTimeoutSourceAndDistinctCacheContexts) {
  auto s = snapshotOf(R"(
forwarding: {timeout_ms: 700, source: 10.0.0.5}
rules:
  - {domain: a.example, targets: ["192.168.0.1", "192.168.0.2"]}
  - {domain: b.example, targets: ["192.168.0.2", "192.168.0.1"], selection: order}
  - {domain: c.example, targets: ["192.168.0.3"], timeout_ms: 300, source: 10.0.0.6}
  - {domain: d.example, type: system}
)");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->routes.size(), 4u);
  const auto& a = s->routes[0];
  const auto& b = s->routes[1];
  const auto& c = s->routes[2];
  EXPECT_TRUE(a.by_rtt);
  EXPECT_FALSE(b.by_rtt);
  EXPECT_EQ(a.timeout_ms, 700u);
  EXPECT_EQ(c.timeout_ms, 300u);
  EXPECT_EQ(a.source->toString(), "10.0.0.5");
  EXPECT_EQ(c.source->toString(), "10.0.0.6");
  // The same target set shares a context (order does not matter); another set does not; none
  // is the public recursive context.
  EXPECT_EQ(a.cache_context, b.cache_context);
  EXPECT_NE(a.cache_context, c.cache_context);
  EXPECT_NE(a.cache_context, 0u);
  EXPECT_NE(c.cache_context, 0u);
  EXPECT_TRUE(s->routes[3].targets.empty());
}

}  // namespace
}  // namespace vpcdns::server
