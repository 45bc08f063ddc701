#!/usr/bin/env bash
# Side-by-side load test on loopback: vpcdns and Unbound, same machine, same run, same queries.
#
# What it measures today: the packet path (receive, parse, admission, reply, send). Both servers
# are set to refuse the load generator's address, so each answers REFUSED from memory; that is
# the only path the two have in common until resolution lands. A second run measures vpcdns's
# admitted path (parse, pipeline, SERVFAIL).
#
# Prints, for each: queries/s and average latency (from dnsperf), and CPU microseconds per
# answered query (utime+stime of the server process over the run), then the ratios. The machine
# is shared and noisy: read the ratio, not the absolute numbers.
#
#   bench/dnsperf.sh [SECONDS]     default 10 s per run; needs build/app/vpcdns (scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
source bench/lib.sh
bench_require dnsperf unbound dig

vpc_refuse=127.53.99.1 vpc_serve=127.53.99.2 unb=127.53.99.3
for i in $(seq 1 1000); do echo "host$i.example.com A"; done > "$work/queries"

vpcdns_config() {  # $1 address, $2 allow list
  cat <<EOC
server:
  listen: [{address: "$1:$port"}]
  workers: 1
  allow: $2
logging: {level: warn}
resolver: {dont_query: ["0.0.0.0/0", "::/0"]}   # loopback only: admitted names get SERVFAIL
EOC
}
vpcdns_config $vpc_refuse "[10.0.0.0/8]" > "$work/refuse.yaml"
vpcdns_config $vpc_serve "[127.0.0.0/8]" > "$work/serve.yaml"
{ unbound_server_header $unb; cat <<EOC; } > "$work/unbound.conf"
  access-control: 127.0.0.0/8 refuse   # more specific than the built-in 127/8 allow
  so-reuseport: yes
remote-control:
  control-enable: no
EOC

wait_ready() {  # $1 address; a REFUSED reply counts: dig exits 0 on any answer
  for _ in $(seq 1 100); do
    dig +tries=1 +time=1 @"$1" -p $port ready.example >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on $1 did not start" >&2; exit 1
}

# run NAME ADDRESS PID: prints "NAME qps latency_ms cpu_us_per_query"
run() {
  local name=$1 addr=$2 pid=$3 before after out qps lat completed hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s "$addr" -p $port -d "$work/queries" -l "$seconds" -c 4 -q 100 -t 2 2>&1)
  after=$(cpu_ticks "$pid")
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  lat=$(awk '/Average Latency/ {print $4 * 1000}' <<<"$out")
  completed=$(awk '/Queries completed/ {print $3}' <<<"$out")
  # A comparison is only fair if both answered the same way: show what they answered.
  echo "  $name: $(grep 'Response codes' <<<"$out" | sed 's/ *Response codes: *//')" >&2
  awk -v n="$name" -v q="$qps" -v l="$lat" -v c="$completed" -v t=$((after - before)) -v hz="$hz" \
    'BEGIN { printf "%-24s %10.0f q/s  avg %7.3f ms  cpu %6.2f us/query\n", n, q, l, (c > 0 ? t * 1e6 / hz / c : 0) }'
}

$vpcdns --config "$work/refuse.yaml" 2>"$work/vpcdns-refuse.log" & pids+=($!); vpid_refuse=$!
$vpcdns --config "$work/serve.yaml" 2>"$work/vpcdns-serve.log" & pids+=($!); vpid_serve=$!
unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" & pids+=($!); upid=$!
wait_ready $vpc_serve
wait_ready $vpc_refuse
wait_ready $unb

echo "dnsperf, ${seconds}s per run, 1 server thread each, $(nproc) cores shared with the load generator"
r_v=$(run "vpcdns REFUSED" $vpc_refuse $vpid_refuse); echo "$r_v"
r_u=$(run "unbound REFUSED" $unb $upid); echo "$r_u"
r_s=$(run "vpcdns SERVFAIL (admitted)" $vpc_serve $vpid_serve); echo "$r_s"
awk -v a="$r_v" -v b="$r_u" 'BEGIN {
  split(a, x, " +"); split(b, y, " +");
  # fields: name words then qps "q/s" "avg" lat "ms" "cpu" us "us/query"
  nx = length(x); ny = length(y);
  printf "ratio vpcdns/unbound (REFUSED path): qps %.2fx, cpu per query %.2fx (lower is better)\n",
         x[nx-7] / y[ny-7], x[nx-1] / y[ny-1] }'
