// The `admin` section: where the admin HTTP API listens, its token, and their errors.
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

TEST(AdminConfig, OffByDefault) {
  const Config c = load("server: {workers: 1}\n");
  EXPECT_FALSE(c.admin.listen.has_value());
  EXPECT_TRUE(c.admin.token.empty());
}

TEST(AdminConfig, LoopbackNeedsNoToken) {
  const Config c = load("admin:\n  listen: 127.0.0.1:8053\n");
  ASSERT_TRUE(c.admin.listen.has_value());
  EXPECT_EQ(c.admin.listen->toString(), "127.0.0.1:8053");
  EXPECT_TRUE(c.admin.token.empty());
  EXPECT_EQ(load("admin: {listen: \"[::1]:9000\"}\n").admin.listen->toString(), "[::1]:9000");
  EXPECT_EQ(load("admin: {listen: 127.0.0.2}\n").admin.listen->port(), 8053);
}

TEST(AdminConfig, TokenOnLoopbackIsKept) {
  const Config c = load("admin:\n  listen: 127.0.0.1:8053\n  token: s3cret-s3cret-s3cret\n");
  EXPECT_EQ(c.admin.token, "s3cret-s3cret-s3cret");
}

TEST(AdminConfig, NonLoopbackWithoutTokenIsRefusedNamingTheLine) {
  EXPECT_THAT(errorsOf("server: {workers: 1}\nadmin:\n  listen: 10.0.0.2:8053\n"),
              ElementsAre("cfg.yaml:3:11: admin.listen: the admin API listens on 10.0.0.2:8053, "
                          "not a loopback address: a token (or token_file) is required"));
  EXPECT_THAT(errorsOf("admin:\n  listen: 0.0.0.0:8053\n"),
              ElementsAre(::testing::HasSubstr("cfg.yaml:2:11: admin.listen:")));
  EXPECT_THAT(errorsOf("admin:\n  listen: 10.0.0.2:8053\n  token: 0123456789abcdef\n"), IsEmpty());
  EXPECT_THAT(errorsOf("admin:\n  listen: 10.0.0.2:8053\n  token_file: admin.token\n"), IsEmpty());
}

TEST(AdminConfig, BadValuesAreReportedWithTheirPosition) {
  EXPECT_THAT(errorsOf("admin:\n  listen: nowhere\n"),
              ElementsAre("cfg.yaml:2:11: admin.listen: expected IP:port (e.g. 127.0.0.1:8053), "
                          "got \"nowhere\""));
  EXPECT_THAT(errorsOf("admin:\n  listen: 127.0.0.1:8053\n  token: short\n"),
              ElementsAre(::testing::HasSubstr("cfg.yaml:3:10: admin.token: expected a token")));
  EXPECT_THAT(errorsOf("admin:\n  listen: 127.0.0.1:8053\n  token: \"has a space in it ok\"\n"),
              ElementsAre(::testing::HasSubstr("cfg.yaml:3:10: admin.token: expected a token")));
  EXPECT_THAT(errorsOf("admin:\n  listen: 127.0.0.1:8053\n  tokn: x\n"),
              ElementsAre(::testing::HasSubstr("cfg.yaml:3:3: admin: unknown key 'tokn'")));
  EXPECT_THAT(errorsOf("admin:\n  token: 0123456789abcdef\n  token_file: t\n"),
              ElementsAre(::testing::HasSubstr("admin: token and token_file are exclusive")));
}

TEST(AdminConfig, SameAddressAsADnsListenerIsRefused) {
  EXPECT_THAT(errorsOf("server:\n  listen:\n    - address: 127.0.0.1:8053\n"
                       "admin:\n  listen: 127.0.0.1:8053\n"),
              ElementsAre("cfg.yaml:5:11: admin.listen: the admin API address 127.0.0.1:8053 is "
                          "also a DNS listener (127.0.0.1:8053)"));
  // The admin section first, a wildcard DNS listener on the same port after it.
  EXPECT_THAT(errorsOf("admin:\n  listen: 127.0.0.1:5300\n"
                       "server:\n  listen:\n    - address: 0.0.0.0:5300\n"),
              ElementsAre(::testing::HasSubstr("cfg.yaml:2:11: admin.listen:")));
  EXPECT_THAT(errorsOf("server:\n  listen:\n    - address: 127.0.0.1:53\n"
                       "admin:\n  listen: 127.0.0.1:8053\n"),
              IsEmpty());
}

}  // namespace
}  // namespace vpcdns::config
