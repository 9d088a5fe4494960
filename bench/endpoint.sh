#!/usr/bin/env bash
# endpoint.sh — issue 17's throughput of one `virgo-top endpoint` instance
# (the target of `make bench-endpoint`).
#
# bench/endpointload starts the release build of `virgo-top endpoint` (TLS,
# a fake output that accepts every remote write and alert post at once) and
# drives it with simulated agents: goroutines that speak Virgo's protocol
# over TLS (hello, then check_metrics.post of an agent.cpu result with its
# alarm state, each agent posting again as soon as it is answered). For each
# agent count: how fast they connect, RSS idle and per connected agent, and
# posts per second acknowledged. The load generator runs on the same
# machine and takes its share of the cores.
# Writes an "## Endpoint" section into BENCHMARKS.md (BENCH_OUT;
# ENDPOINT_RECORD=0 only prints it).
#
# Env knobs: ENDPOINT_AGENTS=100,1000 ENDPOINT_DURATION=10s ENDPOINT_SETTLE=3s
#            ENDPOINT_RECORD=1
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENTS=${ENDPOINT_AGENTS:-100,1000}
DURATION=${ENDPOINT_DURATION:-10s}
SETTLE=${ENDPOINT_SETTLE:-3s}
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}

WORK=$(mktemp -d /tmp/virgo-endpoint.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$BENCH_ROOT"
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

BIN=$WORK/virgo-top
log "building $BIN"
build_binary "$BIN"
(cd "$BENCH_ROOT" && go build -o "$WORK/endpointload" ./bench/endpointload)
log "simulated agents: $AGENTS, posting $DURATION each"
"$WORK/endpointload" -bin "$BIN" -agents "$AGENTS" -duration "$DURATION" -settle "$SETTLE" >"$WORK/table.md"

{
  echo "## Endpoint"
  echo
  echo "One \`virgo-top endpoint\` instance (issue 17) with simulated agents: \`make bench-endpoint\`"
  echo "(bench/endpoint.sh, bench/endpointload), $STARTED, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Agents speak Virgo's protocol over TLS from goroutines of one load process on the same machine"
  echo "(it shares the cores); the output is a fake that accepts every remote write and alert post at once,"
  echo "so the figures are the endpoint's own cost. Each agent posts an agent.cpu result (9 metrics, one alarm"
  echo "state: 12 series and 3 alerts) and posts again as soon as it is answered; an \"unavailable\" answer"
  echo "(more than max_inflight_posts, 256, being written at once) makes it wait 1 s, as a real agent backs off (1 s initial backoff)."
  echo "RSS per agent is (RSS idle - RSS with no agent) / agents, with the agents connected and quiet."
  echo "Posts waiting for the output go out together (4 senders, up to 500 posts a request), hence fewer"
  echo "output requests than posts under load."
  echo
  machine_summary
  echo
  cat "$WORK/table.md"
  echo
  echo "A real agent posts each check's result once per period (30-60 s typically): at the rate"
  echo "acknowledged above, one instance serves that many posts per second from its fleet."
} >"$WORK/section.md"
cat "$WORK/section.md"
if [ "${ENDPOINT_RECORD:-1}" = 1 ]; then
  replace_section "$OUT" "Endpoint" "$WORK/section.md"
  log "wrote the Endpoint section of $OUT"
fi
