#!/usr/bin/env bash
# soak.sh — the daemon for a long time against a fixture server that drops
# connections (the target of `make soak`; not run in CI).
#
# Starts `virgo-top fixture-server --drop-after 30s` and `virgo-top --daemon`
# reporting to it with --metrics-listen, samples go_goroutines and
# process_resident_memory_bytes from /metrics (and VmRSS from /proc) every
# SOAK_INTERVAL, and prints the growth from the first sample after the
# warm-up to the last, with a pass/fail line against issue 8's goal:
# "< 1 MiB RSS growth and flat goroutine count" (flat: the highest count in
# the last quarter of samples is not above the highest in the first quarter;
# drops make the count move a little, a leak makes it climb).
#
# Env knobs:
#   SOAK_DURATION=1h     total run (s, m or h suffix; e.g. 10m)
#   SOAK_WARMUP=60s      samples before this are not compared
#   SOAK_INTERVAL=10     seconds between samples
#   SOAK_DROP_AFTER=30s  fixture-server --drop-after
#   SOAK_CSV=FILE        also keep the samples here (default: a temporary file, printed)
#   SOAK_RECORD=1        write a "## Soak" section into BENCHMARKS.md (BENCH_OUT)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secs() { # 90, 90s, 10m, 1h -> seconds
  case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
