#!/usr/bin/env bash
# Forwarding, vpcdns, dnsmasq and Unbound side by side on loopback: each forwards the domain
# fwd.bench. to the same upstream, a real NSD, and nothing else (all three have a way out for
# other names that stays on loopback or goes nowhere):
#
#   fwd.bench.   NSD on 127.56.0.1:53   (h1..h200000, c1..c100; TTL 3600; authoritative answers,
#                                        which a forwarder takes as they are: RD is ignored;
#                                        minimal-responses, so that dnsmasq, which passes replies
#                                        through, does not send more bytes than the other two)
#   vpcdns   on 127.56.200.1:5353  rules: [{domain: fwd.bench, targets: [127.56.0.1]}],
#                                  forwarding.cache true/false, one worker thread
#   dnsmasq  on 127.56.200.2:5353  --server=/fwd.bench/127.56.0.1, --cache-size=250000 or 0
#   Unbound  on 127.56.200.3:5353  forward-zone fwd.bench. -> 127.56.0.1, one thread, iterator only
#
# Two phases, each with the three forwarders started fresh (empty caches):
#   "cache off": vpcdns forwarding.cache false, dnsmasq --cache-size=0, Unbound with the smallest
#     caches it accepts (msg-cache-size and rrset-cache-size 0; it has no real off switch).
#   "cache on":  vpcdns forwarding.cache true, dnsmasq --cache-size=250000, Unbound with 64m/128m.
#     dnsmasq's cache is larger than the 200,100 names on purpose: once it is full, dnsmasq 2.90
#     spends CPU in proportion to the cache size on every insert (measured here: about 0.5 ms
#     per insert with 20,000 entries, about 20 ms with 150,000, against 30-40 us before it
#     fills), so with 150,000 the cache-miss run would fall off that cliff after 150,000 names
#     and measure the eviction, not forwarding. No cache here evicts during the runs.
# Measured, for each forwarder, one at a time:
#   a. cache misses, in both phases: each of the names hN.fwd.bench asked once (dnsperf -n 1 over
#      the 200,000-name file, -c 10 -q 100 -l SECONDS): forwarded NOERROR answers per second,
#      average latency, and the forwarder's CPU per query (utime+stime of its process, all
#      threads, /proc/PID/stat, over the run / completed queries; NSD's CPU is not counted). Every
#      query is a distinct name, so no cache can help: this is the fair cache-off comparison, and
#      the cache-on phase shows what inserting into a cache costs on top.
#   b. cache hits, cache-on phase only: the 100 names cN.fwd.bench forwarded once (warm-up), then
#      dnsperf -c 10 -q 100 -l SECONDS over them at full speed (queries/s, average latency), and
#      again at a fixed -Q 40000 offered (the forwarder's CPU per query).
# Then a table with the ratios vpcdns/dnsmasq and vpcdns/unbound. The 2 cores are shared by the
# load generator, the forwarder and NSD (and whatever else runs on the machine: each run is
# preceded by 1 s with every server idle, whose machine CPU use is printed, with a warning above
# 20%): read the ratios and the CPU per query more than the absolute rates.
#
# Before measuring, each phase checks with dig that each forwarder answers h12345.fwd.bench and
# h200000.fwd.bench with the right address, twice each (the second answer may come from its
# cache and must be right too). If one does not, the script stops with a loud message and
# measures nothing.
# --only-others measures dnsmasq and Unbound alone (their figures without building vpcdns): vpcdns is not built, and if build/app/vpcdns exists it is only started
# for the pre-check, whose result is printed (loudly if it fails), and never measured.
#
#   bench/forward.sh [--only-others] [SECONDS]   default 15 s per run, 12 runs (about 4 minutes;
#   --only-others: 8 runs, about 2.5); runs as root (NSD on port 53); builds vpcdns with
#   scripts/build.sh if build/app/vpcdns is missing; needs nsd, dnsmasq, unbound, dnsperf, dig
#   (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
only_others=0
if [[ ${1:-} == --only-others ]]; then only_others=1; shift; fi
seconds=${1:-15}
[[ $seconds =~ ^[1-9][0-9]*$ && $# -le 1 ]] ||
  { echo "usage: bench/forward.sh [--only-others] [SECONDS]" >&2; exit 2; }
source bench/lib.sh
bench_require_tools dnsperf unbound unbound-checkconf dnsmasq dig awk
command -v nsd >/dev/null && command -v nsd-checkzone >/dev/null ||
  { echo "needs nsd, nsd-checkconf, nsd-checkzone (scripts/deps.sh)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "needs root: NSD listens on port 53 of 127.56.0.1" >&2; exit 1; }
if ((!only_others)) && [[ ! -x $vpcdns ]]; then
  echo "build/app/vpcdns is missing: scripts/build.sh"
  scripts/build.sh
fi
((only_others)) || bench_require
probe_vpcdns=0  # --only-others: start vpcdns for the pre-check only, if it is built
((only_others)) && [[ -x $vpcdns ]] && probe_vpcdns=1

up_ip=127.56.0.1
names=200000 hot=100 fixed_rate=40000
dnsmasq_cache_on=250000  # above names + hot: see the header
declare -A addr pid
addr[vpcdns]=127.56.200.1 addr[dnsmasq]=127.56.200.2 addr[unbound]=127.56.200.3
measured=(vpcdns dnsmasq unbound)
((only_others)) && measured=(dnsmasq unbound)
started=("${measured[@]}")
((probe_vpcdns)) && started=(vpcdns dnsmasq unbound)
start_time=$SECONDS

say() { printf '%s\n' "$*"; }
cmd() { printf '+ %s\n' "$*"; }  # the exact command, as run
die() { printf '\n*** %s\n\n' "$*" >&2; exit 1; }
loud() { printf '\n%s\n*** %s\n%s\n\n' "$(printf '*%.0s' {1..92})" "$*" "$(printf '*%.0s' {1..92})"; }

# ---- versions -----------------------------------------------------------------------------
say "== versions"
[[ -x $vpcdns ]] && say "vpcdns:  $($vpcdns --version 2>&1 | head -1) ($vpcdns)"
say "dnsmasq: $(dnsmasq --version | head -1)"
say "unbound: $(unbound -V | head -1)"
say "nsd:     $(nsd -v 2>&1 | head -1)"
say "dnsperf: $(dnsperf -h 2>&1 | grep -m1 '^Version')"
say "machine: $(nproc) cores, shared by the load generator, the forwarder under test and NSD"

# ---- the upstream: NSD serving fwd.bench. ---------------------------------------------------
# hN has the address 10.(N/65536).(N/256 % 256).(N % 256); cN 10.253.0.N.
addr_of() { echo "10.$(($1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
{
  printf '$ORIGIN fwd.bench.\n$TTL 3600\n'
  printf '@ SOA ns1 hostmaster 1 3600 600 864000 3600\n@ NS ns1\nns1 A %s\n' $up_ip
  awk -v hot=$hot -v n=$names 'BEGIN {
    for (i = 1; i <= hot; i++) printf "c%d A 10.253.0.%d\n", i, i
    for (i = 1; i <= n; i++) printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536), int(i / 256) % 256, i % 256
  }'
} > "$work/fwd.zone"
cat > "$work/nsd.conf" <<EOC
server:
  ip-address: $up_ip
  port: 53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  xfrdir: "$work"
  pidfile: ""
  verbosity: 1
  minimal-responses: yes
  refuse-any: no
  round-robin: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "fwd.bench."
  zonefile: "$work/fwd.zone"
EOC
say ""
say "== upstream: NSD on $up_ip:53, zone fwd.bench. ($names + $hot names)"
nsd-checkconf "$work/nsd.conf" || die "nsd-checkconf failed on $work/nsd.conf"
nsd-checkzone fwd.bench. "$work/fwd.zone" >/dev/null || die "nsd-checkzone failed on fwd.bench."
cmd nsd -d -c "$work/nsd.conf"
nsd -d -c "$work/nsd.conf" 2>"$work/nsd.log" & pids+=($!); nsd_pid=$!

# dig_a SERVER PORT NAME [DIG OPTIONS]: "STATUS ADDRESSES..." of an A query ("NOANSWER" if none).
dig_a() {
  local out
  out=$(dig +tries=1 +time=2 +noauthority +noadditional @"$1" -p "$2" "$3" A "${@:4}" 2>&1) ||
    { echo NOANSWER; return 0; }
  awk '/status:/ {s = $6; sub(",", "", s)} /^[^;]/ && $4 == "A" {a = a " " $5}
       END {print (s == "" ? "NOANSWER" : s) a}' <<<"$out"
}

# wait_answer SERVER PORT NAME "STATUS ADDRESS" PID SECONDS [DIG OPTIONS]: retries for up to
# SECONDS until the answer is the one expected; else prints the last answer and fails.
wait_answer() {
  local got="" end=$((SECONDS + $6))
  while :; do
    kill -0 "$5" 2>/dev/null || { echo "(process $5 exited)"; return 1; }
    got=$(dig_a "$1" "$2" "$3" "${@:7}")
    [[ $got == "$4" ]] && return 0
    ((SECONDS < end)) || break
    sleep 0.2
  done
  echo "$got"; return 1
}
wait_answer $up_ip 53 h$names.fwd.bench. "NOERROR $(addr_of $names)" $nsd_pid 30 +norec >/dev/null ||
  die "NSD did not start: $(cat "$work/nsd.log")"
say "NSD answers"

# ---- the forwarders' configurations -----------------------------------------------------------
# Unbound's root hints name the NSD (which refuses anything but fwd.bench.), so that even a stray
# name can only cost a loopback packet.
printf '. 3600000 NS ns.root.\nns.root. 3600000 A %s\n' $up_ip > "$work/root.hints"
for phase in off on; do
  cache=false; [[ $phase == on ]] && cache=true
  cat > "$work/vpcdns-$phase.yaml" <<EOC
server: {listen: [{address: "${addr[vpcdns]}:$port"}], workers: 1, allow: [127.0.0.0/8]}
logging: {level: warn}
forwarding: {cache: $cache}
rules:
  - {domain: fwd.bench, targets: ["$up_ip"]}
resolver: {dont_query: ["0.0.0.0/0", "::/0"]}
EOC
  msg=0 rrset=0; [[ $phase == on ]] && msg=64m rrset=128m
  { unbound_server_header "${addr[unbound]}"; cat <<EOC; } > "$work/unbound-$phase.conf"
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  do-not-query-localhost: no
  so-reuseport: no
  root-hints: "$work/root.hints"
  msg-cache-size: $msg
  rrset-cache-size: $rrset
forward-zone:
  name: "fwd.bench."
  forward-addr: $up_ip
remote-control:
  control-enable: no
EOC
  unbound-checkconf "$work/unbound-$phase.conf" >/dev/null ||
    die "unbound-checkconf failed on $work/unbound-$phase.conf"
  if [[ -x $vpcdns ]] && [[ " ${started[*]} " == *" vpcdns "* ]]; then
    $vpcdns --check-config "$work/vpcdns-$phase.yaml" >/dev/null ||
      die "vpcdns rejects $work/vpcdns-$phase.yaml (above)"
  fi
done

# server_command SERVER PHASE: the command line that runs SERVER in the foreground, as root,
# with no pid file, logging to stderr.
server_command() {
  case $1 in
    vpcdns) echo "$vpcdns --config $work/vpcdns-$2.yaml" ;;
    dnsmasq)
      local size=0; [[ $2 == on ]] && size=$dnsmasq_cache_on
      echo "dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --server=/fwd.bench/$up_ip" \
        "--bind-interfaces --listen-address=${addr[dnsmasq]} --port=$port --cache-size=$size" \
        "--user=root --pid-file= --log-facility=-" ;;
    unbound) echo "unbound -d -c $work/unbound-$2.conf" ;;
  esac
}

