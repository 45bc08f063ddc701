#!/usr/bin/env bash
# Recursive resolution, vpcdns and Unbound side by side on loopback: both resolve iteratively
# from the same root hints, with a cache, over the same fake DNS hierarchy of real NSD servers:
#
#   .            NSD on 127.55.0.1:53   (root; its server is ns.root., named by the hints file)
#   bench.       NSD on 127.55.1.1:53   (www.bench.; delegates big.bench.)
#   big.bench.   NSD on 127.55.2.1:53   (h1..h200000, c1..c100, check; TTL 3600)
#   vpcdns on 127.55.200.1:5353, Unbound on 127.55.200.2:5353, one worker thread each.
#
# Measured, each for vpcdns then Unbound:
#   1. cache hits at full speed: the 100 names cN.big.bench are resolved once (warm-up), then
#      dnsperf -c 10 -q 100 -l SECONDS over them: queries/s and average latency; p50/p99 come
#      from a separate, shorter run (SECONDS/2, at least 2 s) with dnsperf -v, whose per-answer
#      latencies are sorted here (Debian's dnsperf 2.10 has no latency histogram option).
#   2. CPU per cache hit at a fixed offered load: dnsperf -Q 40000 -l SECONDS; utime+stime of the
#      server process (all threads, /proc/PID/stat) over the run / answered queries.
#   3. resolution (cache misses): each of the names hN.big.bench asked once (dnsperf -n 1), none
#      of them cached before, -c 10 -q 100 -l SECONDS: NOERROR answers per second, average latency
#      and server CPU per resolution (the NSD servers' CPU is not counted).
# Then a table with the vpcdns/unbound ratios. The 2 cores are shared by the load generator, the
# resolver and NSD: read the ratios more than the absolute numbers.
#
# Before measuring, each resolver must resolve www.bench and check.big.bench to the right
# address (dig); if vpcdns does not (it answers SERVFAIL until recursion lands), the script stops
# with a message and measures nothing. --only-unbound leaves vpcdns out (not started, not
# built): the hierarchy and Unbound's figures alone, to test this script.
#
#   bench/resolver.sh [--only-unbound] [SECONDS]     default 10 s per run (about 2 minutes);
#   runs as root (NSD on port 53); builds vpcdns with scripts/build.sh if build/app/vpcdns is
#   missing; needs nsd, unbound, dnsperf and dig.
set -euo pipefail
cd "$(dirname "$0")/.."
only_unbound=0
if [[ ${1:-} == --only-unbound ]]; then only_unbound=1; shift; fi
seconds=${1:-10}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/resolver.sh [--only-unbound] [SECONDS]" >&2; exit 2; }
source bench/lib.sh
bench_require_tools dnsperf unbound unbound-checkconf dig awk
command -v nsd >/dev/null && command -v nsd-checkzone >/dev/null ||
  { echo "needs nsd, nsd-checkconf, nsd-checkzone (apt-get install nsd)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "needs root: NSD listens on port 53 of 127.55.x.y" >&2; exit 1; }
if ((!only_unbound)) && [[ ! -x $vpcdns ]]; then
  echo "build/app/vpcdns is missing: scripts/build.sh"
  scripts/build.sh
fi
((only_unbound)) || bench_require

root_ip=127.55.0.1 tld_ip=127.55.1.1 big_ip=127.55.2.1
vaddr=127.55.200.1 uaddr=127.55.200.2
names=200000 hot=100 fixed_rate=40000
pct_seconds=$((seconds / 2 < 2 ? 2 : seconds / 2))
servers=(vpcdns unbound)
((only_unbound)) && servers=(unbound)

say() { printf '%s\n' "$*"; }
cmd() { printf '+ %s\n' "$*"; }  # the exact command, as run
die() { printf '\n*** %s\n\n' "$*" >&2; exit 1; }

# ---- versions -----------------------------------------------------------------------------
say "== versions"
((only_unbound)) || say "vpcdns:  $($vpcdns --version 2>&1 | head -1) ($vpcdns)"
say "unbound: $(unbound -V | head -1)"
say "nsd:     $(nsd -v 2>&1 | head -1)"
say "dnsperf: $(dnsperf -h 2>&1 | grep -m1 '^Version')"
say "machine: $(nproc) cores, shared by the load generator, the resolver under test and NSD"

# ---- the hierarchy: zones, NSD configs, root hints ----------------------------------------
printf '. 3600000 NS ns.root.\nns.root. 3600000 A %s\n' $root_ip > "$work/root.hints"

cat > "$work/root.zone" <<EOZ
\$TTL 86400
.           SOA ns.root. hostmaster.root. 1 3600 600 864000 86400
.           NS  ns.root.
ns.root.    A   $root_ip
bench.      NS  ns1.bench.
ns1.bench.  A   $tld_ip
EOZ
cat > "$work/bench.zone" <<EOZ
\$ORIGIN bench.
\$TTL 86400
@        SOA ns1 hostmaster 1 3600 600 864000 86400
@        NS  ns1
ns1      A   $tld_ip
www      A   10.254.0.1
big      NS  ns1.big
ns1.big  A   $big_ip
EOZ
{
  printf '$ORIGIN big.bench.\n$TTL 3600\n'
  printf '@ SOA ns1 hostmaster 1 3600 600 864000 3600\n@ NS ns1\nns1 A %s\n' $big_ip
  printf 'check A 10.255.255.1\n'
  awk -v hot=$hot -v n=$names 'BEGIN {
    for (i = 1; i <= hot; i++) printf "c%d A 10.253.0.%d\n", i, i
    for (i = 1; i <= n; i++) printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536), int(i / 256) % 256, i % 256
  }'
} > "$work/big.zone"

