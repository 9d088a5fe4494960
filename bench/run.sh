#!/usr/bin/env bash
# run.sh — regenerate BENCHMARKS.md (the target of `make bench`).
#
# 1. The release binary, built into a temporary directory.
# 2. Two fixture-server processes and four daemons reporting to them, started
#    now so that the recording daemon has minutes of recording by the end:
#    rec (the default: records in state_dir/record), norec (--no-record),
#    scan (--no-record, and an agent.process check that makes it list the
#    processes at every sample, as the recorder needs: fixture B serves the
#    default schedule plus that check, from bench/fixsched) and prof (rec
#    with --cpuprofile).
# 3. bench/recgen: a synthesised 7-day and 1-day recording (300 processes,
#    5 s samples).
# 4. Go benchmarks of every package with -benchmem (the record package's
#    7-day ones on the recgen recording: RECORD_BENCH_DIR).
# 5. Whole-process cost of the interactive console beside htop and btop, in
#    one run, with ../shared/tools/monitor-cost (tmux, 200x50, 1 s refresh,
#    start-up excluded): pass 1 as the machine is, pass 2 with extra sleeping
#    processes. The daemons' CPU (/proc, per pass) and RSS are read around
#    each pass; the rec daemon's recording with `record info --json`.
# 6. A pprof capture of a console (cpu, alloc_space) during pass 2, and the
#    prof daemon's CPU profile over its whole run.
# 7. The console's start on the 7-day recording (as a daemon's: its writer
#    lock held with flock(1)) against a start without one; `virgo-top dump`
#    over the 1-day and the 7-day recording (max RSS, live heap).
# 8. BENCHMARKS.md: machine, date, commands, tables, goals, pprof tops.
#    "## Scale" and "## Soak" sections written by scale.sh/soak.sh, "## Binary
#    size" (size.sh), "## Endpoint" and "## Fleet" (written with
#    replace_section by their own scripts), and the
#    hand-written "## bubbletea ..." decision, are kept.
#
# Env knobs:
#   BENCH_DURATION=30      measured seconds per program (monitor-cost DURATION)
#   BENCH_SETTLE=3         seconds of start-up excluded (monitor-cost SETTLE)
#   BENCH_DAEMON_SETTLE=5  seconds the daemons run before anything else
#   BENCH_SLEEPERS=300     extra sleeping processes for the second pass
#   BENCH_GO=1             0 skips the Go benchmarks
#   BENCH_PATTERN=.        -bench pattern
#   BENCH_RECGEN=1         0 skips bench/recgen and the checks that need its
#                          recordings (the record benchmarks then synthesise
#                          their own 7 days)
#   BENCH_OUT=BENCHMARKS.md  output file
#   BENCH_SCRAPE=5         seconds between scrapes of node_exporter and of the
#                          metr daemon's /metrics (the daemon's sample interval)
#   NODE_EXPORTER=/usr/bin/prometheus-node-exporter  (missing: its rows say NA)
#   BENCH_SIZE=1           0 skips bench/size.sh (the Binary size section)
# A quick check of the wiring (no htop/btop passes, no Go benchmarks, no
# recordings; every pass then waits BENCH_DURATION with the daemons running):
#   BENCH_OUT=/tmp/B.md MONITOR_COST=/nonexistent BENCH_GO=0 BENCH_RECGEN=0 BENCH_DURATION=5 bash bench/run.sh
#   MONITOR_COST=../shared/tools/monitor-cost
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-30}
SETTLE=${BENCH_SETTLE:-3}
DAEMON_SETTLE=${BENCH_DAEMON_SETTLE:-5}
SLEEPERS=${BENCH_SLEEPERS:-300}
GO_BENCH=${BENCH_GO:-1}
PATTERN=${BENCH_PATTERN:-.}
RECGEN=${BENCH_RECGEN:-1}
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
MONITOR_COST=${MONITOR_COST:-$BENCH_ROOT/../shared/tools/monitor-cost}
PROGS=(htop btop virgo-top)
SCRAPE=${BENCH_SCRAPE:-5}
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
SIZE=${BENCH_SIZE:-1}
# metr: rec plus --metrics-listen, scraped every SCRAPE s; nodeexp:
# prometheus-node-exporter scraped at the same rate (measured as a daemon).
DAEMONS=(norec scan rec prof metr)