# start_servers PHASE: starts every server of `started` in PHASE's configuration, waits until
# each answers (any reply: vpcdns may answer SERVFAIL).
start_servers() {
  local s c
  for s in "${started[@]}"; do
    c=$(server_command "$s" "$1")
    cmd "$c"
    case $s in
      vpcdns) sed 's/^/   | /' "$work/vpcdns-$1.yaml" ;;
      unbound) sed -n '/module-config/,$p' "$work/unbound-$1.conf" | sed 's/^/   | /' ;;
    esac
    # shellcheck disable=SC2086  # the command is one word per argument, none with spaces
    $c 2>"$work/$s-$1.log" & pids+=($!); pid[$s]=$!
  done
  for s in "${started[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "${pid[$s]}" 2>/dev/null || die "$s exited at start-up: $(tail -5 "$work/$s-$1.log")"
      dig +tries=1 +time=1 @"${addr[$s]}" -p $port ready.fwd.bench >/dev/null 2>&1 && continue 2
      sleep 0.1
    done
    die "$s does not answer on ${addr[$s]}:$port: $(tail -5 "$work/$s-$1.log")"
  done
}

# stop_server SERVER: SIGTERM to the PID this script started, wait for it, forget the PID.
stop_server() {
  local p=${pid[$1]} keep=() q
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  for q in "${pids[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done
  pids=("${keep[@]}")
  unset "pid[$1]"
}

