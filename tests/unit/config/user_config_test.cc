// server.user and server.group: looked up when the config is loaded; errors at their line.
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include "config/config.h"
#include "tests/unit/config/config_test_support.h"

namespace vpcdns::config {
namespace {

using test_support::errorsOf;
using test_support::load;
using ::testing::ElementsAre;

TEST(UserConfig, NoUserByDefault) {
  const Config c = load("server:\n  workers: 1\n");
  EXPECT_TRUE(c.server.user.empty());
  EXPECT_TRUE(c.server.group.empty());
}

TEST(UserConfig, UserAndGroupAreResolved) {
  const passwd* pw = ::getpwnam("nobody");
  const group* gr = ::getgrnam("daemon");
  ASSERT_NE(pw, nullptr);
  ASSERT_NE(gr, nullptr);
  const uint32_t uid = pw->pw_uid, primary = pw->pw_gid, daemon_gid = gr->gr_gid;

  const Config c = load("server:\n  user: nobody\n");
  EXPECT_EQ(c.server.user, "nobody");
  EXPECT_EQ(c.server.uid, uid);
  EXPECT_EQ(c.server.gid, primary);

  // The group may come before the user.
  const Config g = load("server:\n  group: daemon\n  user: nobody\n");
  EXPECT_EQ(g.server.uid, uid);
  EXPECT_EQ(g.server.gid, daemon_gid);

  const Config n = load("server:\n  user: \"54321\"\n  group: \"54322\"\n");
  EXPECT_EQ(n.server.uid, 54321u);
  EXPECT_EQ(n.server.gid, 54322u);
}

TEST(UserConfig, UnknownNamesAreErrorsAtTheirLine) {
  EXPECT_THAT(errorsOf("server:\n  workers: 1\n  user: no-such-user-vpcdns\n"),
              ElementsAre("cfg.yaml:3:9: server.user: no such user 'no-such-user-vpcdns'"));
  EXPECT_THAT(errorsOf("server:\n  user: nobody\n  group: no-such-group-vpcdns\n"),
              ElementsAre("cfg.yaml:3:10: server.group: no such group 'no-such-group-vpcdns'"));
}

TEST(UserConfig, BadValuesAreErrors) {
  EXPECT_THAT(errorsOf("server:\n  group: daemon\n"),
              ElementsAre("cfg.yaml:2:10: server.group: 'group' needs 'user' (the user to run "
                          "as after binding)"));
  EXPECT_THAT(errorsOf("server:\n  user: \"\"\n"),
              ElementsAre("cfg.yaml:2:9: server.user: expected a user or group name, or a "
                          "numeric id, got \"\""));
  EXPECT_THAT(errorsOf("server:\n  user: [a, b]\n"),
              ElementsAre("cfg.yaml:2:9: server.user: expected a user or group name, or a "
                          "numeric id, got a list"));
}

}  // namespace
}  // namespace vpcdns::config
