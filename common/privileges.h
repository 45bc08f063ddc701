// Dropping root after the listening sockets are bound (config `server.user` / `server.group`),
// as Unbound's `username:` and Knot Resolver's `user()` do.
//
// Thread affinity: resolveIdentity() any thread (reentrant lookups). dropPrivileges() on the
// main thread before the worker threads start; glibc applies the set*id calls to every thread
// of the process anyway (POSIX semantics).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vpcdns {

struct Identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// The uid of `user` (a name from the passwd database, or a decimal id) and the gid of `group`
// (a name or a decimal id), or the user's primary group when `group` is empty. A decimal user id
// with no passwd entry (a container image without the user) takes gid = uid. Errors say which
// name does not exist.
Result<Identity, std::string> resolveIdentity(std::string_view user, std::string_view group);

// Becomes `id` for good: supplementary groups = {gid} only, then real, effective and saved gid,
// then uid (setresgid/setresuid, so no saved id keeps root). Setting the uid of a root process to
// a non-zero one clears its permitted, effective and ambient capabilities (capabilities(7)).
// Then checks that it worked: the ids read back, setuid(0)/setgid(0) fail, no capability is left.
//
// When the process already runs as exactly `id` (systemd's User=, a container's USER) this does
// nothing and returns false. When it runs as another user without the right to change ids, it
// fails (Unbound does the same: "unable to set group id"). Returns true when ids were changed.
Result<bool, std::string> dropPrivileges(const Identity& id);

}  // namespace vpcdns