# precheck SERVER PHASE: prints "ok", or the first wrong answer.
precheck() {
  local n want got wait=10
  [[ $1 == vpcdns ]] && ((only_others)) && wait=2
  for n in 12345 $names; do
    want="NOERROR $(addr_of $n)"
    for try in 1 2; do  # the second answer may come from the cache: it must be right too
      got=$(wait_answer "${addr[$1]}" $port "h$n.fwd.bench." "$want" "${pid[$1]}" $wait) || {
        echo "h$n.fwd.bench A (query $try) answered \"${got:-nothing}\", expected \"$want\""
        return 0
      }
    done
  done
  echo ok
}

# ---- measurements -------------------------------------------------------------------------
for ((i = 1; i <= hot; i++)); do echo "c$i.fwd.bench A"; done > "$work/hot.queries"
for ((i = 1; i <= names; i++)); do echo "h$i.fwd.bench A"; done > "$work/miss.queries"
hz=$(getconf CLK_TCK)
declare -A R  # R[server.run.field]

# machine_ticks: "BUSY TOTAL" clock ticks of all CPUs so far (/proc/stat), to show how busy the
# machine was during a run: far above what dnsperf + forwarder + NSD need means other work ran.
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# busy_pct "BUSY TOTAL" "BUSY TOTAL": % of the machine's CPU time that was busy between the two.
busy_pct() {
  awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ")
    printf "%.0f\n", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0)}'
}