nsd_config() {  # $1 name, $2 address, $3 zone
  cat <<EOC
server:
  ip-address: $2
  port: 53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "$work/$1.zone.list"
  xfrdfile: "$work/$1.xfrd.state"
  xfrdir: "$work"
  pidfile: ""
  verbosity: 1
  minimal-responses: no
  refuse-any: no
  round-robin: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "$3"
  zonefile: "$work/$1.zone"
EOC
}

say ""
say "== hierarchy (NSD on port 53): . on $root_ip, bench. on $tld_ip, big.bench. ($names + $hot names) on $big_ip"
for z in root:$root_ip:. bench:$tld_ip:bench. big:$big_ip:big.bench.; do
  IFS=: read -r name ip zone <<<"$z"
  nsd_config "$name" "$ip" "$zone" > "$work/nsd-$name.conf"
  nsd-checkconf "$work/nsd-$name.conf" || die "nsd-checkconf failed on $work/nsd-$name.conf"
  nsd-checkzone "$zone" "$work/$name.zone" >/dev/null || die "nsd-checkzone failed on the $zone zone"
  cmd nsd -d -c "$work/nsd-$name.conf"
  nsd -d -c "$work/nsd-$name.conf" 2>"$work/nsd-$name.log" & pids+=($!)
done

# dig_a SERVER PORT NAME [DIG OPTIONS]: "STATUS ADDRESSES..." of an A query ("NOANSWER" if none).
dig_a() {
  local out
  out=$(dig +tries=1 +time=2 +noauthority +noadditional @"$1" -p "$2" "$3" A "${@:4}" 2>&1) ||
    { echo NOANSWER; return 0; }
  awk '/status:/ {s = $6; sub(",", "", s)} /^[^;]/ && $4 == "A" {a = a " " $5}
       END {print (s == "" ? "NOANSWER" : s) a}' <<<"$out"
}

# wait_answer SERVER PORT NAME "STATUS ADDRESS" PID [DIG OPTIONS]: retries for up to 10 s until
# the answer is the one expected; else prints the last answer and fails.
wait_answer() {
  local got="" end=$((SECONDS + 10))
  while ((SECONDS < end)); do
    kill -0 "$5" 2>/dev/null || { echo "(process $5 exited)"; return 1; }
    got=$(dig_a "$1" "$2" "$3" "${@:6}")
    [[ $got == "$4" ]] && return 0
    sleep 0.2
  done
  echo "$got"; return 1
}
wait_answer $root_ip 53 ns.root. "NOERROR $root_ip" "${pids[0]}" +norec >/dev/null || die "NSD for . did not start: $(cat "$work/nsd-root.log")"
wait_answer $tld_ip 53 www.bench. "NOERROR 10.254.0.1" "${pids[1]}" +norec >/dev/null || die "NSD for bench. did not start: $(cat "$work/nsd-bench.log")"
wait_answer $big_ip 53 h$names.big.bench. "NOERROR 10.3.13.64" "${pids[2]}" +norec >/dev/null ||
  die "NSD for big.bench. did not start: $(cat "$work/nsd-big.log")"
say "all three NSD servers answer"

# ---- the resolvers ------------------------------------------------------------------------
cat > "$work/vpcdns.yaml" <<EOC
server:
  listen: [{address: "$vaddr:$port"}]
  workers: 1
  allow: [127.0.0.0/8]
logging: {level: warn}
resolver: {root_hints: $work/root.hints, dont_query: [], ipv6: false}
cache: {max_memory: 256MiB}
EOC
{ unbound_server_header $uaddr; cat <<EOC; } > "$work/unbound.conf"
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  root-hints: "$work/root.hints"
  do-not-query-localhost: no
  qname-minimisation: yes
  so-reuseport: no
  msg-cache-size: 128m
  rrset-cache-size: 256m
