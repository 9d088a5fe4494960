#!/usr/bin/env bash
# scale.sh — issue 8's "5,000 processes and 500 checks stay usable", measured
# (the target of `make scale`).
#
# Starts SCALE_PROCS sleeping processes and writes a conf.d folder of
# SCALE_CHECKS checks (agent.memory, agent.load_average and agent.filesystem
# "/" in turn, periods 30-60 s). Then:
#   - the daemon with --confd DIR and no endpoint for SCALE_DURATION after
#     SCALE_SETTLE: CPU % and RSS from /proc, check runs and the per-source
#     collector durations from its /metrics at the end;
#   - the console with the same conf.d beside htop and btop via monitor-cost
#     (SCALE_CONSOLE_DURATION each), with a capture of its screen.
# Writes a "## Scale" section into BENCHMARKS.md (BENCH_OUT; SCALE_RECORD=0
# only prints it).
#
# Env knobs: SCALE_PROCS=5000 SCALE_CHECKS=500 SCALE_DURATION=60 SCALE_SETTLE=10
#            SCALE_CONSOLE_DURATION=30 BENCH_SETTLE=3 SCALE_RECORD=1
#            MONITOR_COST=../shared/tools/monitor-cost
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPROCS=${SCALE_PROCS:-5000}
NCHECKS=${SCALE_CHECKS:-500}
DURATION=${SCALE_DURATION:-60}
SETTLE=${SCALE_SETTLE:-10}
CDURATION=${SCALE_CONSOLE_DURATION:-30}
CSETTLE=${BENCH_SETTLE:-3}
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
MONITOR_COST=${MONITOR_COST:-$BENCH_ROOT/../shared/tools/monitor-cost}

WORK=$(mktemp -d /tmp/virgo-scale.XXXXXX)
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
cd "$BENCH_ROOT"
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

need_tools tmux htop btop
BIN=$WORK/virgo-top
log "building $BIN"
build_binary "$BIN"

# conf.d: SCALE_CHECKS files, types in turn, periods 30..60 s
CONFD=$WORK/conf.d
mkdir -p "$CONFD"
for ((i = 0; i < NCHECKS; i++)); do
  period=$((30 + i % 31))
  f=$(printf '%s/check-%04d.yaml' "$CONFD" "$i")
  case $((i % 3)) in
    0) printf 'type: agent.memory\nlabel: memory %d\nperiod: %d\n' "$i" "$period" >"$f" ;;
    1) printf 'type: agent.load_average\nlabel: load %d\nperiod: %d\n' "$i" "$period" >"$f" ;;
    2) printf 'type: agent.filesystem\nlabel: root filesystem %d\nperiod: %d\ndetails: {target: /}\n' "$i" "$period" >"$f" ;;
  esac
done

PROCS_BEFORE=$(proc_count)
log "starting $NPROCS sleeping processes"
start_sleepers "$NPROCS"
sleep 2
PROCS=$(proc_count)
log "$PROCS processes, $NCHECKS checks in $CONFD"

# ---- the daemon --------------------------------------------------------------
MPORT=$(free_port)
mkdir -p "$WORK/state"
"$BIN" --daemon --confd "$CONFD" --state-dir "$WORK/state" --metrics-listen "127.0.0.1:$MPORT" \
  >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
BENCH_PIDS+=("$DAEMON_PID")
sleep "$SETTLE"
kill -0 "$DAEMON_PID" 2>/dev/null || { log "daemon exited:"; cat "$WORK/daemon.log" >&2; exit 1; }
T0=$(now_s)
K0=$(proc_ticks "$DAEMON_PID")
log "daemon: measuring ${DURATION}s"
sleep "$DURATION"
T1=$(now_s)
K1=$(proc_ticks "$DAEMON_PID")
D_RSS=$(status_kb "$DAEMON_PID" VmRSS)
D_HWM=$(status_kb "$DAEMON_PID" VmHWM)
SECS=$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}')
D_PCT=$(cpu_pct $((K1 - K0)) "$SECS")
curl -fsS --max-time 10 "http://127.0.0.1:$MPORT/metrics" >"$WORK/metrics.txt" 2>/dev/null || : >"$WORK/metrics.txt"
stop_pid "$DAEMON_PID"
CHECKS_LOADED=$(grep -c '^virgo_check_runs_total{' "$WORK/metrics.txt" || true)
CHECK_RUNS=$(awk '/^virgo_check_runs_total\{/{s += $2} END{printf "%d", s}' "$WORK/metrics.txt")
CHECK_TIMEOUTS=$(awk '/^virgo_check_timeouts_total\{/{s += $2} END{printf "%d", s}' "$WORK/metrics.txt")
CHECK_SKIPPED=$(awk '/^virgo_check_skipped_total\{/{s += $2} END{printf "%d", s}' "$WORK/metrics.txt")
COLLECT=$(awk '/^virgo_scrape_collector_duration_seconds\{/{
    src = $1; sub(/.*collector="/, "", src); sub(/".*/, "", src)
    printf "%s %.2f ms; ", src, $2 * 1000 }' "$WORK/metrics.txt" | sed 's/; $//')