# perf SERVER RUN DNSPERF-ARGS...: runs dnsperf against SERVER with the args, prints the
# command and a one-line summary, and keeps in R: qps, lat (ms), done, lost, noerror, runtime,
# rsize, cpu (us per completed query), noerror_qps.
perf() {
  local s=$1 run=$2 before after out=$work/$1.$2.out; shift 2
  local args=(-s "${addr[$s]}" -p "$port" "$@")
  cmd dnsperf "${args[@]}"
  local m0 m1 q0 q1
  q0=$(machine_ticks); sleep 1; q1=$(machine_ticks)  # 1 s with every server idle: who else runs?
  R[$s.$run.idle_busy]=$(busy_pct "$q0" "$q1")
  awk -v b="${R[$s.$run.idle_busy]}" 'BEGIN {exit !(b > 20)}' &&
    say "  !! the machine was ${R[$s.$run.idle_busy]}% busy just before this run, with every server idle: other work competes for the 2 cores and lowers the figures"
  m0=$(machine_ticks)
  before=$(cpu_ticks "${pid[$s]}")
  dnsperf "${args[@]}" >"$out" 2>&1 || die "dnsperf failed: $(cat "$out")"
  after=$(cpu_ticks "${pid[$s]}")
  m1=$(machine_ticks)
  while read -r k v; do R[$s.$run.$k]=$v; done < <(awk -v t=$((after - before)) -v hz="$hz" '
    /Queries completed:/ {c = $3} /Queries lost:/ {l = $3}
    /Queries per second:/ {q = $4} /Average Latency/ {a = $4 * 1000} /Run time \(s\):/ {r = $4}
    /Average packet size:/ {z = $NF}
    /Response codes:/ {for (i = 3; i <= NF; i++) if ($i == "NOERROR") n = $(i + 1) + 0}
    END {
      printf "qps %s\nlat %s\ndone %d\nlost %d\nnoerror %d\nruntime %s\nrsize %s\n", q + 0, a + 0, c, l, n, r + 0, z + 0
      printf "cpu %s\nnoerror_qps %s\n", (c > 0 ? t * 1e6 / hz / c : 0), (r > 0 ? n / r : 0)
    }' "$out")
  R[$s.$run.busy]=$(busy_pct "$m0" "$m1")
  printf '  -> %s q/s, avg %.3f ms, %s completed, %s lost; %s; response %s bytes; cpu %.2f us/query; machine %.0f%% busy%s\n' \
    "${R[$s.$run.qps]}" "${R[$s.$run.lat]}" "${R[$s.$run.done]}" "${R[$s.$run.lost]}" \
    "$(grep -m1 'Response codes' "$out" | sed 's/ *Response codes: *//')" "${R[$s.$run.rsize]}" \
    "${R[$s.$run.cpu]}" "${R[$s.$run.busy]}" "$([[ $run == warm ]] && echo " (too short to mean anything)")"
  # The comparison only holds if the answers were right: every completed query NOERROR.
  ((R[$s.$run.noerror] > 0)) || die "$s answered no query NOERROR in run '$run' (output: $out)"
  ((R[$s.$run.noerror] == R[$s.$run.done])) ||
    say "  !! $s answered $((R[$s.$run.done] - R[$s.$run.noerror])) of ${R[$s.$run.done]} queries other than NOERROR"
}

# miss SERVER RUN: the cache-miss run over the distinct names.
miss() {
  perf "$1" "$2" -d "$work/miss.queries" -n 1 -l "$seconds" -c 10 -q 100 -t 5
  ((R[$1.$2.done] + R[$1.$2.lost] < names)) ||
    say "  !! all $names names were used before the time limit: the run lasted ${R[$1.$2.runtime]} s, not ${seconds} s"
}

declare -A describe
describe[off]="cache off (vpcdns forwarding.cache false, dnsmasq --cache-size=0, Unbound msg/rrset caches 0)"
describe[on]="cache on (vpcdns forwarding.cache true, dnsmasq --cache-size=$dnsmasq_cache_on, Unbound 64m/128m)"
for phase in off on; do
  say ""
  say "== phase: ${describe[$phase]}"
  start_servers $phase
  for s in "${started[@]}"; do
    result=$(precheck "$s")
    if [[ $result == ok ]]; then
      say "pre-check: $s answers h12345.fwd.bench and h$names.fwd.bench correctly (each asked twice)"
      if [[ $s == vpcdns ]] && ((only_others)); then
        loud "vpcdns PASSES the pre-check ($phase phase), but --only-others does not measure it: run bench/forward.sh without --only-others"
      fi
    elif [[ $s == vpcdns ]] && ((only_others)); then
      loud "PRE-CHECK FAILED: vpcdns does not forward yet ($phase phase): $result.
*** --only-others: vpcdns is NOT measured; dnsmasq and Unbound are."
    else
      hint=""
      [[ $s == vpcdns ]] && hint="
*** bench/forward.sh --only-others measures dnsmasq and Unbound alone."
      loud "PRE-CHECK FAILED: $s ($phase phase): $result.
*** Nothing was measured.$hint"
      exit 1
    fi
  done
  if ((probe_vpcdns)); then stop_server vpcdns; fi  # the probe is over: nothing to measure
  for s in "${measured[@]}"; do
    say ""
    say "== $s, $phase phase: a. cache misses ($names distinct names, each asked once)"
    miss "$s" "$phase.miss"
    if [[ $phase == on ]]; then
      say "== $s: b. warm-up, the $hot names cN.fwd.bench forwarded once"
      perf "$s" warm -d "$work/hot.queries" -n 1 -c 1 -q 10 -t 5
      ((R[$s.warm.noerror] == hot)) || die "$s answered ${R[$s.warm.noerror]} of the $hot warm-up names NOERROR"
      say "== $s: b. cache hits, full speed"
      perf "$s" hit -d "$work/hot.queries" -l "$seconds" -c 10 -q 100 -t 2
      say "== $s: b. cache hits at a fixed $fixed_rate q/s offered"
      perf "$s" fixed -d "$work/hot.queries" -l "$seconds" -c 10 -q 100 -t 2 -Q $fixed_rate
      awk -v q="${R[$s.fixed.qps]}" -v f=$fixed_rate 'BEGIN {exit !(q < 0.95 * f)}' &&
        say "  !! only ${R[$s.fixed.qps]} q/s answered of $fixed_rate offered: its CPU per query is at a lower rate than intended"
    fi
  done
  for s in "${measured[@]}"; do stop_server "$s"; done
done

# ---- table ---------------------------------------------------------------------------------
# row LABEL KEY FORMAT NOTE: vpcdns, dnsmasq, unbound, vpcdns/dnsmasq, vpcdns/unbound, NOTE.
row() {
  local v=${R[vpcdns.$2]:-} d=${R[dnsmasq.$2]:-} u=${R[unbound.$2]:-}
  awk -v l="$1" -v v="$v" -v d="$d" -v u="$u" -v f="$3" -v b="$4" '
    function fmt(x) { return x == "" ? "-" : sprintf(f, x) }
    function ratio(x, y) { return (x == "" || y == "" || y + 0 == 0) ? "-" : sprintf("%.2fx", x / y) }
    BEGIN { printf "%-40s %10s %10s %10s %9s %9s  %s\n", l, fmt(v), fmt(d), fmt(u), ratio(v, d), ratio(v, u), b }'
}
say ""
say "== results (${seconds} s runs)"
printf '%-40s %10s %10s %10s %9s %9s\n' "" vpcdns dnsmasq unbound "v/dnsmasq" "v/unbound"
for phase in off on; do
  row "a. misses, cache $phase: NOERROR answers/s" $phase.miss.noerror_qps "%.0f" "higher is better"
  row "   average latency (ms)" $phase.miss.lat "%.3f" "lower is better"
  row "   forwarder CPU per query (us)" $phase.miss.cpu "%.2f" "lower is better"
  row "   queries lost (timed out)" $phase.miss.lost "%.0f" ""
  row "   run time (s)" $phase.miss.runtime "%.1f" "(below ${seconds}: the $names names ran out first)"
  row "   response size (bytes)" $phase.miss.rsize "%.0f" "(same data: should match, +-1 as longer hN come later)"
done
row "b. cache hits: queries/s" hit.qps "%.0f" "higher is better"
row "   average latency (ms)" hit.lat "%.3f" "lower is better"
row "   response size (bytes)" hit.rsize "%.0f" "(same data: should match)"
row "   at ${fixed_rate} q/s offered: answered/s" fixed.qps "%.0f" ""
row "   forwarder CPU per query (us)" fixed.cpu "%.2f" "lower is better"
say ""
say "Machine busy % just before each run, every server idle (above 20: other work was running):"
for s in "${measured[@]}"; do
  line=""
  for run in off.miss on.miss warm hit fixed; do line+=" $run ${R[$s.$run.idle_busy]}%"; done
  say "  $s:$line"
done
((only_others)) && printf '\n*** --only-others: vpcdns was NOT measured ***\n'
say "(whole run: $((SECONDS - start_time)) s)"
exit 0