remote-control:
  control-enable: no
EOC
unbound-checkconf "$work/unbound.conf" >/dev/null || die "unbound-checkconf failed on $work/unbound.conf"

declare -A addr pid
addr[vpcdns]=$vaddr addr[unbound]=$uaddr
say ""
say "== resolvers"
if ((!only_unbound)); then
  $vpcdns --check-config "$work/vpcdns.yaml" >/dev/null || die "vpcdns rejects $work/vpcdns.yaml (above)"
  sed 's/^/   | /' "$work/vpcdns.yaml"
  cmd "$vpcdns" --config "$work/vpcdns.yaml"
  $vpcdns --config "$work/vpcdns.yaml" 2>"$work/vpcdns.log" & pids+=($!); pid[vpcdns]=$!
fi
sed 's/^/   | /' "$work/unbound.conf"
cmd unbound -d -c "$work/unbound.conf"
unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" & pids+=($!); pid[unbound]=$!

# Pre-check: each resolver answers, then resolves two names (one and two delegations down).
for s in "${servers[@]}"; do
  for _ in $(seq 1 100); do
    kill -0 "${pid[$s]}" 2>/dev/null || die "$s exited at start-up: $(tail -5 "$work/$s.log")"
    dig +tries=1 +time=1 @"${addr[$s]}" -p $port ready.bench >/dev/null 2>&1 && break
    sleep 0.1
  done
  for check in "www.bench. NOERROR 10.254.0.1" "check.big.bench. NOERROR 10.255.255.1"; do
    read -r name want <<<"$check"
    got=$(wait_answer "${addr[$s]}" $port "$name" "$want" "${pid[$s]}") || {
      hint=""
      [[ $s == vpcdns ]] && hint=" vpcdns answers SERVFAIL until recursion from the root hints lands;
    bench/resolver.sh --only-unbound measures Unbound alone."
      die "PRE-CHECK FAILED: $s resolved $name A as \"${got:-nothing}\", expected \"$want\".
    Nothing was measured.$hint"
    }
  done
  say "pre-check: $s resolves www.bench and check.big.bench correctly"
done
((only_unbound)) && printf '\n*** --only-unbound: vpcdns is NOT measured in this run ***\n'

# ---- measurements -------------------------------------------------------------------------
for ((i = 1; i <= hot; i++)); do echo "c$i.big.bench A"; done > "$work/hot.queries"
for ((i = 1; i <= names; i++)); do echo "h$i.big.bench A"; done > "$work/miss.queries"
hz=$(getconf CLK_TCK)
declare -A R  # R[server.run.field]

