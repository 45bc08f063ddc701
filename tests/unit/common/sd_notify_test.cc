// sd_notify without libsystemd: the datagram reaches path and abstract AF_UNIX sockets intact.
#include "common/sd_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>

namespace vpcdns {
namespace {

// A datagram socket bound to `name` (path or @abstract), as systemd's notify socket is.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, name.data(), name.size());
    if (name[0] == '@') sa.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                            (name[0] == '@' ? 0 : 1));
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) ::close(fd_);
    if (name_[0] == '/') ::unlink(name_.c_str());
  }
  bool bound() const { return bound_; }
  // One datagram, or "" after 2 s.
  std::string receive() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string uniqueSuffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

TEST(SdNotify, PathSocketGetsTheWholeDatagram) {
  const std::string path = ::testing::TempDir() + "/notify-" + uniqueSuffix() + ".sock";
  NotifyListener listener(path);
  ASSERT_TRUE(listener.bound()) << path;
  const std::string state = "READY=1\nSTATUS=serving on 127.0.0.1:53\n";
  auto sent = sdNotifyTo(path, state);
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_TRUE(*sent);
  EXPECT_EQ(listener.receive(), state);
}

TEST(SdNotify, AbstractSocketNameStartsWithAt) {
  const std::string name = "@vpcdns-test-" + uniqueSuffix();
  NotifyListener listener(name);
  ASSERT_TRUE(listener.bound());
  auto sent = sdNotifyTo(name, "STOPPING=1");
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_EQ(listener.receive(), "STOPPING=1");
}

TEST(SdNotify, ReadsNotifySocketFromTheEnvironment) {
  const std::string name = "@vpcdns-env-" + uniqueSuffix();
  NotifyListener listener(name);
  ASSERT_TRUE(listener.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  auto sent = sdNotify("RELOADING=1\n" + sdMonotonicUsec());
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_TRUE(*sent);
  const std::string got = listener.receive();
  EXPECT_EQ(got.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << got;
  EXPECT_GT(got.size(), std::string("RELOADING=1\nMONOTONIC_USEC=").size());
}

TEST(SdNotify, UnsetOrEmptyEnvironmentSendsNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  auto unset = sdNotify("READY=1");
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(*unset);
  ::setenv("NOTIFY_SOCKET", "", 1);
  auto empty = sdNotify("READY=1");
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);
}

TEST(SdNotify, BadNamesAndMissingSocketsAreErrors) {
  EXPECT_FALSE(sdNotifyTo("relative/path", "READY=1").ok());
  EXPECT_FALSE(sdNotifyTo(std::string(200, '/'), "READY=1").ok());  // longer than sun_path
  const std::string missing = ::testing::TempDir() + "/no-such-" + uniqueSuffix() + ".sock";
  auto r = sdNotifyTo(missing, "READY=1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(missing), std::string::npos) << r.error();
}

}  // namespace
}  // namespace vpcdns
