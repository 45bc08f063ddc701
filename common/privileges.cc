#include "common/privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

namespace vpcdns {
namespace {

std::optional<uint32_t> parseId(std::string_view text) {
  uint32_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  // (uid_t)-1 means "unchanged" to the set*id calls: never a real id.
  if (text.empty() || ec != std::errc() || p != end || v == UINT32_MAX) return std::nullopt;
  return v;
}

long bufferSize(int name) {
  const long n = ::sysconf(name);
  return n > 0 ? n : 16384;
}

// getpwnam_r / getpwuid_r; nullopt when there is no such entry.
std::optional<passwd> lookupUser(const std::string& name, std::optional<uint32_t> uid,
                                 std::vector<char>& buf) {
  buf.resize(static_cast<size_t>(bufferSize(_SC_GETPW_R_SIZE_MAX)));
  passwd pw{};
  passwd* found = nullptr;
  for (;;) {
    const int rc = uid ? ::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found)
                       : ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return pw;
  }
}

std::optional<uint32_t> lookupGroup(const std::string& name) {
  std::vector<char> buf(static_cast<size_t>(bufferSize(_SC_GETGR_R_SIZE_MAX)));
  group gr{};
  group* found = nullptr;
  for (;;) {
    const int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return gr.gr_gid;
  }
}

std::string errnoText(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

// Permitted and effective capability sets are empty (capget(2), version 3: two 32-bit words).
bool noCapabilities() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return data[0].effective == 0 && data[1].effective == 0 && data[0].permitted == 0 &&
         data[1].permitted == 0;
}

}  // namespace

Result<Identity, std::string> resolveIdentity(std::string_view user, std::string_view group) {
  Identity id;
  std::vector<char> buf;
  const std::string user_name(user);
  if (auto pw = lookupUser(user_name, std::nullopt, buf)) {
    id.uid = pw->pw_uid;
    id.gid = pw->pw_gid;
  } else if (auto n = parseId(user)) {
    id.uid = *n;
    auto by_id = lookupUser(user_name, n, buf);
    id.gid = by_id ? by_id->pw_gid : *n;
  } else {
    return fail("no such user '" + user_name + "'");
  }
  if (!group.empty()) {
    const std::string group_name(group);
    if (auto g = lookupGroup(group_name)) {
      id.gid = *g;
    } else if (auto n = parseId(group)) {
      id.gid = *n;
    } else {
      return fail("no such group '" + group_name + "'");
    }
  }
  return id;
}

Result<bool, std::string> dropPrivileges(const Identity& id) {
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  const bool already = ruid == id.uid && euid == id.uid && suid == id.uid && rgid == id.gid &&
                       egid == id.gid && sgid == id.gid;
  if (already) return false;

  const std::string who = "uid " + std::to_string(id.uid) + " gid " + std::to_string(id.gid);
  const auto gid = static_cast<gid_t>(id.gid);
  const auto uid = static_cast<uid_t>(id.uid);
  // Groups first: once the uid is not 0 there is no right left to change them.
  if (::setgroups(1, &gid) != 0) {
    return fail("cannot switch to " + who + " (running as uid " + std::to_string(euid) +
                "): " + errnoText("setgroups"));
  }
  if (::setresgid(gid, gid, gid) != 0)
    return fail("cannot switch to " + who + ": " + errnoText("setresgid"));
  if (::setresuid(uid, uid, uid) != 0)
    return fail("cannot switch to " + who + ": " + errnoText("setresuid"));

  // Verify, as CERT POS37-C asks: the ids read back, and root cannot be regained.
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
    return fail("switched to " + who + " but the ids read back differ");
  }
  if (uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    return fail("switched to " + who + " but could regain uid 0");
  }
  if (gid != 0 && uid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0)) {
    return fail("switched to " + who + " but could regain gid 0");
  }
  if (uid != 0 && !noCapabilities()) {
    return fail("switched to " + who + " but capabilities are left (SECBIT_KEEP_CAPS set?)");
  }
  return true;
}

}  // namespace vpcdns