# perf SERVER RUN DNSPERF-ARGS...: runs dnsperf against SERVER with the args, prints the
# command and a one-line summary, and keeps in R: qps, lat (ms), done, lost, noerror, runtime,
# rsize, cpu (us per answered query), noerror_qps.
perf() {
  local s=$1 run=$2 before after out=$work/$1.$2.out; shift 2
  local args=(-s "${addr[$s]}" -p $port "$@")
  cmd dnsperf "${args[@]}"
  before=$(cpu_ticks "${pid[$s]}")
  dnsperf "${args[@]}" >"$out" 2>&1 || die "dnsperf failed: $(cat "$out")"
  after=$(cpu_ticks "${pid[$s]}")
  while read -r k v; do R[$s.$run.$k]=$v; done < <(awk -v t=$((after - before)) -v hz="$hz" '
    /Queries completed:/ {c = $3} /Queries lost:/ {l = $3}
    /Queries per second:/ {q = $4} /Average Latency/ {a = $4 * 1000} /Run time \(s\):/ {r = $4}
    /Average packet size:/ {z = $NF}
    /Response codes:/ {for (i = 3; i <= NF; i++) if ($i == "NOERROR") n = $(i + 1)}
    END {
      printf "qps %s\nlat %s\ndone %d\nlost %d\nnoerror %d\nruntime %s\nrsize %s\n", q + 0, a + 0, c, l, n, r + 0, z + 0
      printf "cpu %s\nnoerror_qps %s\n", (c > 0 ? t * 1e6 / hz / c : 0), (r > 0 ? n / r : 0)
    }' "$out")
  printf '  -> %s q/s, avg %.3f ms, %s completed, %s lost; %s; response %s bytes; cpu %.2f us/query%s\n' \
    "${R[$s.$run.qps]}" "${R[$s.$run.lat]}" "${R[$s.$run.done]}" "${R[$s.$run.lost]}" \
    "$(grep -m1 'Response codes' "$out" | sed 's/ *Response codes: *//')" "${R[$s.$run.rsize]}" \
    "${R[$s.$run.cpu]}" "$([[ $run == warm ]] && echo " (too short to mean anything)")"
  # The comparison only holds if the answers were right: every completed query NOERROR.
  ((R[$s.$run.noerror] > 0)) || die "$s answered no query NOERROR in run '$run' (output: $out)"
}

# percentiles SERVER RUN: p50/p99 (ms) of the NOERROR latencies printed by dnsperf -v.
percentiles() {
  local out=$work/$1.$2.out
  while read -r k v; do R[$1.$2.$k]=$v; done < <(
    awk '$1 == ">" && $2 == "NOERROR" {print $NF * 1000}' "$out" | sort -g |
      awk '{a[NR] = $1} END {
        i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
        printf "p50 %s\np99 %s\nsamples %d\n", (NR ? a[i50] : 0), (NR ? a[i99] : 0), NR }')
  say "  -> p50 ${R[$1.$2.p50]} ms, p99 ${R[$1.$2.p99]} ms over ${R[$1.$2.samples]} answers"
}

for s in "${servers[@]}"; do
  say ""
  say "== $s: warm-up, $hot names resolved once"
  perf "$s" warm -d "$work/hot.queries" -n 1 -c 1 -q 10 -t 5
  ((R[$s.warm.noerror] == hot)) || die "$s resolved ${R[$s.warm.noerror]} of the $hot warm-up names NOERROR"
  say "== $s: 1. cache hits, full speed"
  perf "$s" hit -d "$work/hot.queries" -l "$seconds" -c 10 -q 100 -t 2
  say "== $s: 1b. cache hits, latency percentiles (dnsperf -v, ${pct_seconds} s)"
  perf "$s" pct -d "$work/hot.queries" -l "$pct_seconds" -c 10 -q 100 -t 2 -v
  percentiles "$s" pct
  say "== $s: 2. cache hits at a fixed $fixed_rate q/s offered"
  perf "$s" fixed -d "$work/hot.queries" -l "$seconds" -c 10 -q 100 -t 2 -Q $fixed_rate
  awk -v q="${R[$s.fixed.qps]}" -v f=$fixed_rate 'BEGIN {exit !(q < 0.95 * f)}' &&
    say "  !! only ${R[$s.fixed.qps]} q/s answered of $fixed_rate offered: the CPU per query is at a lower rate than intended"
  say "== $s: 3. resolution, cache misses ($names distinct names, each asked once)"
  perf "$s" miss -d "$work/miss.queries" -n 1 -l "$seconds" -c 10 -q 100 -t 5
  ((R[$s.miss.done] < names)) ||
    say "  !! all $names names were used before the time limit: the run was shorter than ${seconds} s"
done

# ---- table ---------------------------------------------------------------------------------
# row LABEL KEY FORMAT BETTER: vpcdns, unbound, ratio vpcdns/unbound ("higher/lower is better").
row() {
  local v=${R[vpcdns.$2]:-} u=${R[unbound.$2]:-}
  awk -v l="$1" -v v="$v" -v u="$u" -v f="$3" -v b="$4" 'BEGIN {
    vs = (v == "" ? "-" : sprintf(f, v)); us = (u == "" ? "-" : sprintf(f, u))
    r = (v == "" || u == "" || u + 0 == 0 ? "-" : sprintf("%.2fx", v / u))
    printf "%-40s %12s %12s %10s  %s\n", l, vs, us, r, b }'
}
say ""
say "== results (${seconds} s runs; percentiles from a ${pct_seconds} s run with -v)"
printf '%-40s %12s %12s %10s\n' "" vpcdns unbound "vpcdns/unbound"
row "1. cache hits: queries/s" hit.qps "%.0f" "higher is better"
row "   average latency (ms)" hit.lat "%.3f" "lower is better"
row "   p50 latency (ms), -v run" pct.p50 "%.3f" "lower is better"
row "   p99 latency (ms), -v run" pct.p99 "%.3f" "lower is better"
row "   response size (bytes)" hit.rsize "%.0f" "(same data: should match)"
row "2. cache hits at ${fixed_rate} q/s: answered/s" fixed.qps "%.0f" ""
row "   server CPU per query (us)" fixed.cpu "%.2f" "lower is better"
row "3. resolution: NOERROR answers/s" miss.noerror_qps "%.0f" "higher is better"
row "   average latency (ms)" miss.lat "%.3f" "lower is better"
row "   server CPU per resolution (us)" miss.cpu "%.2f" "lower is better"
row "   queries lost (timed out)" miss.lost "%.0f" ""
((only_unbound)) && printf '\n*** --only-unbound: vpcdns was NOT measured ***\n'
exit 0
