#!/usr/bin/env bash
# Live reload of a large config: RULES forwarding rules and ZONES private zones (inline, a few
# records each) over a handful of VPCs (issue 6's target: 10,000 + 10,000 in under a second).
#
# Starts vpcdns on the generated config, then reloads it TIMES times with SIGHUP (and as many
# times through the admin API's POST /v1/reload when the build has one), each after the
# previous one finished. The duration of each reload is the daemon's own figure (the
# "reload done in X s (cpu Y s)" log line: read, validate, build and publish the snapshot):
# wall time, and the CPU time of the reloading thread, which does not depend on what else the
# machine runs. Prints min/median/max per trigger, and the start-up time to the first answer.
#
#   bench/reload.sh [TIMES] [RULES] [ZONES]     defaults: 7 reloads, 10000 rules, 10000 zones
#   VPCDNS=build-x/app/vpcdns bench/reload.sh    another build than build/
set -euo pipefail
cd "$(dirname "$0")/.."
times=${1:-7}
nrules=${2:-10000}
nzones=${3:-10000}
source bench/lib.sh
vpcdns=${VPCDNS:-$vpcdns}  # VPCDNS=build-x/app/vpcdns to time another build
bench_require dig awk

addr=127.53.99.1
admin_port=5380
nvpcs=5

# The admin API (`admin:`) exists only in builds that have it.
has_admin=0
echo "admin: {listen: \"$addr:$admin_port\"}" > "$work/admin-probe.yaml"
if $vpcdns --check-config "$work/admin-probe.yaml" >/dev/null 2>&1; then has_admin=1; fi

# VPC i: 10.i.0.0/16 (vpc-0 also the loopback clients, so dig sees its zones). Zone j belongs to
# VPC j%5; rule k applies to VPC k%5 (every tenth to all) and forwards to 127.80.x.y, which
# need not answer: no query is sent here.
generate() {
  awk -v addr="$addr" -v port="$port" -v nvpcs="$nvpcs" -v nrules="$nrules" -v nzones="$nzones" \
      -v admin="$has_admin" -v admin_port="$admin_port" 'BEGIN {
    printf "server: {listen: [{address: \"%s:%d\"}], workers: 2, allow: [127.0.0.0/8]}\n", addr, port
    print "logging: {level: info}"
    print "resolver: {dont_query: [\"0.0.0.0/0\", \"::/0\"]}"
    if (admin) printf "admin: {listen: \"%s:%d\"}\n", addr, admin_port
    print "vpcs:"
    for (i = 0; i < nvpcs; i++) {
      printf "  - {id: vpc-%d, cidrs: [10.%d.0.0/16%s]", i, i, i == 0 ? ", 127.0.0.0/8" : ""
      if (i == 1) printf ", hostnames: ec2.vpc-1.internal"
      print "}"
    }
    print "zones:"
    for (j = 0; j < nzones; j++) {
      printf "  - name: z%d.internal\n    vpcs: [vpc-%d]\n    records:\n", j, j % nvpcs
      printf "      - {name: www, type: A, values: [10.%d.%d.10, 10.%d.%d.11]}\n", j % nvpcs, j % 250, j % nvpcs, j % 250
      printf "      - {name: api, type: CNAME, values: [www]}\n"
      printf "      - {name: \"@\", type: MX, values: [\"10 mail\"]}\n"
      printf "      - {name: mail, type: A, ttl: 60, values: [10.%d.%d.25]}\n", j % nvpcs, j % 250
      printf "      - {name: \"@\", type: TXT, values: [\"\\\"v=spf1 -all\\\"\"]}\n"
    }
    print "rules:"
    for (k = 0; k < nrules; k++) {
      t = sprintf("127.80.%d.%d", int(k / 250) % 250, k % 250 + 1)
      if (k % 10 == 0) {
        printf "  - {domain: r%d.corp.example, targets: [%s, \"%s:5353\"]}\n", k, t, t
      } else if (k % 10 == 1) {
        printf "  - {domain: sys.r%d.corp.example, type: system, vpcs: [vpc-%d]}\n", k, k % nvpcs
      } else {
        printf "  - {domain: r%d.corp.example, targets: [%s], vpcs: [vpc-%d], selection: order}\n", k, t, k % nvpcs
      }
    }
  }'
}

