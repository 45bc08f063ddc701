# Shared by the bench/*.sh scripts (sourced, not run): tool checks, a work folder whose servers
# are stopped by PID on exit, the common part of an Unbound config, and CPU accounting.

vpcdns=${VPCDNS_BINARY:-build/app/vpcdns}  # another build: VPCDNS_BINARY=build-x/app/vpcdns
port=5353

# bench_require TOOL...: the build and the tools are there, or say how to get them.
bench_require() {
  [[ -x $vpcdns ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
  bench_require_tools "$@"
}

# bench_require_tools TOOL...: only the tools (for scripts that build vpcdns themselves).
bench_require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "needs $tool (scripts/deps.sh --ci)" >&2; exit 1; }
  done
}

# A work folder; servers started in the background go in `pids` and are ended on exit.
work=$(mktemp -d)
pids=()
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap bench_cleanup EXIT

# unbound_server_header ADDRESS: the `server:` lines every Unbound config here starts with
# (one thread, foreground, no chroot or privileges, no IPv6); callers add access control, data
# and the remote-control section.
unbound_server_header() {
  cat <<EOC
server:
  interface: $1@$port
  port: $port
  num-threads: 1
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 0
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  do-ip6: no
EOC
}

# cpu_ticks PID: user+system clock ticks of the whole process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
