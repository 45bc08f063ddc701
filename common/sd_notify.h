// sd_notify(3) without libsystemd: the service manager's readiness protocol is one datagram of
// "KEY=VALUE\n" lines sent to the AF_UNIX socket named by $NOTIFY_SOCKET (systemd.service(5),
// Type=notify). A name starting with '@' is an abstract socket (the '@' stands for a NUL byte).
//
// Thread affinity: any thread; no state is kept (each call opens and closes its own socket).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace vpcdns {

// Sends `state` (e.g. "READY=1\nSTATUS=serving") to the socket named by $NOTIFY_SOCKET.
// Returns false when NOTIFY_SOCKET is unset or empty (not started by a service manager), true
// when the datagram was sent, or an error message (a bad socket name, sendto() failing).
Result<bool, std::string> sdNotify(std::string_view state);

// The same, to an explicit socket name ("/run/x.sock" or "@abstract"); for tests.
Result<bool, std::string> sdNotifyTo(std::string_view socket_name, std::string_view state);

// "MONOTONIC_USEC=<CLOCK_MONOTONIC in µs>", which systemd ≥ 253 wants next to RELOADING=1.
std::string sdMonotonicUsec();

}  // namespace vpcdns