DURATION=$(secs "${SOAK_DURATION:-1h}")
WARMUP=$(secs "${SOAK_WARMUP:-60s}")
INTERVAL=${SOAK_INTERVAL:-10}
DROP_AFTER=${SOAK_DROP_AFTER:-30s}
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
[ "$DURATION" -gt "$WARMUP" ] || { echo "SOAK_DURATION must be longer than SOAK_WARMUP ($WARMUP s)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/virgo-soak.XXXXXX)
CSV=${SOAK_CSV:-$WORK/soak.csv}
trap 'bench_cleanup; [ -n "${SOAK_CSV:-}" ] || cp "$WORK/soak.csv" "/tmp/virgo-soak-last.csv" 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

cd "$BENCH_ROOT"
BIN=$WORK/virgo-top
log "building $BIN"
build_binary "$BIN"

start_fixture "$BIN" "$WORK" --drop-after "$DROP_AFTER"
MPORT=$(free_port)
mkdir -p "$WORK/state"
"$BIN" --daemon --endpoint "$FIXTURE_ADDR" --ca-file "$WORK/ca.pem" --agent-id soak \
  --token bench-token-0000 --state-dir "$WORK/state" --metrics-listen "127.0.0.1:$MPORT" \
  >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
BENCH_PIDS+=("$DAEMON_PID")
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
log "daemon $DAEMON_PID against $FIXTURE_ADDR (drop-after $DROP_AFTER), /metrics on 127.0.0.1:$MPORT, ${DURATION}s"

# scrape: "goroutines rss_bytes heap_inuse_bytes" from /metrics, empty on failure
scrape() {
  curl -fsS --max-time 5 "http://127.0.0.1:$MPORT/metrics" 2>/dev/null |
    awk '$1=="go_goroutines"{g=$2} $1=="process_resident_memory_bytes"{r=sprintf("%.0f",$2)}
         $1=="go_memstats_heap_inuse_bytes"{h=sprintf("%.0f",$2)}
         END{ if (g != "" && r != "") print g, r, h }'
}

echo "elapsed_s,goroutines,metrics_rss_bytes,vmrss_kb,vmhwm_kb,cpu_ticks,rss_anon_kb,rss_file_kb,heap_inuse_bytes" >"$CSV"
T0=$(date +%s)
while :; do
  now=$(date +%s)
  el=$((now - T0))
  [ "$el" -le "$DURATION" ] || break
  kill -0 "$DAEMON_PID" 2>/dev/null || { log "the daemon exited:"; tail -5 "$WORK/daemon.log" >&2; exit 1; }
  read -r g r hi <<<"$(scrape || true)" || true
  echo "$el,${g:-},${r:-},$(status_kb "$DAEMON_PID" VmRSS),$(status_kb "$DAEMON_PID" VmHWM),$(proc_ticks "$DAEMON_PID"),$(status_kb "$DAEMON_PID" RssAnon),$(status_kb "$DAEMON_PID" RssFile),${hi:-}" >>"$CSV"
  if [ $(((el / INTERVAL) % 30)) -eq 0 ]; then
    log "t=${el}s goroutines=${g:-?} rss=$(awk -v b="${r:-0}" 'BEGIN{printf "%.1f", b/1048576}') MiB"
  fi
  sleep $((INTERVAL - ($(date +%s) - now) > 0 ? INTERVAL - ($(date +%s) - now) : 1))
done
CONNS=$(grep -c 'connected' "$WORK/daemon.log" || true)
ERRS=$(grep -c 'level=ERROR' "$WORK/daemon.log" || true)
stop_pid "$DAEMON_PID"
stop_pid "$FIXTURE_PID"
FIXTURE_STATS=$(sed -n 's/.*msg="fixture endpoint stopped" //p' "$WORK/fixture.log" | tail -1)

SUMMARY=$(awk -F, -v w="$WARMUP" -v tck="$TCK" '
  NR == 1 || $1 < w || $2 == "" { next }
  { n++; t[n] = $1; g[n] = $2; r[n] = $3; v[n] = $4; h[n] = $5; c[n] = $6; an[n] = $7; fi[n] = $8; hp[n] = $9
    if (maxr == "" || $3 > maxr) maxr = $3 }
  END {
    if (n < 4) { print "FAIL too few samples after the warm-up (" n ")"; exit }
    q = int(n / 4); if (q < 1) q = 1
    for (i = 1; i <= q; i++) if (g[i] > g1) g1 = g[i]
    for (i = n - q + 1; i <= n; i++) if (g[i] > g4) g4 = g[i]
    grow = r[n] - r[1]
    cpu = (c[n] - c[1]) / tck / (t[n] - t[1]) * 100
    ok = (grow < 1048576 && g4 <= g1)
    printf "samples %d over %d s after a %d s warm-up\n", n, t[n] - t[1], w
    printf "RSS (/metrics) first %.2f MiB, last %.2f MiB, max %.2f MiB, growth %+.3f MiB\n", r[1]/1048576, r[n]/1048576, maxr/1048576, grow/1048576
    printf "VmRSS first %.2f MiB, last %.2f MiB; VmHWM last %.2f MiB\n", v[1]/1024, v[n]/1024, h[n]/1024
    if (an[1] != "" && fi[1] != "")
      printf "of which anonymous %.2f -> %.2f MiB (%+.3f), file-backed (the binary'"'"'s pages) %.2f -> %.2f MiB (%+.3f)\n", an[1]/1024, an[n]/1024, (an[n]-an[1])/1024, fi[1]/1024, fi[n]/1024, (fi[n]-fi[1])/1024
    if (hp[1] != "")
      printf "Go heap in use %.2f -> %.2f MiB (%+.3f)\n", hp[1]/1048576, hp[n]/1048576, (hp[n]-hp[1])/1048576
    printf "goroutines first %d, last %d; max of the first quarter %d, of the last quarter %d\n", g[1], g[n], g1, g4
    printf "CPU %.3f %% of a core over the compared window\n", cpu
    printf "%s RSS growth %+.3f MiB (goal < 1 MiB), goroutines %s (first quarter max %d, last quarter max %d)\n",
      ok ? "PASS" : "FAIL", grow/1048576, (g4 <= g1) ? "flat" : "growing", g1, g4
  }' "$CSV")

echo "== soak: ${DURATION}s, fixture-server --drop-after $DROP_AFTER, started $STARTED"
echo "$SUMMARY"
echo "daemon log lines mentioning 'connected': $CONNS; errors logged: $ERRS"
echo "fixture server at shutdown: ${FIXTURE_STATS:-no stats line}"
if [ -n "${SOAK_CSV:-}" ]; then echo "samples: $CSV"; else echo "samples: /tmp/virgo-soak-last.csv"; fi

if [ "${SOAK_RECORD:-0}" = 1 ]; then
  {
    echo "## Soak"
    echo
    echo "\`SOAK_DURATION=${SOAK_DURATION:-1h} make soak\` (\`bash bench/soak.sh\`), started $STARTED: the daemon against"
    echo "\`virgo-top fixture-server --drop-after $DROP_AFTER\`, /metrics sampled every ${INTERVAL} s, compared after a ${WARMUP} s warm-up."
    echo
    echo '```'
    echo "$SUMMARY"
    echo "fixture server at shutdown: ${FIXTURE_STATS:-no stats line}"
    echo '```'
  } >"$WORK/section.md"
  replace_section "$OUT" Soak "$WORK/section.md"
  log "wrote the Soak section of $OUT"
fi
case "$SUMMARY" in *PASS*) exit 0 ;; *) exit 1 ;; esac