WORK=$(mktemp -d /tmp/virgo-bench.XXXXXX)
PSOCK=virgobench-$$
FLOCK_PID=
cleanup() {
  tmux -L "$PSOCK" kill-server >/dev/null 2>&1 || true
  [ -z "$FLOCK_PID" ] || stop_pid "$FLOCK_PID"
  bench_cleanup
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T_START=$(date +%s)
LOAD_START=$(loadavg)
cd "$BENCH_ROOT"
MODULE=$(go list -m)

# ---- 1. binary and tools ----------------------------------------------------
need_tools tmux htop btop
BIN=$WORK/virgo-top
log "building $BIN"
build_binary "$BIN"
BIN_SIZE=$(du -k "$BIN" | cut -f1)
if [ "$SIZE" = 1 ]; then
  # the Binary size section (kept by the awk at the end)
  BENCH_OUT=$OUT bash "$BENCH_ROOT/bench/size.sh" >"$WORK/size.txt" || log "bench/size.sh failed: $(tail -3 "$WORK/size.txt")"
fi
have_tmux=1
command -v tmux >/dev/null 2>&1 || have_tmux=0
[ -r "$MONITOR_COST" ] || { log "no monitor-cost at $MONITOR_COST: skipping whole-process measurement"; have_tmux=0; }
# Each console records its own session, as a user's does (its own
# XDG_STATE_HOME: with a shared one the second console would only read).
MC_CMD="env XDG_STATE_HOME=$WORK/xdg-mc $BIN"

run_monitors() { # OUTFILE
  if [ "$have_tmux" = 1 ]; then
    DURATION=$DURATION SETTLE=$SETTLE COLS=200 ROWS=50 VIRGO_TOP_CMD="$MC_CMD" \
      bash "$MONITOR_COST" "${PROGS[@]}" >"$1" 2>"$1.err" || log "monitor-cost failed: $(cat "$1.err")"
  else
    : >"$1"
    sleep "$DURATION" # the daemons are still measured over a pass
  fi
}

# ---- 2. fixture servers and daemons -----------------------------------------
# Fixture A serves its default schedule; fixture B the same checks (the same
# interface and disk, from bench/fixsched) plus one agent.process check every
# 300 s, which turns the scan daemon's process list on at every sample.
log "starting two fixture servers, five daemons (norec, scan, rec, prof, metr) and node_exporter"
go run ./bench/fixsched --process virgo-top --period 300 >"$WORK/sched-scan.json"
start_fixture "$BIN" "$WORK" --record "$WORK/record.jsonl"
FXA_PID=$FIXTURE_PID FXA_ADDR=$FIXTURE_ADDR
mkdir -p "$WORK/fxb"
start_fixture "$BIN" "$WORK/fxb" --schedule "$WORK/sched-scan.json"
FXB_PID=$FIXTURE_PID FXB_ADDR=$FIXTURE_ADDR
declare -A DPID
start_daemon() { # NAME ADDR CA [ARGS...]: state dir WORK/d-NAME, log WORK/d-NAME.log
  local name=$1 addr=$2 ca=$3
  shift 3
  mkdir -p "$WORK/d-$name"
  "$BIN" --daemon --endpoint "$addr" --ca-file "$ca" --agent-id "bench-$name" \
    --token bench-token-0000 --state-dir "$WORK/d-$name" "$@" >"$WORK/d-$name.log" 2>&1 &
  DPID[$name]=$!
  BENCH_PIDS+=("$!")
}
start_daemon norec "$FXA_ADDR" "$WORK/ca.pem" --no-record
start_daemon scan "$FXB_ADDR" "$WORK/fxb/ca.pem" --no-record
start_daemon rec "$FXA_ADDR" "$WORK/ca.pem"
start_daemon prof "$FXA_ADDR" "$WORK/ca.pem" --cpuprofile "$WORK/daemon-cpu.prof"
METR_PORT=$(free_port)
start_daemon metr "$FXA_ADDR" "$WORK/ca.pem" --metrics-listen "127.0.0.1:$METR_PORT"
# node_exporter as Debian ships it (its default collectors), on loopback; its
# textfile directory an empty one of ours.
NE_PORT= NE_VERSION="not installed"
if [ -x "$NODE_EXPORTER" ]; then
  NE_PORT=$(free_port)
  while [ "$NE_PORT" = "$METR_PORT" ]; do NE_PORT=$(free_port); done
  mkdir -p "$WORK/ne-textfile"
  NE_VERSION=$("$NODE_EXPORTER" --version 2>&1 | head -1)
  "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NE_PORT" \
    --collector.textfile.directory="$WORK/ne-textfile" >"$WORK/d-nodeexp.log" 2>&1 &
  DPID[nodeexp]=$!
  BENCH_PIDS+=("$!")
  DAEMONS+=(nodeexp)
else
  log "no $NODE_EXPORTER: measuring without node_exporter"
fi
# scrape every SCRAPE s: the metr daemon's /metrics and node_exporter's
# (size of each response, or "fail", one line a scrape)
scrape_loop() {
  local url=$1 out=$2 n
  while :; do
    n=$(curl -sf --max-time 4 -o /dev/null -w '%{size_download}' "$url" 2>/dev/null) || n=fail
    echo "$n" >>"$out"
    sleep "$SCRAPE"
  done
}
need_tools curl
SCRAPE_PIDS=()
if command -v curl >/dev/null 2>&1; then
  scrape_loop "http://127.0.0.1:$METR_PORT/metrics" "$WORK/scrape-metr.txt" &
  SCRAPE_PIDS+=("$!")
  BENCH_PIDS+=("$!")
  if [ -n "$NE_PORT" ]; then
    scrape_loop "http://127.0.0.1:$NE_PORT/metrics" "$WORK/scrape-nodeexp.txt" &
    SCRAPE_PIDS+=("$!")
    BENCH_PIDS+=("$!")
  fi
else
  log "no curl: nothing scrapes the metr daemon or node_exporter"
fi
DAEMON_PID=${DPID[rec]}
REC_DIR=$WORK/d-rec/record
sleep "$DAEMON_SETTLE"
for d in "${DAEMONS[@]}"; do
  kill -0 "${DPID[$d]}" 2>/dev/null || { log "daemon $d exited:"; cat "$WORK/d-$d.log" >&2; exit 1; }
done

# ---- 3. synthesised recordings ----------------------------------------------
REC7=$WORK/rec7d REC1=$WORK/rec1d
RECGEN7= RECGEN1=
if [ "$RECGEN" = 1 ]; then
  log "bench/recgen: a 7-day and a 1-day recording (300 processes, 5 s samples; about 25 s)"
  go build -o "$WORK/recgen" ./bench/recgen
  RECGEN7=$("$WORK/recgen" --dir "$REC7" --days 7 2>&1) || { log "recgen failed: $RECGEN7"; RECGEN=0; }
fi
if [ "$RECGEN" = 1 ]; then
  RECGEN1=$("$WORK/recgen" --dir "$REC1" --days 1 --seed 2 2>&1) || { log "recgen failed: $RECGEN1"; RECGEN=0; }
  "$BIN" record info --record "$REC7" --json >"$WORK/rec7d.json" 2>/dev/null || true
  "$BIN" record info --record "$REC1" --json >"$WORK/rec1d.json" 2>/dev/null || true
fi

# ---- 4. Go benchmarks -------------------------------------------------------
GOBENCH_RC=0
: >"$WORK/gobench.txt"
if [ "$GO_BENCH" = 1 ]; then
  log "go test -bench $PATTERN -benchmem ./... (about 3 min)"
  if [ "$RECGEN" = 1 ]; then export RECORD_BENCH_DIR=$REC7; fi
  go test -run '^$' -bench "$PATTERN" -benchmem -count=1 ./... >"$WORK/gobench.txt" 2>&1 || GOBENCH_RC=$?
  unset RECORD_BENCH_DIR
  [ "$GOBENCH_RC" = 0 ] || log "go test -bench exited $GOBENCH_RC (failures are listed in the report)"
fi
# markdown rows: package, benchmark, iterations, time/op, ns/op, B/op, allocs/op, other
awk -v mod="$MODULE/" '
  /^pkg: / { pkg = $2; sub("^" mod, "", pkg) }
  /^Benchmark/ && NF >= 4 {
    name = $1; sub(/-[0-9]+$/, "", name)
    ns = b = a = other = ""
    for (i = 3; i < NF; i += 2) {
      u = $(i + 1); v = $i
      if (u == "ns/op") ns = v
      else if (u == "B/op") b = v
      else if (u == "allocs/op") a = v
      else other = other (other == "" ? "" : ", ") v " " u
    }
    t = ""
    if (ns != "") {
      if (ns >= 1e6) t = sprintf("%.2f ms", ns / 1e6)
      else if (ns >= 1e3) t = sprintf("%.2f µs", ns / 1e3)
      else t = sprintf("%.1f ns", ns)
    }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", pkg, name, $2, t, ns, b, a, other
  }' "$WORK/gobench.txt" >"$WORK/gobench.md"
grep -E '^(--- FAIL|FAIL|panic:|# )' "$WORK/gobench.txt" >"$WORK/gobench.fail" || true
# gb_ns NAME: ns/op of a benchmark (sub-benchmarks as Name/sub); gb_metric NAME UNIT: a reported metric.
gb_ns() { awk -F' [|] ' -v n="$1" '$2 == n { print $5; exit }' "$WORK/gobench.md"; }
gb_metric() {
  awk -F' [|] ' -v n="$1" -v u="$2" '$2 == n {
    o = $8; sub(/ *[|]$/, "", o); k = split(o, a, ", ")
    for (i = 1; i <= k; i++) { split(a[i], f, " "); if (f[2] == u) { print f[1]; exit } } }' "$WORK/gobench.md"
}

# ---- 5. pass 1, the daemons measured around it -----------------------------
snap_daemons() { # TAG: CPU ns of every daemon into NS_TAG_name
  local d v
  for d in "${DAEMONS[@]}"; do
    v=$(sched_ns "${DPID[$d]}" || true)
    printf -v "NS_${1}_$d" '%s' "${v:-NA}"
  done
}
rss_daemons() { # TAG: VmRSS, RssAnon, VmHWM of every daemon into RSS_/ANON_/HWM_TAG_name
  local d
  for d in "${DAEMONS[@]}"; do
    printf -v "RSS_${1}_$d" '%s' "$(status_kb "${DPID[$d]}" VmRSS || echo NA)"
    printf -v "ANON_${1}_$d" '%s' "$(status_kb "${DPID[$d]}" RssAnon || echo NA)"
    printf -v "HWM_${1}_$d" '%s' "$(status_kb "${DPID[$d]}" VmHWM || echo NA)"
  done
}
for d in "${DAEMONS[@]}"; do
  kill -0 "${DPID[$d]}" 2>/dev/null || { log "daemon $d exited:"; tail -5 "$WORK/d-$d.log" >&2; exit 1; }
done
D_T0=$(now_s)
D_K0=$(proc_ticks "$DAEMON_PID")
snap_daemons p1a

PROCS_BASE=$(proc_count)
log "pass 1: ${PROGS[*]} with $PROCS_BASE processes, ${DURATION}s each"
run_monitors "$WORK/mc-base.txt"

D_T1=$(now_s)
D_K1=$(proc_ticks "$DAEMON_PID" || true)
snap_daemons p1b
rss_daemons p1
"$BIN" record info --record "$REC_DIR" --json >"$WORK/rec-p1.json" 2>/dev/null || true
D_RSS=${RSS_p1_rec:-NA} D_HWM=${HWM_p1_rec:-NA} D_ANON=${ANON_p1_rec:-NA}
D_FILE=$(status_kb "$DAEMON_PID" RssFile || true)
D_SECS=$(awk -v a="$D_T0" -v b="$D_T1" 'BEGIN{printf "%.1f", b-a}')
if [ -n "$D_K1" ]; then
  D_TICKS=$((D_K1 - D_K0))
  D_PCT=$(cpu_pct "$D_TICKS" "$D_SECS")
else
  log "the daemon exited during the measurement:"; tail -5 "$WORK/d-rec.log" >&2
  D_TICKS=NA D_PCT=NA
fi

