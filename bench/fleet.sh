#!/usr/bin/env bash
# fleet.sh — issue 18's scale figures for `virgo-top fleet` (the target of
# `make bench-fleet`).
#
# For each fleet size in FLEET_SIZES (200 2000): bench/fleetgen writes
# FLEET_SPAN of samples every FLEET_STEP for that many synthetic hosts in
# virgo-top's metric schema (one in 20 stopped 10 minutes before the end:
# DOWN), `promtool tsdb create-blocks-from openmetrics` backfills them into a
# fresh data dir, and /usr/bin/prometheus is started on it (loopback, free
# port, no scrape targets). Then, at an explicit --time (the last sample):
#   - `fleet --once` for the whole table (every host, every column) and for
#     the console's page (--limit 50: the sort and the page in the engine,
#     then the 50 hosts in full), FLEET_RUNS times each: the query time the
#     command reports (median, max) and its max RSS (/usr/bin/time);
#   - the console (tmux 200x50, --refresh 5s) for FLEET_CONSOLE_S seconds:
#     its VmHWM.
# Writes a "## Fleet" section into BENCHMARKS.md (BENCH_OUT; FLEET_RECORD=0
# only prints it).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=${FLEET_SIZES:-"200 2000"}
SPAN=${FLEET_SPAN:-30m}
STEP=${FLEET_STEP:-30s}
RUNS=${FLEET_RUNS:-5}
CONSOLE_S=${FLEET_CONSOLE_S:-20}
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
PROM=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}

for t in "$PROM" "$PROMTOOL"; do
  [ -x "$t" ] || { log "$t is missing: sudo .ci/install-deps installs it"; exit 1; }
done
need_tools tmux

WORK=$(mktemp -d /tmp/virgo-fleet.XXXXXX)
TMUX_SESSION=virgo-fleet-bench-$$
trap 'tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true; bench_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
cd "$BENCH_ROOT"
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
BIN=$WORK/virgo-top
log "building $BIN"
build_binary "$BIN"
(cd "$BENCH_ROOT" && go build -o "$WORK/fleetgen" ./bench/fleetgen)

# median of numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NA" }'; }
maxof() { sort -g | tail -1; }

# ms DURATION: a Go duration (12.3ms, 1.2s) in ms.
ms() { awk -v d="$1" 'BEGIN { if (d ~ /ms$/) { sub(/ms$/, "", d); print d+0 } else if (d ~ /µs$/) { sub(/µs$/, "", d); print d/1000 } else if (d ~ /s$/) { sub(/s$/, "", d); print d*1000 } else print "NA" }'; }

# once URL END ARGS...: one fleet --once run; prints "query_ms rss_kb hosts_printed".
once() {
  local url=$1 end=$2 out
  shift 2
  out=$WORK/once.out
  /usr/bin/time -f '%M' -o "$WORK/time.out" "$BIN" fleet --prometheus "$url" --once --time "$end" "$@" >"$out"
  local took rows
  took=$(sed -n 's/.*queried in \(.*\)$/\1/p' "$out" | tail -1)
  rows=$(($(wc -l <"$out") - 2))
  echo "$(ms "$took") $(tail -1 "$WORK/time.out") $rows"
}

