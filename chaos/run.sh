#!/bin/sh
# The long chaos runs (make chaos): the real binaries through >= 10 endpoint
# restarts and >= 3 daemon kills, a poisoned check refused into the dead
# letter, a state dir that fills and frees (as root) and a second daemon on
# the same state dir, and the notification chaos through a 2-minute receiver
# outage with daemon kills mid-incident; a few minutes. Extra arguments go to
# go test. VIRGO_CHAOS_SEED=N replays a run; VIRGO_CHAOS_RACE=1 builds the
# processes under test with the race detector; VIRGO_CHAOS_KEEP=DIR keeps
# each scenario's files under DIR.
set -eu
cd "$(dirname "$0")/.."
VIRGO_CHAOS=long exec go test -run 'TestChaos|TestNotifyChaos' -count=1 -timeout 20m -v "$@" ./chaos
