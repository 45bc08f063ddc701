// server.user: looking users up, and dropping root for good (in forked children, so the test
// process keeps its identity). The drop tests need root and are skipped otherwise.
#include "common/privileges.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace vpcdns {
namespace {

// Runs `body` in a child process; returns its exit code (-1 if it died of a signal).
int inChild(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool hasCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return true;
  return (data[0].effective | data[1].effective | data[0].permitted | data[1].permitted) != 0;
}

TEST(ResolveIdentity, NamesComeFromThePasswdAndGroupDatabases) {
  const passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  const uint32_t nobody_uid = pw->pw_uid, nobody_gid = pw->pw_gid;
  auto id = resolveIdentity("nobody", "");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->uid, nobody_uid);
  EXPECT_EQ(id->gid, nobody_gid);  // the primary group

  auto root = resolveIdentity("root", "");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);

  const group* gr = ::getgrnam("daemon");
  ASSERT_NE(gr, nullptr);
  const uint32_t daemon_gid = gr->gr_gid;
  auto with_group = resolveIdentity("nobody", "daemon");
  ASSERT_TRUE(with_group.ok());
  EXPECT_EQ(with_group->uid, nobody_uid);
  EXPECT_EQ(with_group->gid, daemon_gid);
}

TEST(ResolveIdentity, NumericIdsNeedNoPasswdEntry) {
  ASSERT_EQ(::getpwuid(54321), nullptr) << "this test needs uid 54321 to be unused";
  auto id = resolveIdentity("54321", "");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->uid, 54321u);
  EXPECT_EQ(id->gid, 54321u);
  auto with_group = resolveIdentity("54321", "777");
  ASSERT_TRUE(with_group.ok());
  EXPECT_EQ(with_group->gid, 777u);
  auto known = resolveIdentity("0", "");  // uid 0 has an entry: its primary group
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(known->gid, 0u);
}

TEST(ResolveIdentity, UnknownNamesAreErrorsNamingThem) {
  auto user = resolveIdentity("no-such-user-vpcdns", "");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error(), "no such user 'no-such-user-vpcdns'");
  auto group = resolveIdentity("nobody", "no-such-group-vpcdns");
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.error(), "no such group 'no-such-group-vpcdns'");
  EXPECT_FALSE(resolveIdentity("4294967295", "").ok());  // (uid_t)-1 is "unchanged"
  EXPECT_FALSE(resolveIdentity("12abc", "").ok());
}

TEST(DropPrivileges, RootBecomesTheUserForGood) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto id = resolveIdentity("nobody", "nogroup");
  ASSERT_TRUE(id.ok());
  const Identity target = *id;
  const int rc = inChild([&] {
    auto dropped = dropPrivileges(target);
    if (!dropped.ok() || !*dropped) return 10;
    uid_t r = 0, e = 0, s = 0;
    gid_t rg = 0, eg = 0, sg = 0;
    ::getresuid(&r, &e, &s);
    ::getresgid(&rg, &eg, &sg);
    if (r != target.uid || e != target.uid || s != target.uid) return 11;
    if (rg != target.gid || eg != target.gid || sg != target.gid) return 12;
    gid_t groups[8];
    const int n = ::getgroups(8, groups);
    if (n != 1 || groups[0] != target.gid) return 13;  // supplementary groups: only the gid
    if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) return 14;
    if (hasCapabilities()) return 15;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(DropPrivileges, AlreadyThatUserIsANoOpAnotherUserIsAnError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become a first user";
  auto id = resolveIdentity("nobody", "nogroup");
  ASSERT_TRUE(id.ok());
  const Identity target = *id;
  const int rc = inChild([&] {
    if (!dropPrivileges(target).ok()) return 20;
    // systemd's User=vpcdns with server.user: vpcdns: nothing to do.
    auto same = dropPrivileges(target);
    if (!same.ok() || *same) return 21;
    // Another user without the right to switch: refused, as Unbound does.
    auto other = dropPrivileges(Identity{target.uid - 1, target.gid - 1});
    if (other.ok()) return 22;
    if (other.error().find("Operation not permitted") == std::string::npos) return 23;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace vpcdns