ROWS=()
for n in $SIZES; do
  dir=$WORK/n$n
  mkdir -p "$dir"
  end=$(($(date +%s) - 60))
  log "$n hosts: generating $SPAN every $STEP"
  "$WORK/fleetgen" -hosts "$n" -end "$end" -span "$SPAN" -step "$STEP" >"$dir/fleet.om"
  samples=$(grep -vc '^#' "$dir/fleet.om")
  t0=$(now_s)
  "$PROMTOOL" tsdb create-blocks-from openmetrics "$dir/fleet.om" "$dir/data" >"$dir/promtool.log" 2>&1
  backfill_s=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
  rm -f "$dir/fleet.om"
  printf 'global:\n  scrape_interval: 1m\n' >"$dir/prometheus.yml"
  port=$(free_port)
  "$PROM" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
  BENCH_PIDS+=("$!")
  url=http://127.0.0.1:$port
  for ((i = 0; i < 300; i++)); do
    curl -fs "$url/-/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  series=$(curl -fs "$url/api/v1/query" --data-urlencode "query=count({__name__=~\".+\"})" --data-urlencode "time=$end" | sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)".*/\1/p')
  once "$url" "$end" >/dev/null # warm the engine's caches and the page cache
  for mode in all page; do
    args=()
    [ "$mode" = page ] && args=(--limit 50)
    : >"$dir/$mode.runs"
    for ((r = 0; r < RUNS; r++)); do once "$url" "$end" "${args[@]}" >>"$dir/$mode.runs"; done
    q_med=$(cut -d' ' -f1 "$dir/$mode.runs" | median)
    q_max=$(cut -d' ' -f1 "$dir/$mode.runs" | maxof)
    rss=$(cut -d' ' -f2 "$dir/$mode.runs" | maxof)
    rows=$(cut -d' ' -f3 "$dir/$mode.runs" | maxof)
    log "$n hosts, $mode: query ${q_med} ms (max ${q_max}), RSS ${rss} KiB, ${rows} rows"
    ROWS+=("| $n | $series | $mode ($rows rows) | $q_med | $q_max | $(awk -v k="$rss" 'BEGIN { printf "%.1f", k/1024 }') |")
  done
  # The console at 200x50 against the same engine (now: the fleet is a
  # minute or more old, the hosts are DOWN but listed, every column queried).
  tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
  tmux new-session -d -s "$TMUX_SESSION" -x 200 -y 50 "$BIN fleet --prometheus $url --refresh 5s --lookback 2h"
  sleep "$CONSOLE_S"
  cpid=$(pgrep -P "$(tmux display -p -t "$TMUX_SESSION" '#{pane_pid}')" 2>/dev/null | head -1 || true)
  [ -z "$cpid" ] && cpid=$(tmux display -p -t "$TMUX_SESSION" '#{pane_pid}')
  hwm=$(status_kb "$cpid" VmHWM)
  tmux capture-pane -t "$TMUX_SESSION" -p >"$dir/console.txt" || true
  tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
  log "$n hosts, console: VmHWM ${hwm:-NA} KiB"
  CONSOLE+=("| $n | ${hwm:+$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k/1024 }')} |")
  SAMPLES+=("$n hosts: $samples samples backfilled in ${backfill_s} s")
  bench_cleanup
  cp "$dir/console.txt" "$WORK/console-$n.txt" 2>/dev/null || true
done

SECTION=$WORK/section.md
{
  echo "## Fleet"
  echo
  echo "\`make bench-fleet\` (bench/fleet.sh), $STARTED: \`virgo-top fleet\` against $($PROM --version 2>&1 | head -1 | cut -d' ' -f1-3)"
  echo "on synthetic fleets backfilled with promtool ($SPAN every $STEP; 5 % of the hosts DOWN, 10 % CRITICAL),"
  echo "queried at an explicit --time. Query time is what the command reports for the whole table (all its"
  echo "queries, run concurrently; median and max of $RUNS runs); RSS is the fleet process' max RSS."
  echo "\"page\" is what the console fetches: the sort and a 50-host page in the engine (topk), then those"
  echo "hosts in full."
  echo
  echo "| hosts | series | fetch | query ms (median) | query ms (max) | RSS MiB |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "The console (tmux 200x50, refresh 5 s, ${CONSOLE_S} s):"
  echo
  echo "| hosts | VmHWM MiB |"
  echo "|---|---|"
  printf '%s\n' "${CONSOLE[@]}"
  echo
  printf -- '- %s\n' "${SAMPLES[@]}"
  echo
  machine_summary
} >"$SECTION"
cat "$SECTION"
if [ "${FLEET_RECORD:-1}" = 1 ]; then
  replace_section "$OUT" "Fleet" "$SECTION"
  log "wrote the Fleet section of $OUT"
fi