D_ERRORS=$(grep -c 'level=ERROR' "$WORK/daemon.log" || true)

# ---- the console -------------------------------------------------------------
MC_OUT=$WORK/mc.txt
: >"$MC_OUT"
if command -v tmux >/dev/null 2>&1 && [ -r "$MONITOR_COST" ]; then
  log "console beside htop and btop: ${CDURATION}s each"
  DURATION=$CDURATION SETTLE=$CSETTLE COLS=200 ROWS=50 SCREEN_DIR=$WORK/screens SCREEN_AT=5 \
    VIRGO_TOP_CMD="$BIN --confd $CONFD" bash "$MONITOR_COST" htop btop virgo-top >"$MC_OUT" 2>"$WORK/mc.err" ||
    log "monitor-cost failed: $(cat "$WORK/mc.err")"
else
  log "tmux or monitor-cost missing: console not measured"
fi
stop_sleepers

mc() { awk -v p="$1" -v c="$2" '$1==p{print $c; f=1} END{if(!f) print "NA"}' "$MC_OUT"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f×", a/b; else print "n/a" }'; }
rows() {
  local p
  for p in htop btop virgo-top; do
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$p" "$(kb_mib "$(mc "$p" 2)")" "$(kb_mib "$(mc "$p" 3)")" \
      "$(mc "$p" 4)" "$(mc "$p" 5)" "$(ratio "$(mc "$p" 5)" "$(mc htop 5)")" "$(ratio "$(mc "$p" 5)" "$(mc btop 5)")"
  done
}

{
  cat <<EOF
## Scale

\`make scale\` (\`bash bench/scale.sh\`), $STARTED: $NPROCS extra sleeping processes ($PROCS
processes in all, $PROCS_BEFORE before) and a conf.d folder of $NCHECKS checks (agent.memory,
agent.load_average and agent.filesystem "/" in turn, periods 30-60 s). Same shared, noisy 2-core
machine as above.

Daemon (\`virgo-top --daemon --confd DIR\`, no endpoint), ${SECS} s after ${SETTLE} s of start-up:

| RSS MiB | HWM MiB | CPU % | checks loaded | check runs | timeouts | skipped | errors logged |
|---|---|---|---|---|---|---|---|
| $(kb_mib "${D_RSS:-NA}") | $(kb_mib "${D_HWM:-NA}") | $D_PCT | $CHECKS_LOADED | $CHECK_RUNS | $CHECK_TIMEOUTS | $CHECK_SKIPPED | $D_ERRORS |

Last collector tick per source (virgo_scrape_collector_duration_seconds): ${COLLECT:-not scraped}

Console (\`virgo-top --confd DIR\`) beside htop and btop, ${CDURATION} s each after ${CSETTLE} s, 200x50, 1 s refresh:

| program | RSS MiB | HWM MiB | CPU s | CPU % | CPU vs htop | CPU vs btop |
|---|---|---|---|---|---|---|
$(rows)
EOF
  if [ -s "$WORK/screens/virgo-top.txt" ]; then
    printf '\n<details><summary>the console screen after 5 s</summary>\n\n```\n%s\n```\n</details>\n' \
      "$(sed 's/[[:space:]]*$//' "$WORK/screens/virgo-top.txt")"
  fi
} >"$WORK/section.md"

cat "$WORK/section.md"
if [ "${SCALE_RECORD:-1}" = 1 ]; then
  replace_section "$OUT" Scale "$WORK/section.md"
  log "wrote the Scale section of $OUT"
fi