# ---- 6. pass 2 with sleepers, pprof capture of a console alongside ----------
log "starting $SLEEPERS sleeping processes"
start_sleepers "$SLEEPERS"
sleep 1
PROF_PID=
if [ "$have_tmux" = 1 ]; then
  tmux -L "$PSOCK" -u new-session -d -s prof -x 200 -y 50 -e LANG=C.UTF-8 -e TERM=tmux-256color \
    -e XDG_STATE_HOME="$WORK/xdg-prof"
  tmux -L "$PSOCK" send-keys -t prof "exec $BIN --cpuprofile $WORK/cpu.prof --memprofile $WORK/mem.prof" Enter
  sleep 0.5
  PROF_PID=$(tmux -L "$PSOCK" display-message -p -t prof '#{pane_pid}')
fi
PROCS_SLEEP=$(proc_count)
D2_T0=$(now_s)
snap_daemons p2a
log "pass 2: ${PROGS[*]} with $PROCS_SLEEP processes, ${DURATION}s each"
run_monitors "$WORK/mc-sleep.txt"
D2_T1=$(now_s)
snap_daemons p2b
rss_daemons p2
"$BIN" record info --record "$REC_DIR" --json >"$WORK/rec-p2.json" 2>/dev/null || true
C_ANON=NA C_FILE=NA C_HWM=NA
if [ -n "$PROF_PID" ]; then
  C_ANON=$(status_kb "$PROF_PID" RssAnon || echo NA)
  C_FILE=$(status_kb "$PROF_PID" RssFile || echo NA)
  C_HWM=$(status_kb "$PROF_PID" VmHWM || echo NA)
  tmux -L "$PSOCK" send-keys -t prof q
  for ((i = 0; i < 100; i++)); do kill -0 "$PROF_PID" 2>/dev/null || break; sleep 0.1; done
  tmux -L "$PSOCK" kill-session -t prof >/dev/null 2>&1 || true
fi
D_END=$(now_s)
for p in "${SCRAPE_PIDS[@]}"; do stop_pid "$p"; done
for d in "${DAEMONS[@]}"; do stop_pid "${DPID[$d]}"; done
stop_pid "$FXA_PID"
stop_pid "$FXB_PID"
stop_sleepers
"$BIN" record info --record "$REC_DIR" --json >"$WORK/rec-end.json" 2>/dev/null || true
FIXTURE_STATS=$(sed -n 's/.*msg="fixture endpoint stopped" //p' "$WORK/fixture.log" | tail -1)
D_ERRORS=$(grep -c 'level=ERROR' "$WORK/d-rec.log" || true)
D_ALL_ERRORS=$(cat "$WORK"/d-*.log | grep -c 'level=ERROR' || true)

# ---- 7. console start on the 7-day recording; dump's memory -----------------
# console_start NAME STATE_DIR XDG: the console in a 200x50 tmux; sets
# CS_FRAME_name (s from its exec to the first frame with the process table),
# CS_TOOK_name (ms, "history filled from the recording ... took") and
# CS_POINTS_name.
console_start() {
  local name=$1 sd=$2 xdg=$3 pid st seen="" i took pts
  local logf=$WORK/console-$name.log
  mkdir -p "$sd" "$xdg"
  tmux -L "$PSOCK" -u new-session -d -s "cs-$name" -x 200 -y 50 -e LANG=C.UTF-8 -e TERM=tmux-256color \
    -e XDG_STATE_HOME="$xdg" "exec $BIN --state-dir $sd --log-file $logf"
  pid=$(tmux -L "$PSOCK" display-message -p -t "cs-$name" '#{pane_pid}')
  st=$(proc_start_s "$pid" || true)
  for ((i = 0; i < 1000; i++)); do
    if tmux -L "$PSOCK" capture-pane -p -t "cs-$name" 2>/dev/null | grep -q 'Processes'; then
      seen=$(uptime_s)
      break
    fi
    sleep 0.01
  done
  sleep 1
  tmux -L "$PSOCK" send-keys -t "cs-$name" q
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  tmux -L "$PSOCK" kill-session -t "cs-$name" >/dev/null 2>&1 || true
  printf -v "CS_FRAME_$name" '%s' "$(awk -v a="$st" -v b="$seen" 'BEGIN{ if (a != "" && b != "") printf "%.2f", b-a; else print "NA" }')"
  touch "$logf"
  took=$(sed -n 's/.*history filled from the recording.* took=\([0-9.]*[µm]*s\).*/\1/p' "$logf" | head -1)
  pts=$(sed -n 's/.*history filled from the recording.* points=\([0-9]*\).*/\1/p' "$logf" | head -1)
  printf -v "CS_TOOK_$name" '%s' "$(awk -v t="$took" 'BEGIN{
    if (t ~ /ms$/) { sub(/ms$/, "", t); print t+0 } else if (t ~ /µs$/) { sub(/µs$/, "", t); printf "%.3f", t/1000 }
    else if (t ~ /s$/) { sub(/s$/, "", t); print t*1000 } else print "NA" }')"
  printf -v "CS_POINTS_$name" '%s' "${pts:-NA}"
  printf -v "CS_READ_$name" '%s' "$(grep -c "reading the daemon's recording" "$logf" || true)"
}
CS_FRAME_week=NA CS_TOOK_week=NA CS_POINTS_week=NA CS_READ_week=0 CS_FRAME_none=NA
if [ "$have_tmux" = 1 ] && [ "$RECGEN" = 1 ] && command -v flock >/dev/null 2>&1; then
  log "console start: on the 7-day recording as a daemon's, and with no recording"
  # The recording as a running daemon's: its writer lock held (flock(2), as
  # record's writer takes it), the console only reads it.
  mkdir -p "$WORK/cs-week"
  ln -s "$REC7" "$WORK/cs-week/record"
  flock -n "$REC7/writer.lock" sleep 600 &
  FLOCK_PID=$!
  sleep 0.2
  console_start week "$WORK/cs-week" "$WORK/xdg-cs-week"
  stop_pid "$FLOCK_PID"
  FLOCK_PID=
  console_start none "$WORK/cs-none" "$WORK/xdg-cs-none"
fi

# dump_mem NAME REC: `virgo-top dump --what host` over the whole recording;
# sets DM_SECS_name, DM_RSS_name (max RSS, KiB), DM_LIVE_name (max live heap
# after a GC, MB, gctrace) and DM_BYTES_name (output bytes).
dump_mem() {
  local name=$1 rec=$2 pid hwm=NA v t0 t1
  t0=$(now_s)
  if [ -x /usr/bin/time ]; then
    GODEBUG=gctrace=1 /usr/bin/time -f '%M' -o "$WORK/dump-$name.time" \
      "$BIN" dump --record "$rec" --what host --format ndjson 2>"$WORK/dump-$name.gc" | wc -c >"$WORK/dump-$name.bytes" || true
    hwm=$(tail -1 "$WORK/dump-$name.time" 2>/dev/null || echo NA)
  else
    GODEBUG=gctrace=1 "$BIN" dump --record "$rec" --what host --format ndjson >"$WORK/dump-$name.out" 2>"$WORK/dump-$name.gc" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      v=$(status_kb "$pid" VmHWM || true)
      [ -z "$v" ] || hwm=$v
      sleep 0.1
    done
    wait "$pid" || true
    wc -c <"$WORK/dump-$name.out" >"$WORK/dump-$name.bytes"
    rm -f "$WORK/dump-$name.out"
  fi
  t1=$(now_s)
  printf -v "DM_SECS_$name" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')"
  printf -v "DM_RSS_$name" '%s' "$hwm"
  printf -v "DM_LIVE_$name" '%s' "$(awk '/^gc / { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+->[0-9]+->[0-9]+$/) { split($i, b, "->"); if (b[3] + 0 > m) m = b[3] + 0 } } END { print m + 0 }' "$WORK/dump-$name.gc")"
  printf -v "DM_BYTES_$name" '%s' "$(tr -d ' ' <"$WORK/dump-$name.bytes")"
}
DM_SECS_day=NA DM_RSS_day=NA DM_LIVE_day=NA DM_BYTES_day=NA DM_SECS_week=NA DM_RSS_week=NA DM_LIVE_week=NA DM_BYTES_week=NA
if [ "$RECGEN" = 1 ]; then
  log "virgo-top dump --what host over the 1-day and the 7-day recording (about 25 s)"
  dump_mem day "$REC1"
  dump_mem week "$REC7"
fi
LOAD_END=$(loadavg)

