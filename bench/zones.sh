#!/usr/bin/env bash
# Private-zone answers with 1 zone and with 10,000 zones, vpcdns and Unbound side by side on
# loopback (Unbound with the same data as local-zone/local-data). The point: lookup cost must
# not grow with the number of zones, and how vpcdns compares with Unbound serving the same data.
#
# Prints, per server and zone count: queries/s, average latency and CPU microseconds per query
# (utime+stime of the server over the run); then the ratios. Machines here are shared and
# noisy: read the ratios.
#
#   bench/zones.sh [SECONDS] [ZONES]     defaults: 10 s per run, 10000 zones
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
many=${2:-10000}
source bench/lib.sh
bench_require dnsperf unbound dig

# Queries spread over (up to) 1,000 of the zones, all answered NOERROR from memory.
queries() {  # $1 zone count
  local n=$1
  for i in $(seq 0 999); do echo "www.z$((i * 7919 % n)).internal A"; done > "$work/queries-$n"
}

vpcdns_config() {  # $1 address, $2 zone count
  echo "server: {listen: [{address: \"$1:$port\"}], workers: 1, allow: [127.0.0.0/8]}"
  echo "logging: {level: warn}"
  echo "resolver: {dont_query: [\"0.0.0.0/0\", \"::/0\"]}"  # loopback only
  echo "vpcs: [{id: bench, cidrs: [127.0.0.0/8]}]"
  echo "zones:"
  for ((i = 0; i < $2; i++)); do
    echo "  - {name: z$i.internal, vpcs: [bench], records: [{name: www, type: A, values: [10.0.0.1]}]}"
  done
}

unbound_config() {  # $1 address, $2 zone count
  unbound_server_header "$1"
  echo "  access-control: 127.0.0.0/8 allow"
  for ((i = 0; i < $2; i++)); do
    echo "  local-zone: \"z$i.internal.\" static"
    echo "  local-data: \"www.z$i.internal. 300 IN A 10.0.0.1\""
  done
  printf 'remote-control:\n  control-enable: no\n'
}

wait_ready() {  # $1 address, $2 name
  for _ in $(seq 1 300); do
    dig +tries=1 +time=1 @"$1" -p $port "$2" 2>/dev/null | grep -q "status: NOERROR" && return 0
    sleep 0.1
  done
  echo "server on $1 did not answer $2" >&2; exit 1
}

# run NAME ADDRESS PID QUERYFILE -> "NAME qps latency cpu_us"
run() {
  local name=$1 addr=$2 pid=$3 qf=$4 before after out hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s "$addr" -p $port -d "$qf" -l "$seconds" -c 4 -q 100 -t 2 2>&1)
  after=$(cpu_ticks "$pid")
  grep -q "NOERROR" <<<"$out" || { echo "$name: answers were not NOERROR:" >&2; echo "$out" >&2; exit 1; }
  awk -v n="$name" -v t=$((after - before)) -v hz="$hz" '
    /Queries per second/ {q = $4} /Average Latency/ {l = $4 * 1000} /Queries completed/ {c = $3}
    END {printf "%-26s %10.0f q/s  avg %7.3f ms  cpu %6.2f us/query\n", n, q, l, (c > 0 ? t * 1e6 / hz / c : 0)}' <<<"$out"
}

echo "dnsperf, ${seconds}s per run, 1 server thread each, $(nproc) cores shared with the load generator"
declare -A result
for n in 1 "$many"; do
  queries "$n"
  va=127.53.98.$((n == 1 ? 1 : 2)) ua=127.53.98.$((n == 1 ? 3 : 4))
  vpcdns_config $va "$n" > "$work/vpcdns-$n.yaml"
  unbound_config $ua "$n" > "$work/unbound-$n.conf"
  start=$(date +%s.%N)
  $vpcdns --config "$work/vpcdns-$n.yaml" 2>"$work/vpcdns-$n.log" & vp=$!; pids+=($vp)
  wait_ready $va www.z0.internal
  echo "vpcdns loaded $n zone(s) in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}') s (start-up to first answer)"
  unbound -d -c "$work/unbound-$n.conf" 2>"$work/unbound-$n.log" & up=$!; pids+=($up)
  wait_ready $ua www.z0.internal
  result[v$n]=$(run "vpcdns, $n zone(s)" $va $vp "$work/queries-$n"); echo "${result[v$n]}"
  result[u$n]=$(run "unbound, $n zone(s)" $ua $up "$work/queries-$n"); echo "${result[u$n]}"
  kill $vp $up; wait $vp $up 2>/dev/null || true
done
qps() { awk '{for (i = 1; i <= NF; i++) if ($i == "q/s") print $(i - 1)}' <<<"$1"; }
cpu() { awk '{for (i = 1; i <= NF; i++) if ($i == "us/query") print $(i - 1)}' <<<"$1"; }
awk -v v1="$(qps "${result[v1]}")" -v vn="$(qps "${result[v$many]}")" -v u1="$(qps "${result[u1]}")" \
    -v un="$(qps "${result[u$many]}")" -v c1="$(cpu "${result[v1]}")" -v cn="$(cpu "${result[v$many]}")" \
    -v d1="$(cpu "${result[u1]}")" -v dn="$(cpu "${result[u$many]}")" -v n="$many" 'BEGIN {
  printf "vpcdns  %d zones vs 1: qps %.2fx, cpu/query %.2fx\n", n, vn / v1, cn / c1
  printf "unbound %d zones vs 1: qps %.2fx, cpu/query %.2fx\n", n, un / u1, dn / d1
  printf "vpcdns/unbound: qps %.2fx (1 zone), %.2fx (%d zones); cpu/query %.2fx, %.2fx (lower is better)\n",
         v1 / u1, vn / un, n, c1 / d1, cn / dn, n }'
