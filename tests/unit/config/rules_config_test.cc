// The `forwarding` and `rules` sections: what they load into, and their errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using test_support::errorsOf;
using test_support::load;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RulesConfig, ForwardAndSystemRules) {
  const Config c = load(R"(
forwarding:
  source: 10.0.0.5
  timeout_ms: 800
  selection: order
  failure_threshold: 2
  probe_interval_ms: 500
  cache: false
vpcs:
  - {id: vpc-app, cidrs: [10.0.0.0/16]}
rules:
  - domain: corp.example
    targets: [192.168.10.2, "192.168.10.3:5353", "[fd00::2]:53"]
    vpcs: [vpc-app]
    selection: rtt
    timeout_ms: 300
    source: 10.0.0.6
  - domain: public.corp.example
    type: system
  - domain: .
    targets: [resolv.conf]
)");
  EXPECT_EQ(c.forwarding.source->toString(), "10.0.0.5");
  EXPECT_EQ(c.forwarding.timeout_ms, 800u);
  EXPECT_EQ(c.forwarding.selection, "order");
  EXPECT_EQ(c.forwarding.failure_threshold, 2u);
  EXPECT_EQ(c.forwarding.probe_interval_ms, 500u);
  EXPECT_FALSE(c.forwarding.cache);
  ASSERT_EQ(c.rules.size(), 3u);
  const auto& f = c.rules[0];
  EXPECT_EQ(f.domain.toText(), "corp.example.");
  EXPECT_EQ(f.type, RuleSpec::Type::kForward);
  ASSERT_EQ(f.targets.size(), 3u);
  EXPECT_EQ(f.targets[0].toString(), "192.168.10.2:53");
  EXPECT_EQ(f.targets[1].toString(), "192.168.10.3:5353");
  EXPECT_EQ(f.targets[2].toString(), "[fd00::2]:53");
  EXPECT_THAT(f.vpcs, ElementsAre("vpc-app"));
  EXPECT_EQ(f.selection, "rtt");
  EXPECT_EQ(f.timeout_ms, 300u);
  EXPECT_EQ(f.source->toString(), "10.0.0.6");
  EXPECT_EQ(f.line, 12);  // the raw string starts with a newline
  EXPECT_EQ(c.rules[1].type, RuleSpec::Type::kSystem);
  EXPECT_TRUE(c.rules[1].vpcs.empty());
  EXPECT_TRUE(c.rules[2].domain.isRoot());
  EXPECT_TRUE(c.rules[2].resolv_conf);
  EXPECT_TRUE(c.rules[2].targets.empty());
}

TEST(RulesConfig, Defaults) {
  const Config c = load("rules:\n  - {domain: corp.example, targets: [192.168.10.2]}\n");
  EXPECT_FALSE(c.forwarding.source);
  EXPECT_EQ(c.forwarding.timeout_ms, 1000u);
  EXPECT_EQ(c.forwarding.selection, "rtt");
  EXPECT_EQ(c.forwarding.failure_threshold, 3u);
  EXPECT_EQ(c.forwarding.probe_interval_ms, 2000u);
  EXPECT_TRUE(c.forwarding.cache);
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_TRUE(c.rules[0].selection.empty());
  EXPECT_EQ(c.rules[0].timeout_ms, 0u);
}

TEST(RulesConfig, Errors) {
  EXPECT_THAT(errorsOf("rules:\n  - {domain: corp.example}\n"),
              ElementsAre("cfg.yaml:2:5: rules[0]: a forward rule needs `targets`"));
  EXPECT_THAT(errorsOf("rules:\n  - {domain: corp.example, targets: []}\n"),
              ElementsAre("cfg.yaml:2:37: rules[0].targets: expected at least one target, got an "
                          "empty list"));
  EXPECT_THAT(errorsOf("rules:\n  - {domain: a.example, type: system, targets: [10.0.0.1]}\n"),
              ElementsAre("cfg.yaml:2:48: rules[0].targets: a system rule resolves here and "
                          "takes no targets (remove `targets`)"));
  EXPECT_THAT(errorsOf("rules:\n  - {domain: a.example, type: stub, targets: [10.0.0.1]}\n"),
              ElementsAre("cfg.yaml:2:31: rules[0].type: expected one of forward|system, got "
                          "\"stub\""));
  EXPECT_THAT(errorsOf("rules:\n  - {domain: a.example, targets: [10.0.0.1:99999]}\n"),
              ElementsAre("cfg.yaml:2:35: rules[0].targets[0]: expected IP[:port] (e.g. "
                          "192.168.10.2 or \"[fd00::2]:5353\") or resolv.conf, got "
                          "\"10.0.0.1:99999\""));
  EXPECT_THAT(errorsOf("rules:\n  - {domain: a.example, targets: [10.0.0.1], vpcs: [nope]}\n"),
              ElementsAre("cfg.yaml:2:53: rules[0].vpcs[0]: unknown VPC 'nope' (declare it "
                          "under vpcs)"));
  EXPECT_THAT(errorsOf("forwarding:\n  selection: random\n"),
              ElementsAre("cfg.yaml:2:14: forwarding.selection: expected one of rtt|order, got "
                          "\"random\""));
}

TEST(RulesConfig, DuplicateRulesForTheSameVpcAreErrors) {
  EXPECT_THAT(errorsOf("vpcs: [{id: a}, {id: b}]\n"
                       "rules:\n"
                       "  - {domain: corp.example, targets: [10.0.0.1], vpcs: [a]}\n"
                       "  - {domain: CORP.example., targets: [10.0.0.2], vpcs: [b, a]}\n"),
              ElementsAre("cfg.yaml:4:5: rules[1]: duplicate rule for CORP.example. in the same "
                          "VPC (first at line 3)"));
  // Different VPCs may forward the same domain differently.
  EXPECT_THAT(errorsOf("vpcs: [{id: a}, {id: b}]\n"
                       "rules:\n"
                       "  - {domain: corp.example, targets: [10.0.0.1], vpcs: [a]}\n"
                       "  - {domain: corp.example, targets: [10.0.0.2], vpcs: [b]}\n"),
              IsEmpty());
}

// Loop protection: a target that is one of our own listeners.
TEST(RulesConfig, TargetThatIsOurOwnListenerIsAnError) {
  EXPECT_THAT(errorsOf("server:\n  listen: [{address: \"127.0.0.1:5353\"}]\n"
                       "rules:\n  - {domain: ., targets: [\"127.0.0.1:5353\"]}\n"),
              ElementsAre("cfg.yaml:4:27: rules[0].targets[0]: target 127.0.0.1:5353 is one of "
                          "our own listeners (127.0.0.1:5353): queries would loop"));
  EXPECT_THAT(errorsOf("server:\n  listen: [{address: \"0.0.0.0:53\"}]\n"
                       "rules:\n  - {domain: ., targets: [127.0.0.53]}\n"),
              ElementsAre(::testing::HasSubstr("is one of our own listeners (0.0.0.0:53)")));
  // Same address, another port: fine (a local dnsmasq on 127.0.0.1:53, say).
  EXPECT_THAT(errorsOf("server:\n  listen: [{address: \"127.0.0.1:5353\"}]\n"
                       "rules:\n  - {domain: ., targets: [127.0.0.1]}\n"),
              IsEmpty());
}

}  // namespace
}  // namespace vpcdns::config