log=$work/vpcdns.log
generate > "$work/big.yaml"
echo "config: $nrules rules, $nzones zones, $nvpcs VPCs: $(wc -c < "$work/big.yaml") bytes," \
     "$(wc -l < "$work/big.yaml") lines"

start=$(date +%s.%N)
$vpcdns --config "$work/big.yaml" 2>"$log" & vp=$!; pids+=($vp)
ready=0
for _ in $(seq 1 600); do
  if dig +tries=1 +time=1 @"$addr" -p "$port" www.z0.internal 2>/dev/null | grep -q "status: NOERROR"; then
    ready=1; break
  fi
  kill -0 $vp 2>/dev/null || break
  sleep 0.05
done
[[ $ready == 1 ]] || { echo "vpcdns did not start:" >&2; tail -20 "$log" >&2; exit 1; }
rss_start=$(awk '/VmRSS/ {print $2, $3}' /proc/$vp/status)
echo "start-up to first answer: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.3f", e - s}') s"

# done_count: reloads finished so far (accepted or refused).
done_count() { grep -cE "reload done in|reload rejected in" "$log" || true; }

# wait_reload N: until N reloads are logged (at most 60 s).
wait_reload() {
  for _ in $(seq 1 1200); do
    (( $(done_count) >= $1 )) && return 0
    sleep 0.05
  done
  echo "reload $1 did not finish:" >&2; tail -20 "$log" >&2; exit 1
}

# summary NAME: min/median/max of the wall and CPU durations in $work/durations.
summary() {
  local wall cpu
  wall=$(awk '{print $1}' "$work/durations" | sort -g | stats)
  cpu=$(awk '{print $2}' "$work/durations" | sort -g | stats)
  echo "$1 $(wc -l < "$work/durations") reloads: wall $wall; cpu $cpu"
}
stats() {  # sorted numbers on stdin -> "min X median Y max Z s"
  awk '{v[NR] = $1} END {printf "min %.3f median %.3f max %.3f s", v[1],
       (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR]}'
}

durations_since() {  # $1: reloads logged before this series
  grep -oE "reload done in [0-9.]+ s \(cpu [0-9.]+ s\)" "$log" | awk -v skip="$1" 'NR > skip {print $4, $7}' \
      > "$work/durations"
}

before=$(done_count)
for ((i = 1; i <= times; i++)); do
  kill -HUP $vp
  wait_reload $((before + i))
done
grep -q "reload rejected" "$log" && { echo "a reload was refused:" >&2; grep "reload" "$log" >&2; exit 1; }
durations_since "$before"
summary SIGHUP

if [[ $has_admin == 1 ]] && command -v curl >/dev/null; then
  before=$(done_count)
  for ((i = 1; i <= times; i++)); do
    curl -sf -X POST -d "{}" "http://$addr:$admin_port/v1/reload" >/dev/null ||
      { echo "POST /v1/reload failed" >&2; tail -5 "$log" >&2; exit 1; }
    wait_reload $((before + i))
  done
  durations_since "$before"
  summary API
else
  echo "API      (no admin API in this build: skipped)"
fi
dig +tries=1 +time=1 @"$addr" -p "$port" www.z$((nzones - 5)).internal | grep -q "status: NOERROR" ||
  { echo "not answering after the reloads" >&2; exit 1; }
sleep 2  # replaced snapshots are freed by a 1 s timer once no worker uses them
echo "rss after the reloads: $(awk '/VmRSS/ {print $2, $3}' /proc/$vp/status)" \
     "(after start-up: $rss_start)"