pprof_top() { # PROFILE [ARGS]
  local f=$1
  shift
  if [ -s "$f" ]; then
    go tool pprof -top -nodecount=15 "$@" "$f" 2>/dev/null
  else
    echo "(no profile written)"
  fi
}
PPROF_CPU=$(pprof_top "$WORK/cpu.prof")
PPROF_CUM=$(pprof_top "$WORK/cpu.prof" -cum | sed -n '/flat%/,$p')
PPROF_MEM=$(pprof_top "$WORK/mem.prof" -sample_index=alloc_space)

# The prof daemon's CPU profile, split: pprof_ms PROFILE FOCUS [SHOW_FROM]
# is the CPU ms of the samples with a frame matching FOCUS (and SHOW_FROM).
DPROF=$WORK/daemon-cpu.prof
pprof_ms() {
  local out
  [ -s "$1" ] || { echo NA; return; }
  out=$(go tool pprof -top -unit=ms -nodecount=100000 -nodefraction=0 -focus="$2" ${3:+-show_from="$3"} "$1" 2>&1 || true)
  awk '/^Showing nodes accounting for/ { v = $5; sub(/,$/, "", v)
         if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v + 0; found = 1 }
       END { if (!found) print 0 }' <<<"$out"
}
DP_TOTAL=$(pprof_ms "$DPROF" .)
DP_DUR=$( { [ -s "$DPROF" ] && go tool pprof -top -nodecount=1 "$DPROF" 2>/dev/null; } | sed -n 's/^Duration: \([0-9.]*\)s.*/\1/p' | head -1 || true)
DP_DUR=${DP_DUR:-NA}
DP_SAMPLE=$(pprof_ms "$DPROF" 'collector\.\(\*Sampler\)\.SampleAt$')
DP_SCAN=$(pprof_ms "$DPROF" 'collector\.\(\*processSource\)\.scan$')
DP_REC=$(pprof_ms "$DPROF" 'virgo-top/record\.')
DP_WRITE=$(pprof_ms "$DPROF" 'record\.\(\*wstate\)\.write$')
DP_FSYNC=$(pprof_ms "$DPROF" 'record\.\(\*wstate\)\.write$' 'os\.\(\*File\)\.Sync$')
DP_GC=$(pprof_ms "$DPROF" 'runtime\.gcBgMarkWorker$')
DP_TLS=$(pprof_ms "$DPROF" 'crypto/tls\.')
PPROF_DCUM=$(pprof_top "$DPROF" -cum | sed -n '/flat%/,$p')
PPROF_DREC=$( { [ -s "$DPROF" ] && go tool pprof -top -cum -nodecount=12 -focus='virgo-top/record\.' "$DPROF" 2>/dev/null; } | sed -n '/flat%/,$p' || true)

# ---- 5. report --------------------------------------------------------------
mc() { # FILE PROG COLUMN(2 rss 3 hwm 4 cpu_s 5 pct)
  awk -v p="$2" -v c="$3" '$1==p{print $c; found=1} END{if(!found) print "NA"}' "$1" 2>/dev/null || echo NA
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f×", a/b; else print "n/a" }'; }
# le A B: "yes" when A <= B (both numbers)
le() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) print (a+0 <= b+0) ? "yes" : "no"; else print "unknown" }'; }
verdict() { case "$1" in yes) echo "**met**" ;; no) echo "**not met**" ;; *) echo "not measured" ;; esac; }

table_rows() { # FILE LABEL
  local f=$1 label=$2 p rss hwm cs pct
  local hp bp hr br
  hp=$(mc "$f" htop 5); bp=$(mc "$f" btop 5); hr=$(mc "$f" htop 3); br=$(mc "$f" btop 3)
  for p in "${PROGS[@]}"; do
    rss=$(mc "$f" "$p" 2); hwm=$(mc "$f" "$p" 3); cs=$(mc "$f" "$p" 4); pct=$(mc "$f" "$p" 5)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$p" \
      "$(kb_mib "$rss")" "$(kb_mib "$hwm")" "$cs" "$pct" \
      "$(ratio "$pct" "$hp")" "$(ratio "$pct" "$bp")" "$(ratio "$hwm" "$hr")" "$(ratio "$hwm" "$br")"
  done
}

VT_PCT0=$(mc "$WORK/mc-base.txt" virgo-top 5)
VT_PCT1=$(mc "$WORK/mc-sleep.txt" virgo-top 5)
HT_PCT0=$(mc "$WORK/mc-base.txt" htop 5)
HT_PCT1=$(mc "$WORK/mc-sleep.txt" htop 5)
BT_PCT0=$(mc "$WORK/mc-base.txt" btop 5)
BT_PCT1=$(mc "$WORK/mc-sleep.txt" btop 5)
VT_HWM=$(awk -v a="$(mc "$WORK/mc-base.txt" virgo-top 3)" -v b="$(mc "$WORK/mc-sleep.txt" virgo-top 3)" \
  'BEGIN{ m = "NA"; if (a ~ /^[0-9]+$/) m = a; if (b ~ /^[0-9]+$/ && (m == "NA" || b+0 > m+0)) m = b; print m }')
VIEW_NS=$(awk -F' [|] ' '$2 == "BenchmarkView" {print $5; exit}' "$WORK/gobench.md")
VIEW_OK=$(le "${VIEW_NS:-NA}" 1000000)
[ -n "$VIEW_NS" ] && VIEW_MEAS="$(awk -v n="$VIEW_NS" 'BEGIN{printf "%.3f ms", n/1e6}')" || VIEW_MEAS="no BenchmarkView"

tools_versions() {
  local t
  for t in htop btop tmux; do
    if command -v "$t" >/dev/null 2>&1; then
      case "$t" in
        tmux) printf -- '- %s\n' "$(tmux -V)" ;;
        *) printf -- '- %s\n' "$("$t" --version 2>/dev/null | head -1)" ;;
      esac
    else
      printf -- '- %s: not installed\n' "$t"
    fi
  done
}

