#!/usr/bin/env bash
# The query log's cost under load: the same vpcdns config, private-zone answers from memory (the
# cheapest path, where logging weighs most), once with the query log off and once on, in one run.
#
# Prints, for each: queries/s, queries lost and average latency (dnsperf), CPU microseconds per
# answered query (utime+stime of the whole daemon, its log writer thread included); for the
# logged run also the lines written against the queries answered and the records dropped because
# a worker's ring was full (the query path never waits for the disk: it drops and counts).
# Machines here are shared and noisy: read the ratio.
#
#   bench/query_log.sh [SECONDS]     default 10 s per run; needs build/app/vpcdns
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
source bench/lib.sh
bench_require dnsperf dig

off=127.53.97.1 on=127.53.97.2
for i in $(seq 1 1000); do echo "host$i.bench.internal A"; done > "$work/queries"

config() {  # $1 address, $2 "log" or ""
  echo "server: {listen: [{address: \"$1:$port\"}], workers: 1, allow: [127.0.0.0/8]}"
  echo "logging: {level: info}"
  echo "resolver: {dont_query: [\"0.0.0.0/0\", \"::/0\"]}"
  echo "vpcs: [{id: bench, cidrs: [127.0.0.0/8]}]"
  echo "zones:"
  echo "  - name: bench.internal"
  echo "    vpcs: [bench]"
  echo "    records:"
  for i in $(seq 1 1000); do echo "      - {name: host$i, type: A, ttl: 300, values: [10.0.$((i / 256)).$((i % 256))]}"; done
  if [[ $2 == log ]]; then
    echo "query_log: {file: $work/queries.jsonl, max_size: 1GiB, max_files: 1}"
  fi
}
config $off "" > "$work/off.yaml"
config $on log > "$work/on.yaml"

wait_ready() {  # $1 address
  for _ in $(seq 1 100); do
    dig +tries=1 +time=1 @"$1" -p $port host1.bench.internal 2>/dev/null | grep -q "status: NOERROR" && return 0
    sleep 0.1
  done
  echo "server on $1 did not start" >&2; exit 1
}

# run NAME ADDRESS PID -> "NAME qps lost latency cpu completed"
run() {
  local name=$1 addr=$2 pid=$3 before after out hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s "$addr" -p $port -d "$work/queries" -l "$seconds" -c 4 -q 100 -t 2 2>&1)
  after=$(cpu_ticks "$pid")
  grep -q "NOERROR" <<<"$out" || { echo "$name: answers were not NOERROR:" >&2; echo "$out" >&2; exit 1; }
  awk -v n="$name" -v t=$((after - before)) -v hz="$hz" '
    /Queries per second/ {q = $4} /Average Latency/ {l = $4 * 1000} /Queries completed/ {c = $3}
    /Queries lost/ {lost = $3}
    END {printf "%-18s %10.0f q/s  lost %6d  avg %7.3f ms  cpu %6.2f us/query  completed %d\n",
         n, q, lost, l, (c > 0 ? t * 1e6 / hz / c : 0), c}' <<<"$out"
}

$vpcdns --config "$work/off.yaml" 2>"$work/off.log" & pid_off=$!; pids+=($pid_off)
$vpcdns --config "$work/on.yaml" 2>"$work/on.log" & pid_on=$!; pids+=($pid_on)
wait_ready $off
wait_ready $on

echo "dnsperf, ${seconds}s per run, 1 worker each, $(nproc) cores shared with the load generator"
r_off=$(run "query log off" $off $pid_off); echo "$r_off"
r_on=$(run "query log on" $on $pid_on); echo "$r_on"

# Stop the logged daemon: the writer drains and flushes, and logs its totals.
kill $pid_on; wait $pid_on 2>/dev/null || true
lines=$(cat "$work"/queries.jsonl* | wc -l)
dropped=$(sed -n 's/.*query log: [0-9]* line(s) written, \([0-9]*\) dropped.*/\1/p' "$work/on.log")
answered=$(sed -n 's/.*stopped: queries=\([0-9]*\).*/\1/p' "$work/on.log")
bad=$(python3 - "$work/queries.jsonl" <<'EOP' 2>/dev/null || echo "?"
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        json.loads(line)
    except ValueError:
        n += 1
print(n)
EOP
)
echo "query log: $lines line(s) written for $answered queries received (ready probes included), $dropped dropped (ring full), $bad unparsable line(s)"
qps() { awk '{for (i = 1; i <= NF; i++) if ($i == "q/s") print $(i - 1)}' <<<"$1"; }
cpu() { awk '{for (i = 1; i <= NF; i++) if ($i == "us/query") print $(i - 1)}' <<<"$1"; }
awk -v a="$(qps "$r_on")" -v b="$(qps "$r_off")" -v c="$(cpu "$r_on")" -v d="$(cpu "$r_off")" \
  'BEGIN {printf "logging on/off: qps %.2fx, cpu per query %.2fx\n", a / b, c / d}'
