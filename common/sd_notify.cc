#include "common/sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace vpcdns {

Result<bool, std::string> sdNotifyTo(std::string_view socket_name, std::string_view state) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  // Abstract names need not be NUL-terminated; path names must be (hence the strict '<').
  const bool abstract = !socket_name.empty() && socket_name.front() == '@';
  const bool path = !socket_name.empty() && socket_name.front() == '/';
  if ((!abstract && !path) || socket_name.size() > sizeof(sa.sun_path) ||
      (path && socket_name.size() == sizeof(sa.sun_path))) {
    return fail("NOTIFY_SOCKET: expected an absolute path or an @abstract name, got \"" +
                std::string(socket_name) + "\"");
  }
  std::memcpy(sa.sun_path, socket_name.data(), socket_name.size());
  if (abstract) sa.sun_path[0] = '\0';
  const auto len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size() + (path ? 1 : 0));

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("NOTIFY_SOCKET: socket: ") + std::strerror(errno));
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&sa), len);
  const int saved = errno;
  ::close(fd);
  if (sent < 0 || static_cast<size_t>(sent) != state.size()) {
    return fail("NOTIFY_SOCKET " + std::string(socket_name) +
                ": sendto: " + (sent < 0 ? std::strerror(saved) : "short write"));
  }
  return true;
}

Result<bool, std::string> sdNotify(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return false;
  return sdNotifyTo(name, state);
}

std::string sdMonotonicUsec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ull +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ull;
  return "MONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace vpcdns