# ---- the Recording section's figures ----------------------------------------
num() { [[ "$1" =~ ^-?[0-9.]+([eE][-+]?[0-9]+)?$ ]]; }
# sub A B: A - B with 3 decimals (NA unless both numbers)
sub() {
  if [[ "$1" =~ ^-?[0-9]+$ && "$2" =~ ^-?[0-9]+$ ]]; then echo $(($1 - $2))
  elif num "$1" && num "$2"; then awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'
  else echo NA; fi
}
# fmtn D X: X with D decimals (NA stays)
fmtn() { if num "$2"; then awk -v v="$2" -v d="$1" 'BEGIN{printf "%." d "f", v}'; else echo NA; fi; }
# ns_ms NS: nanoseconds as ms, 1 decimal; ns_pct5 NS: one op every 5 s as % of a core
ns_ms() { if num "$1"; then awk -v n="$1" 'BEGIN{printf "%.1f", n/1e6}'; else echo NA; fi; }
ns_pct5() { if num "$1"; then awk -v n="$1" 'BEGIN{printf "%.4f", n/5e9*100}'; else echo NA; fi; }
ms_pct() { if num "$1" && num "$2"; then awk -v m="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.4f", m/1000/s*100; else print "NA" }'; else echo NA; fi; }
share() { if num "$1" && num "$2"; then awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.0f %%", 100*a/b; else print "NA" }'; else echo NA; fi; }
per_day() { if num "$1"; then awk -v b="$1" 'BEGIN{printf "%.1f", b*17280/1e6}'; else echo NA; fi; } # B/sample at 5 s -> MB/day

P1_SECS=$(awk -v a="$D_T0" -v b="$D_T1" 'BEGIN{printf "%.1f", b-a}')
P2_SECS=$(awk -v a="$D2_T0" -v b="$D2_T1" 'BEGIN{printf "%.1f", b-a}')
for d in "${DAEMONS[@]}"; do
  for p in 1 2; do
    a="NS_p${p}a_$d" b="NS_p${p}b_$d" secs="P${p}_SECS"
    if num "${!a}" && num "${!b}"; then
      printf -v "PCT${p}_$d" '%s' "$(pct_ns "$((${!b} - ${!a}))" "${!secs}")"
    else
      printf -v "PCT${p}_$d" NA
    fi
  done
done
for p in 1 2; do
  n="PCT${p}_norec" sc="PCT${p}_scan" r="PCT${p}_rec"
  printf -v "SCANCOST$p" '%s' "$(sub "${!sc}" "${!n}")"
  printf -v "RECCOST$p" '%s' "$(sub "${!r}" "${!n}")"
  printf -v "BEYOND$p" '%s' "$(sub "${!r}" "${!sc}")"
done

# the rec daemon's recording: whole run, and pass 2 alone (blocks written during it)
R_BYTES=$(json_num "$WORK/rec-end.json" bytes) R_SAMPLES=$(json_num "$WORK/rec-end.json" samples)
R_SPAN=$(json_num "$WORK/rec-end.json" duration_s) R_BPS=$(json_num "$WORK/rec-end.json" bytes_per_sample)
R_BLOCKS=$(json_num "$WORK/rec-end.json" blocks)
R2_BYTES=$(sub "$(json_num "$WORK/rec-p2.json" bytes)" "$(json_num "$WORK/rec-p1.json" bytes)")
R2_SAMPLES=$(sub "$(json_num "$WORK/rec-p2.json" samples)" "$(json_num "$WORK/rec-p1.json" samples)")
R2_BPS=$(if num "$R2_BYTES" && num "$R2_SAMPLES" && awk -v n="$R2_SAMPLES" 'BEGIN{exit !(n > 0)}'; then
  awk -v b="$R2_BYTES" -v n="$R2_SAMPLES" 'BEGIN{printf "%.0f", b/n}'; else echo NA; fi)
G7_BYTES=$(json_num "$WORK/rec7d.json" bytes) G7_SAMPLES=$(json_num "$WORK/rec7d.json" samples)
G7_BPS=$(json_num "$WORK/rec7d.json" bytes_per_sample)
G1_BYTES=$(json_num "$WORK/rec1d.json" bytes) G1_SAMPLES=$(json_num "$WORK/rec1d.json" samples)
G1_BPS=$(json_num "$WORK/rec1d.json" bytes_per_sample)
G7_MBD=$(per_day "$G7_BPS")

# per operation, from the Go benchmarks
B_SCAN=$(gb_ns BenchmarkProcessScanLive) B_SCAN_PROCS=$(gb_metric BenchmarkProcessScanLive procs)
B_ENC=$(gb_ns BenchmarkEncode/encode) B_ENCW=$(gb_ns BenchmarkEncode/encode+write)
B_WRITE=$(sub "$B_ENCW" "$B_ENC")
B_ENC_BPS=$(gb_metric BenchmarkEncode/encode+write B/sample) B_ENC_MBD=$(gb_metric BenchmarkEncode/encode+write MB/day)
B_ENC1=$(gb_ns BenchmarkEncode/1s-samples/encode)
B_ENC1_BPS=$(gb_metric BenchmarkEncode/1s-samples/encode B/sample) B_ENC1_MBD=$(gb_metric BenchmarkEncode/1s-samples/encode MB/day)
B_HEAP=$(gb_metric BenchmarkWriterMemory heap-KiB)
B_SEEK=$(gb_ns BenchmarkSeek7d) B_PREV=$(gb_ns BenchmarkPrevTransition)
B_TRENDS=$(gb_ns BenchmarkTrends24h) B_TRENDS_PTS=$(gb_metric BenchmarkTrends24h points)
B_RH=$(gb_ns BenchmarkRangeLastHour) B_RH_HEAP=$(gb_metric BenchmarkRangeLastHour peak-heap-MiB) B_RH_N=$(gb_metric BenchmarkRangeLastHour frames)
B_RD=$(gb_ns BenchmarkRangeLastDay) B_RD_HEAP=$(gb_metric BenchmarkRangeLastDay peak-heap-MiB) B_RD_N=$(gb_metric BenchmarkRangeLastDay frames)
B_INFO=$(gb_ns BenchmarkInfo7d) B_INFO_MB=$(gb_metric BenchmarkInfo7d MB)
B_WEEK_SRC="the bench/recgen recording above"
[ "$RECGEN" = 1 ] || B_WEEK_SRC="a 7-day recording the benchmarks synthesise"

# goals
GOAL_DISK=$(le "$G7_MBD" 30)
GOAL_CPU1=$(le "$BEYOND1" 0.03)
GOAL_CPU2=$(le "$BEYOND2" 0.03)
GOAL_SEEK=$(le "$(ns_ms "$B_SEEK")" 100)
GOAL_START=$(le "$CS_TOOK_week" 300)
GOAL_MEM=unknown
if num "$DM_LIVE_day" && num "$DM_LIVE_week"; then
  GOAL_MEM=$(le "$DM_LIVE_week" "$((DM_LIVE_day + 1))")
fi

# scrapes FILE: "ok / failed | mean bytes" of a scrape_loop's lines
scrapes() {
  if [ ! -s "$1" ]; then echo "NA | NA"; return; fi
  awk '$1 == "fail" { f++; next } { n++; b += $1 } END { printf "%d / %d | %s", n, f, (n ? sprintf("%.0f", b / n) : "NA") }' "$1"
}

T_END=$(date +%s)
NEW=$WORK/BENCHMARKS.md
{
  cat <<EOF
# virgo-top benchmarks

Regenerate with \`make bench\` (or \`bash bench/run.sh\`; 30 s per program as issue 8 measures,
\`BENCH_DURATION=60 make bench\` for finer CPU figures). Generated $STARTED in $((T_END - T_START)) s.

## Machine

$(machine_summary)
- processes at the start: $PROCS_BASE; load average at start / end: $LOAD_START / $LOAD_END
$(tools_versions)
- virgo-top binary: $BIN_SIZE KiB (\`make build\`: CGO off, -trimpath, -ldflags '-s -w', the Makefile's TAGS and GCFLAGS; per package: Binary size)

CPU figures are noisy: this is a shared 2-core machine where other work (tests, builds) runs at
the same time. Only the ratios from one run mean much; htop, btop and virgo-top are measured one
after another in the same run for that reason, each at a 1 s refresh in a 200x50 tmux.

## Commands

\`\`\`sh
go test -run '^\$' -bench '$PATTERN' -benchmem -count=1 ./...
make build BIN=\$TMP/virgo-top   # CGO_ENABLED=0 go build -trimpath -tags nethttpomithttp2 -gcflags=PKG=-l... -ldflags '-s -w'
DURATION=$DURATION SETTLE=$SETTLE VIRGO_TOP_CMD="env XDG_STATE_HOME=\$TMP/xdg \$TMP/virgo-top" ../shared/tools/monitor-cost htop btop virgo-top
# the same with $SLEEPERS extra \`sleep\` processes running
virgo-top fixture-server --listen 127.0.0.1:0 --ca-out \$TMP/ca.pem --record \$TMP/record.jsonl   # fixture A
go run ./bench/fixsched --process virgo-top --period 300 >sched.json     # A's checks + an agent.process check
virgo-top fixture-server --listen 127.0.0.1:0 --ca-out \$TMP/fxb/ca.pem --schedule sched.json     # fixture B
virgo-top --daemon --endpoint A --ca-file … --agent-id bench-rec --token … --state-dir \$TMP/d-rec   # rec (records)
#   norec: the same with --no-record; prof: rec with --cpuprofile; scan: --no-record against fixture B
#   metr: rec with --metrics-listen 127.0.0.1:PORT; both scraped every ${SCRAPE} s: curl -sf http://127.0.0.1:PORT/metrics
prometheus-node-exporter --web.listen-address=127.0.0.1:PORT2 --collector.textfile.directory=\$TMP/ne-textfile
bash bench/size.sh   # the Binary size section
virgo-top --cpuprofile cpu.prof --memprofile mem.prof   # in tmux, quit with q
go tool pprof -top -nodecount=15 [-cum] cpu.prof; go tool pprof -top -nodecount=15 -sample_index=alloc_space mem.prof
go run ./bench/recgen --dir \$TMP/rec7d --days 7; go run ./bench/recgen --dir \$TMP/rec1d --days 1 --seed 2
RECORD_BENCH_DIR=\$TMP/rec7d go test -run '^\$' -bench . ./record   # part of the first line
virgo-top record info --record DIR --json
flock -n \$TMP/rec7d/writer.lock sleep 600 &   # the 7-day recording as a running daemon's
XDG_STATE_HOME=\$TMP/xdg virgo-top --state-dir \$TMP/cs-week --log-file console.log   # cs-week/record -> rec7d
GODEBUG=gctrace=1 /usr/bin/time -f %M virgo-top dump --record \$TMP/rec1d --what host >/dev/null   # and rec7d
\`\`\`

## Whole process: console beside htop and btop

${DURATION} s measured per program after ${SETTLE} s of start-up; CPU in % of one core; HWM is
VmHWM (peak RSS); MiB = 1024 KiB. Ratios are virgo-top's (or each program's) figure divided by
htop's or btop's from the same pass.

| pass | program | RSS MiB | HWM MiB | CPU s | CPU % | CPU vs htop | CPU vs btop | HWM vs htop | HWM vs btop |
|---|---|---|---|---|---|---|---|---|---|
$(table_rows "$WORK/mc-base.txt" "$PROCS_BASE processes")
$(table_rows "$WORK/mc-sleep.txt" "+$SLEEPERS sleeping ($PROCS_SLEEP)")

During both passes four daemons and two fixture servers (below) were running too; during the
second, a profiled console (pprof, below) was. They are present for all three programs alike.
Every console records its own session (its own \`XDG_STATE_HOME\`), as a user's console does.

## Daemon

\`virgo-top --daemon\` as it is by default (so recording: the rec daemon of the Recording section)
reporting to a separate \`virgo-top fixture-server\` process (its default check schedule, served to
this daemon and two of its twins), measured over pass 1 (${D_SECS} s; it started before the Go
benchmarks), from /proc/PID/stat (utime+stime, ${TCK} ticks/s: one tick over ${D_SECS} s is
$(cpu_pct 1 "$D_SECS") %) and /proc/PID/status.

| RSS MiB | HWM MiB | of which anonymous | of which file-backed | CPU s | CPU % | errors logged |
|---|---|---|---|---|---|---|
| $(kb_mib "${D_RSS:-NA}") | $(kb_mib "${D_HWM:-NA}") | $(kb_mib "${D_ANON:-NA}") | $(kb_mib "${D_FILE:-NA}") | $(awk -v t="$D_TICKS" -v k="$TCK" 'BEGIN{ if (t ~ /^[0-9]+$/) printf "%.2f", t/k; else print "NA" }') | $D_PCT | $D_ERRORS |

Fixture server A (four daemons) at shutdown: \`${FIXTURE_STATS:-no stats line}\`

### Beside node_exporter (issue 16)

In the same run: the metr daemon (rec plus \`--metrics-listen\`, its /metrics scraped every
${SCRAPE} s: the daemon's sample interval) and ${NE_VERSION} (Debian's default collectors, on
loopback, scraped every ${SCRAPE} s by the same curl loop). CPU from /proc/PID/task/*/schedstat
over each pass ($P1_SECS s and $P2_SECS s); memory at the end of pass 2.

| process | CPU % pass 1 | CPU % pass 2 | RSS MiB | HWM MiB | anonymous MiB | scrapes ok / failed | bytes a scrape |
|---|---|---|---|---|---|---|---|
| rec (no /metrics) | ${PCT1_rec} | ${PCT2_rec} | $(kb_mib "$RSS_p2_rec") | $(kb_mib "$HWM_p2_rec") | $(kb_mib "$ANON_p2_rec") | - | - |
| metr (rec + /metrics) | ${PCT1_metr} | ${PCT2_metr} | $(kb_mib "$RSS_p2_metr") | $(kb_mib "$HWM_p2_metr") | $(kb_mib "$ANON_p2_metr") | $(scrapes "$WORK/scrape-metr.txt") |
| node_exporter | ${PCT1_nodeexp:-NA} | ${PCT2_nodeexp:-NA} | $(kb_mib "${RSS_p2_nodeexp:-NA}") | $(kb_mib "${HWM_p2_nodeexp:-NA}") | $(kb_mib "${ANON_p2_nodeexp:-NA}") | $(scrapes "$WORK/scrape-nodeexp.txt") |
| metr / node_exporter | $(ratio "${PCT1_metr}" "${PCT1_nodeexp:-NA}") | $(ratio "${PCT2_metr}" "${PCT2_nodeexp:-NA}") | $(ratio "${RSS_p2_metr}" "${RSS_p2_nodeexp:-NA}") | $(ratio "${HWM_p2_metr}" "${HWM_p2_nodeexp:-NA}") | | | |

## Goals (issue 8)

| goal | measured | verdict |
|---|---|---|
| console CPU <= htop's | ${VT_PCT0} % vs ${HT_PCT0} % ($(ratio "$VT_PCT0" "$HT_PCT0")) | $(verdict "$(le "$VT_PCT0" "$HT_PCT0")") |
| console CPU <= btop's with $SLEEPERS extra sleeping processes | ${VT_PCT1} % vs ${BT_PCT1} % ($(ratio "$VT_PCT1" "$BT_PCT1")) | $(verdict "$(le "$VT_PCT1" "$BT_PCT1")") |
| console VmHWM <= 10 MiB (both passes) | $(kb_mib "$VT_HWM") MiB | $(verdict "$(le "$VT_HWM" 10240)") |
| daemon RSS <= 8 MiB | $(kb_mib "${D_RSS:-NA}") MiB (HWM $(kb_mib "${D_HWM:-NA}") MiB) | $(verdict "$(le "${D_RSS:-NA}" 8192)") |
| daemon CPU <= 0.1 % of a core | ${D_PCT} % | $(verdict "$(le "$D_PCT" 0.1)") |
| View() at 200x50 with 1,000 processes < 1 ms | ${VIEW_MEAS} | $(verdict "$VIEW_OK") |
| daemon CPU <= node_exporter's, both scraped every ${SCRAPE} s (issue 16) | metr ${PCT1_metr} % vs ${PCT1_nodeexp:-NA} % (pass 1), ${PCT2_metr} % vs ${PCT2_nodeexp:-NA} % (pass 2) | $(verdict "$(le "${PCT1_metr}" "${PCT1_nodeexp:-NA}")") / $(verdict "$(le "${PCT2_metr}" "${PCT2_nodeexp:-NA}")") |
| daemon RSS <= node_exporter's (issue 16) | metr $(kb_mib "$RSS_p2_metr") MiB vs $(kb_mib "${RSS_p2_nodeexp:-NA}") MiB | $(verdict "$(le "${RSS_p2_metr}" "${RSS_p2_nodeexp:-NA}")") |
| stripped binary <= 9000 KB (issue 16) | $BIN_SIZE KiB ($(awk -v k="$BIN_SIZE" 'BEGIN{printf "%.0f", k*1.024}') KB; per package: Binary size) | $(verdict "$(le "$(awk -v k="$BIN_SIZE" 'BEGIN{printf "%.0f", k*1.024}')" 9000)") |

For context, in the same run: console CPU vs btop's without sleepers ${VT_PCT0} % vs ${BT_PCT0} %
($(ratio "$VT_PCT0" "$BT_PCT0")); vs htop's with sleepers ${VT_PCT1} % vs ${HT_PCT1} % ($(ratio "$VT_PCT1" "$HT_PCT1")).

### What holds the CPU goals back

Measured by hand on 2026-11-24 (programs side by side for 180-300 s, utime+stime from
/proc/PID/stat), beyond the 20-30 s passes above whose resolution is one 10 ms tick:

- Console: 0.48 % against htop's 0.41 % (1.19×; btop 0.71 %), down from 0.66 % (1.62×) at the
  start of the day. What is left is mostly the Go runtime's own wake-ups (bubbletea's 10 frames
  a second renderer ticker, sysmon, timers) and the 1 s sample, which reads what htop reads.
  Done: one render per sample instead of three, GOMAXPROCS=1 (futex wake-ups 43/s -> 15/s),
  fewer allocations per frame and per tick.
- Daemon: 0.16-0.18 % against the fixture's lively schedule (six checks every 5-10 s, about one
  post a second, and heartbeats every second as Virgo's fixture asks), down from 0.25 %. The
  same daemon with 10 s heartbeats uses 0.14 %; the rest is the posts themselves (JSON, TLS,
  the spool write) and the 5 s sample. Done: the spool's group commit (no fsync for a post
  acknowledged within a second), counting processes instead of listing them when no
  agent.process check needs the list, GOMAXPROCS=1, and the pinned CA.

### What holds the memory goals back

Resident memory split into anonymous (heap, stacks, runtime) and file-backed (the
$(kb_mib "$BIN_SIZE") MiB binary's own pages), from /proc/PID/status RssAnon and RssFile:

| process | anonymous MiB | file-backed MiB | file-backed share of the binary |
|---|---|---|---|
| daemon (above) | $(kb_mib "${D_ANON:-NA}") | $(kb_mib "${D_FILE:-NA}") | $(awk -v f="${D_FILE:-NA}" -v b="$BIN_SIZE" 'BEGIN{ if (f ~ /^[0-9]+$/ && b > 0) printf "%.0f %%", 100*f/b; else print "NA" }') |
| console (the profiled one, end of pass 2, HWM $(kb_mib "$C_HWM") MiB) | $(kb_mib "$C_ANON") | $(kb_mib "$C_FILE") | $(awk -v f="$C_FILE" -v b="$BIN_SIZE" 'BEGIN{ if (f ~ /^[0-9]+$/ && b > 0) printf "%.0f %%", 100*f/b; else print "NA" }') |

The file-backed part is most of the binary: Go spreads package initialisers over the whole
text, and on this kernel every page fault maps the neighbouring pages of the page cache too, so
start-up alone makes most of the binary resident; dropping the pages after start-up
(MADV_DONTNEED) was tried and they fault back within 30 s. It shrinks only with the binary.
prometheus/client_golang was the largest single part (with protobuf's reflect MethodByName,
which kept every exported method of every reachable type): /metrics is now written by package
metrics itself and the binary went from 16.1 MB to 12.6 MB (issue 16); HTTP/2 left out and
smaller sorts and inlining cuts took it to 11.6 MiB before the endpoint and the fleet view
added 0.5 MiB. What is left is listed per package under "Binary size": .gopclntab (35 %, the
runtime's function tables, proportional to the code), type and string data, TLS/x509 and
net/http; every third-party module together is about 600 KiB.

Against node_exporter the daemon's CPU (above) is what the flight recorder costs: the
daemon profile below spends 36 % of its time in the process table scan (the recording keeps
the processes every `record_process_interval`, 5 s), which node_exporter does not do, and
the rest in the 5 s sample and the posts to the endpoint; /metrics itself adds about
0.06 % of a core (metr vs rec).

## Recording (issue 13)

The flight recorder (package record) runs by default in the daemon (state_dir/record; 7 days,
500 MB) and in a console when no daemon records. The daemon samples every 5 s; the recorder
takes host figures every sample and the process table every \`record_process_interval\` (5 s).

### Disk

| recording | processes | span | samples | bytes | bytes per sample | MB a day at 5 s samples |
|---|---|---|---|---|---|---|
| the rec daemon of this run, whole (\`record info --json\` after it stopped; ${R_BLOCKS:-NA} blocks) | $PROCS_BASE, $PROCS_SLEEP in pass 2 | $(awk -v s="${R_SPAN:-NA}" 'BEGIN{ if (s ~ /^[0-9.]+$/) printf "%.1f min", s/60; else print "NA" }') | ${R_SAMPLES:-NA} | ${R_BYTES:-NA} | $(fmtn 0 "${R_BPS:-NA}") | $(per_day "${R_BPS:-NA}") |
| the same, the blocks written during pass 2 only (no keyframe among them unless one fell due) | $PROCS_SLEEP | ${P2_SECS} s | $R2_SAMPLES | $R2_BYTES | $R2_BPS | $(per_day "$R2_BPS") |
| bench/recgen, 7 days (synthetic host, \`record info\`) | about 300 | 7 d | ${G7_SAMPLES:-NA} | ${G7_BYTES:-NA} | $(fmtn 0 "${G7_BPS:-NA}") | ${G7_MBD} |
| bench/recgen, 1 day (another seed) | about 300 | 1 d | ${G1_SAMPLES:-NA} | ${G1_BYTES:-NA} | $(fmtn 0 "${G1_BPS:-NA}") | $(per_day "${G1_BPS:-NA}") |
| BenchmarkEncode/encode+write (synthetic, 5 s) | about 300 | | | | ${B_ENC_BPS:-NA} | ${B_ENC_MBD:-NA} |
| BenchmarkEncode/1s-samples/encode (a console's 1 s samples; the table every 5 s) | about 300 | | | | ${B_ENC1_BPS:-NA} | ${B_ENC1_MBD:-NA} at 1 s |

recgen: \`${RECGEN7:-not run}\`

### Daemon CPU with recording on and off

Four daemons ran side by side from before the Go benchmarks to the end of pass 2, each reporting
to a fixture server with the same checks (the default schedule): CPU from
/proc/PID/task/*/schedstat (ns) over each pass, RSS at the end of pass 2.

| daemon | what it does | pass 1, $PROCS_BASE processes (${P1_SECS} s): CPU % | pass 2, $PROCS_SLEEP processes (${P2_SECS} s): CPU % | RSS MiB | anonymous MiB | HWM MiB |
|---|---|---|---|---|---|---|
| norec | \`--no-record\`: counts the processes, lists none | ${PCT1_norec} | ${PCT2_norec} | $(kb_mib "$RSS_p2_norec") | $(kb_mib "$ANON_p2_norec") | $(kb_mib "$HWM_p2_norec") |
| scan | \`--no-record\` and an agent.process check (period 300 s, fixture B): lists every process at every 5 s sample, as ProcessesOnDemand off does | ${PCT1_scan} | ${PCT2_scan} | $(kb_mib "$RSS_p2_scan") | $(kb_mib "$ANON_p2_scan") | $(kb_mib "$HWM_p2_scan") |
| rec | the default: lists the processes every 5 s for the recorder and records | ${PCT1_rec} | ${PCT2_rec} | $(kb_mib "$RSS_p2_rec") | $(kb_mib "$ANON_p2_rec") | $(kb_mib "$HWM_p2_rec") |
| prof | rec with \`--cpuprofile\` (below) | ${PCT1_prof} | ${PCT2_prof} | $(kb_mib "$RSS_p2_prof") | $(kb_mib "$ANON_p2_prof") | $(kb_mib "$HWM_p2_prof") |

| difference, in % of a core | pass 1 | pass 2 |
|---|---|---|
| the process scan: scan - norec | ${SCANCOST1} | ${SCANCOST2} |
| recording, all of it: rec - norec | ${RECCOST1} | ${RECCOST2} |
| recording beyond the scan (encode, write, their GC): rec - scan; goal <= 0.03 | ${BEYOND1} | ${BEYOND2} |

RSS with recording on vs off at the end of pass 2: rec $(kb_mib "$RSS_p2_rec") MiB vs norec $(kb_mib "$RSS_p2_norec") MiB (anonymous $(kb_mib "$ANON_p2_rec") vs $(kb_mib "$ANON_p2_norec") MiB); at the end of pass 1 $(kb_mib "$RSS_p1_rec") vs $(kb_mib "$RSS_p1_norec") MiB.

Per operation, from the Go benchmarks below, as % of a core at one operation every 5 s:

| part | per operation | % of a core at one every 5 s |
|---|---|---|
| process scan on this host (collector BenchmarkProcessScanLive, ${B_SCAN_PROCS:-NA} processes) | $(ns_ms "$B_SCAN") ms | $(ns_pct5 "$B_SCAN") |
| encode one sample with its process table (record BenchmarkEncode/encode, synthetic, about 300 processes) | $(awk -v n="${B_ENC:-NA}" 'BEGIN{ if (n ~ /^[0-9.]+$/) printf "%.1f µs", n/1e3; else print "NA" }') | $(ns_pct5 "$B_ENC") |
| write it, without the fsync (encode+write - encode) | $(awk -v n="$B_WRITE" 'BEGIN{ if (n ~ /^-?[0-9.]+$/) printf "%.1f µs", n/1e3; else print "NA" }') | $(ns_pct5 "$B_WRITE") |

The prof daemon's CPU profile over its whole run (${DP_DUR} s: about ${P2_SECS} s of it in pass 2
with $PROCS_SLEEP processes, the rest with about $PROCS_BASE; 100 samples a second, so one sample
is 10 ms):

| part (pprof -focus) | CPU ms | share of the daemon's | % of a core |
|---|---|---|---|
| the whole daemon | ${DP_TOTAL} | 100 % | $(ms_pct "$DP_TOTAL" "$DP_DUR") |
| sampling (collector.(*Sampler).SampleAt) | ${DP_SAMPLE} | $(share "$DP_SAMPLE" "$DP_TOTAL") | $(ms_pct "$DP_SAMPLE" "$DP_DUR") |
| of which the process scan (collector.(*processSource).scan) | ${DP_SCAN} | $(share "$DP_SCAN" "$DP_TOTAL") | $(ms_pct "$DP_SCAN" "$DP_DUR") |
| the recorder (any frame in record.*) | ${DP_REC} | $(share "$DP_REC" "$DP_TOTAL") | $(ms_pct "$DP_REC" "$DP_DUR") |
| of which writing (record.(*wstate).write) | ${DP_WRITE} | $(share "$DP_WRITE" "$DP_TOTAL") | $(ms_pct "$DP_WRITE" "$DP_DUR") |
| of which the fsync of each block | ${DP_FSYNC} | $(share "$DP_FSYNC" "$DP_TOTAL") | $(ms_pct "$DP_FSYNC" "$DP_DUR") |
| of which encoding (the rest of record.*) | $(sub "$DP_REC" "$DP_WRITE") | $(share "$(sub "$DP_REC" "$DP_WRITE")" "$DP_TOTAL") | $(ms_pct "$(sub "$DP_REC" "$DP_WRITE")" "$DP_DUR") |
| the garbage collector's background work (runtime.gcBgMarkWorker), all causes | ${DP_GC} | $(share "$DP_GC" "$DP_TOTAL") | $(ms_pct "$DP_GC" "$DP_DUR") |
| TLS (crypto/tls: the endpoint link), for comparison | ${DP_TLS} | $(share "$DP_TLS" "$DP_TOTAL") | $(ms_pct "$DP_TLS" "$DP_DUR") |

\`go tool pprof -top -cum -nodecount=12 -focus='virgo-top/record\.' daemon-cpu.prof\`:

\`\`\`
${PPROF_DREC:-(no samples in record.*)}
\`\`\`

### Seek and console start

On ${B_WEEK_SRC} (7 days at 5 s, about 300 processes):

| what | measured |
|---|---|
| At a random moment (BenchmarkSeek7d: the console's \`g\`, \`[\`, \`]\`; a fresh Reader) | $(ns_ms "$B_SEEK") ms |
| PrevTransition from the end (BenchmarkPrevTransition: \`!\`) | $(ns_ms "$B_PREV") ms |
| the last 24 h of per-minute trends (BenchmarkTrends24h) | $(ns_ms "$B_TRENDS") ms, ${B_TRENDS_PTS:-NA} points |
| the console's start on it, read as a daemon's recording: "history filled from the recording" took | ${CS_TOOK_week} ms, ${CS_POINTS_week} points (log says it read the daemon's recording: $([ "${CS_READ_week:-0}" -gt 0 ] && echo yes || echo no)) |
| the console's exec to its first frame with the process table, with that recording / with none | ${CS_FRAME_week} s / ${CS_FRAME_none} s |
| every frame of the last hour / day (BenchmarkRangeLastHour / Day) | $(ns_ms "$B_RH") ms for ${B_RH_N:-NA} frames / $(ns_ms "$B_RD") ms for ${B_RD_N:-NA} frames |
| \`record info\` (BenchmarkInfo7d, reads every block) | $(ns_ms "$B_INFO") ms for ${B_INFO_MB:-NA} MB |

### Memory

| what | measured |
|---|---|
| daemon RSS, recording on vs off (end of pass 2, above) | $(kb_mib "$RSS_p2_rec") vs $(kb_mib "$RSS_p2_norec") MiB; anonymous $(kb_mib "$ANON_p2_rec") vs $(kb_mib "$ANON_p2_norec") MiB |
| the writer's heap after an hour at 5 s, 300 processes (BenchmarkWriterMemory) | ${B_HEAP:-NA} KiB |
| peak heap streaming the last hour / the last day (BenchmarkRangeLastHour / Day) | ${B_RH_HEAP:-NA} / ${B_RD_HEAP:-NA} MiB |
| \`virgo-top dump --what host\` over the 1-day recording: time, max RSS, max live heap after a GC (gctrace), output | ${DM_SECS_day} s, $(kb_mib "$DM_RSS_day") MiB, ${DM_LIVE_day} MB, $(awk -v b="$DM_BYTES_day" 'BEGIN{ if (b ~ /^[0-9]+$/) printf "%.0f MB", b/1e6; else print "NA" }') |
| the same over the 7-day recording | ${DM_SECS_week} s, $(kb_mib "$DM_RSS_week") MiB, ${DM_LIVE_week} MB, $(awk -v b="$DM_BYTES_week" 'BEGIN{ if (b ~ /^[0-9]+$/) printf "%.0f MB", b/1e6; else print "NA" }') |

Max RSS of a short Go program is mostly its binary's pages and where the heap stood at the
last GC, so it varies by a few MiB from run to run; the live heap after each GC is the figure
that would grow if reads were not streamed.

### Goals (issue 13)

| goal | measured | verdict |
|---|---|---|
| disk <= 30 MB a day at 5 s samples with 300 processes | ${G7_MBD} MB a day ($(fmtn 0 "${G7_BPS:-NA}") B per sample, recgen 7 days); this host's daemon $(per_day "${R_BPS:-NA}") MB a day | $(verdict "$GOAL_DISK") |
| daemon CPU with recording <= the process scan + 0.03 % of a core, $PROCS_BASE processes | rec - scan = ${BEYOND1} % (scan ${SCANCOST1} %, all of recording ${RECCOST1} %) | $(verdict "$GOAL_CPU1") |
| the same with $PROCS_SLEEP processes | rec - scan = ${BEYOND2} % (scan ${SCANCOST2} %, all of recording ${RECCOST2} %) | $(verdict "$GOAL_CPU2") |
| seek to any moment of 7 days < 100 ms | $(ns_ms "$B_SEEK") ms | $(verdict "$GOAL_SEEK") |
| console start with the last 24 h of trends < 300 ms | ${CS_TOOK_week} ms (BenchmarkTrends24h $(ns_ms "$B_TRENDS") ms) | $(verdict "$GOAL_START") |
| memory does not grow with the recording's length | dump over 7 days vs 1 day: live heap ${DM_LIVE_week} vs ${DM_LIVE_day} MB, max RSS $(kb_mib "$DM_RSS_week") vs $(kb_mib "$DM_RSS_day") MiB | $(verdict "$GOAL_MEM") |

## Go benchmarks

\`go test -run '^\$' -bench '$PATTERN' -benchmem -count=1 ./...\` ($(grep -c . "$WORK/gobench.md" || true) benchmarks$([ "$GO_BENCH" = 1 ] || echo ", skipped: BENCH_GO=0")).

| package | benchmark | iterations | time/op | ns/op | B/op | allocs/op | other |
|---|---|---|---|---|---|---|---|
$(cat "$WORK/gobench.md")
EOF
  if [ -s "$WORK/gobench.fail" ]; then
    printf '\n`go test -bench` exited %s:\n\n```\n%s\n```\n' "$GOBENCH_RC" "$(head -40 "$WORK/gobench.fail")"
  fi
  cat <<EOF

## pprof: the console

\`virgo-top --cpuprofile cpu.prof --memprofile mem.prof\` in a 200x50 tmux for the whole second
pass (about $((3 * (DURATION + SETTLE) + 2)) s, $PROCS_SLEEP processes), quit with \`q\`.

\`go tool pprof -top -nodecount=15 cpu.prof\`:

\`\`\`
$PPROF_CPU
\`\`\`

The same by cumulative time (\`-cum\`), to see where the time above is spent from:

\`\`\`
$PPROF_CUM
\`\`\`

\`go tool pprof -top -nodecount=15 -sample_index=alloc_space mem.prof\`:

\`\`\`
$PPROF_MEM
\`\`\`

## pprof: the daemon

The prof daemon (recording on, \`--cpuprofile daemon-cpu.prof\`) over its whole run, ${DP_DUR} s
(see Recording), stopped with SIGTERM: \`go tool pprof -top -nodecount=15 -cum daemon-cpu.prof\`:

\`\`\`
$PPROF_DCUM
\`\`\`
EOF
  # keep the sections scale.sh and soak.sh wrote, and the measured
  # decisions written by hand (they are always last)
  if [ -f "$OUT" ]; then
    awk '/^## (Scale|Soak|Binary size|Endpoint|Fleet|bubbletea)/ { keep = 1 } keep { print }' "$OUT" | sed '1s/^/\n/'
  fi
} >"$NEW"
cp "$NEW" "$OUT"
log "wrote $OUT"
sed -n '/^## Whole process/,/^## Go benchmarks/p' "$OUT"
