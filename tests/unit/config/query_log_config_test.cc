// The `query_log` section: off by default, defaults, every key, and errors with positions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using test_support::errorsOf;
using test_support::load;
using ::testing::ElementsAre;

TEST(QueryLogConfig, OffWithoutTheSection) {
  EXPECT_FALSE(load("").query_log.has_value());
}

TEST(QueryLogConfig, Defaults) {
  const Config c = load("query_log:\n  file: queries.jsonl\n");
  ASSERT_TRUE(c.query_log.has_value());
  EXPECT_EQ(c.query_log->file, "queries.jsonl");
  EXPECT_FALSE(c.query_log->vpcs.has_value());  // every VPC
  EXPECT_EQ(c.query_log->max_size, uint64_t{100} << 20);
  EXPECT_EQ(c.query_log->max_files, 5u);
  EXPECT_EQ(c.query_log->account_id, "000000000000");
  EXPECT_EQ(c.query_log->region, "local");
  EXPECT_EQ(c.query_log->queue, 65536u);
}

TEST(QueryLogConfig, ReadsEveryKey) {
  const Config c = load(R"(
vpcs:
  - id: vpc-app
    cidrs: [10.0.0.0/16]
  - id: vpc-data
    cidrs: [10.1.0.0/16]
query_log:
  file: /var/log/vpcdns/queries.jsonl
  vpcs: [vpc-app]
  max_size: 10MiB
  max_files: 3
  account_id: "111122223333"
  region: eu-west-1
  queue: 4096
)");
  ASSERT_TRUE(c.query_log.has_value());
  const auto& q = *c.query_log;
  EXPECT_EQ(q.file, "/var/log/vpcdns/queries.jsonl");
  ASSERT_TRUE(q.vpcs.has_value());
  EXPECT_THAT(*q.vpcs, ElementsAre("vpc-app"));
  EXPECT_EQ(q.max_size, uint64_t{10} << 20);
  EXPECT_EQ(q.max_files, 3u);
  EXPECT_EQ(q.account_id, "111122223333");
  EXPECT_EQ(q.region, "eu-west-1");
  EXPECT_EQ(q.queue, 4096u);
}

TEST(QueryLogConfig, EmptyVpcListLogsNothing) {
  const Config c = load("query_log:\n  file: q.log\n  vpcs: []\n");
  ASSERT_TRUE(c.query_log->vpcs.has_value());
  EXPECT_TRUE(c.query_log->vpcs->empty());
}

TEST(QueryLogConfig, ErrorsNamePositions) {
  EXPECT_THAT(errorsOf("query_log:\n  vpcs: [ghost]\n  max_size: 12\n  max_files: many\n"),
              ElementsAre("cfg.yaml:2:3: query_log: missing required key 'file'",
                          "cfg.yaml:2:10: query_log.vpcs[0]: unknown VPC 'ghost' (declare it "
                          "under vpcs)",
                          "cfg.yaml:3:13: query_log.max_size: expected a size of at least 1KiB, "
                          "got \"12\"",
                          "cfg.yaml:4:14: query_log.max_files: expected integer 0..1000, got "
                          "\"many\""));
  EXPECT_THAT(errorsOf("query_log:\n  file: q.log\n  queue: 1\n  region: \"eu west\"\n"),
              ElementsAre("cfg.yaml:3:10: query_log.queue: expected integer 16..16777216, got "
                          "\"1\"",
                          "cfg.yaml:4:11: query_log.region: expected an id of letters, digits, "
                          "'.', '_' or '-', got \"eu west\""));
}

}  // namespace
}  // namespace vpcdns::config
