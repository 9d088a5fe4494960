# shellcheck shell=bash
# lib.sh — helpers shared by bench/run.sh, bench/soak.sh and bench/scale.sh.
# Sourced, not run. Every process these helpers start is recorded by PID in
# BENCH_PIDS and stopped by bench_cleanup (by PID only).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PIDS=()
SLEEPER_PIDS=()
TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# need_tools TOOL...: install missing tools with apt-get when running as root;
# otherwise say which are missing. Never fails.
need_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1 || true
    fi
  fi
  for t in "${missing[@]}"; do
    command -v "$t" >/dev/null 2>&1 || log "$t is not installed and could not be installed: measuring without it"
  done
}

# build_binary OUT [LDFLAGS]: the release build of the binary (`make build`:
# its flags and tags are the Makefile's; LDFLAGS given replace its -s -w).
build_binary() {
  if [ $# -ge 2 ]; then
    make -s -C "$BENCH_ROOT" build BIN="$1" LDFLAGS="$2" CGO_ENABLED=0 >&2
  else
    make -s -C "$BENCH_ROOT" build BIN="$1" CGO_ENABLED=0 >&2
  fi
}

# proc_ticks PID: utime+stime of PID (all its threads) in clock ticks.
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12+$13}'; }

# status_kb PID KEY: a kB field of /proc/PID/status (VmRSS, VmHWM).
status_kb() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status" 2>/dev/null; }

now_s() { date +%s.%N; }

# sched_ns PID: CPU time of PID's live threads in ns (sum of
# /proc/PID/task/*/schedstat), finer than proc_ticks' 10 ms ticks. A thread
# that has exited is not counted (Go keeps its threads).
sched_ns() { { cat /proc/"$1"/task/*/schedstat 2>/dev/null || true; } | awk '{ s += $1 } END { if (NR) printf "%.0f\n", s }'; }

# pct_ns NS SECONDS: percent of one core.
pct_ns() { awk -v n="$1" -v s="$2" 'BEGIN{ if (n ~ /^[0-9]+$/ && s > 0) printf "%.3f", n/1e9/s*100; else print "NA" }'; }

# uptime_s: seconds since boot (/proc/uptime, 10 ms resolution).
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# proc_start_s PID: when PID started, in seconds since boot (one tick resolution).
proc_start_s() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk -v k="$TCK" '{ printf "%.2f\n", $20/k }'; }

# json_num FILE KEY: a number field of an indented JSON object (record info --json).
json_num() { [ -r "$1" ] || return 0; sed -n 's/^ *"'"$2"'": *\([0-9.eE+-]*\),\{0,1\}$/\1/p' "$1" | head -1; }

# cpu_pct TICKS SECONDS: percent of one core.
cpu_pct() { awk -v t="$1" -v k="$TCK" -v s="$2" 'BEGIN{ if (s>0) printf "%.3f", t/k/s*100; else print "NA" }'; }

# kb_mib KB: KiB as MiB with one decimal ("NA" stays).
kb_mib() { awk -v v="$1" 'BEGIN{ if (v ~ /^[0-9.]+$/) printf "%.1f", v/1024; else print "NA" }'; }

# (find fails when a process exits while it lists /proc: that must not stop a
# script running with pipefail.)
proc_count() { { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null || true; } | wc -l; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# start_sleepers N: N background `sleep` processes (killed by bench_cleanup or stop_sleepers).
start_sleepers() {
  local i
  for ((i = 0; i < $1; i++)); do
    sleep 3600 &
    SLEEPER_PIDS+=($!)
  done
}

stop_sleepers() {
  [ ${#SLEEPER_PIDS[@]} -eq 0 ] && return 0
  kill "${SLEEPER_PIDS[@]}" 2>/dev/null || true
  wait "${SLEEPER_PIDS[@]}" 2>/dev/null || true
  SLEEPER_PIDS=()
}

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local p
  stop_sleepers
  for p in "${BENCH_PIDS[@]}"; do stop_pid "$p"; done
  BENCH_PIDS=()
}

# start_fixture BIN DIR [ARGS...]: start `BIN fixture-server` on a free loopback
# port; sets FIXTURE_PID and FIXTURE_ADDR, the CA is DIR/ca.pem, the log DIR/fixture.log.
start_fixture() {
  local bin=$1 dir=$2 i
  shift 2
  "$bin" fixture-server --listen 127.0.0.1:0 --ca-out "$dir/ca.pem" "$@" >"$dir/fixture.log" 2>&1 &
  FIXTURE_PID=$!
  BENCH_PIDS+=("$FIXTURE_PID")
  FIXTURE_ADDR=
  for ((i = 0; i < 100; i++)); do
    FIXTURE_ADDR=$(sed -n 's/.*fixture endpoint listening.* addr=\([^ ]*\).*/\1/p' "$dir/fixture.log" | head -1)
    [ -n "$FIXTURE_ADDR" ] && [ -s "$dir/ca.pem" ] && return 0
    sleep 0.1
  done
  log "fixture server did not start:"; cat "$dir/fixture.log" >&2
  return 1
}

# free_port: a loopback TCP port nothing listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
}

# replace_section FILE HEADING CONTENT_FILE: drop the section "## HEADING"
# (up to the next "## " heading) from FILE and append CONTENT_FILE at the end.
replace_section() {
  local file=$1 heading=$2 content=$3 tmp
  tmp=$(mktemp)
  if [ -f "$file" ]; then
    awk -v h="## $heading" '
      /^## / { skip = ($0 == h) }
      !skip { print }' "$file" >"$tmp"
  else
    printf '# virgo-top benchmarks\n\n' >"$tmp"
  fi
  # drop trailing blank lines, then one blank line before the new section
  awk '{ l[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print l[i] }' "$tmp" >"$file"
  printf '\n' >>"$file"
  cat "$content" >>"$file"
  rm -f "$tmp"
}

machine_summary() {
  local model mem
  model=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal:/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
  echo "- CPU: $(nproc) cores, ${model:-unknown model}"
  echo "- memory: $mem"
  echo "- kernel: $(uname -sr)"
  echo "- Go: $(go version | cut -d' ' -f3-)"
}
