#!/usr/bin/env bash
# size.sh — the binary's size, per package (the target of `make size`).
#
# Builds the release binary (`make build`: stripped, CGO off, the
# Makefile's tags) and the same unstripped, attributes the unstripped
# binary's file bytes to packages and modules with bench/binsize (from
# `go tool nm -size -sort size`, counting only symbols in sections that have
# bytes in the file), prints the stripped size and the top 30 packages, and
# writes them as the "## Binary size" section of BENCHMARKS.md.
#
#   bash bench/size.sh                 # print and write BENCHMARKS.md
#   SIZE_WRITE=0 bash bench/size.sh    # print only
#   bash bench/size.sh --check KB      # fail when the stripped binary is over KB KiB
#                                      # (what .ci/run does through `make size-check`)
# Env: BENCH_OUT=BENCHMARKS.md, GOOS/GOARCH (default linux/amd64).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"

LIMIT=
if [ "${1:-}" = --check ]; then
  LIMIT=${2:?usage: size.sh --check MAX_KIB}
  [[ "$LIMIT" =~ ^[0-9]+$ ]] || { echo "size.sh: the limit must be KiB, a whole number: $LIMIT" >&2; exit 2; }
fi
OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
WRITE=${SIZE_WRITE:-1}
[ -z "$LIMIT" ] || WRITE=0
export GOOS=${GOOS:-linux} GOARCH=${GOARCH:-amd64} CGO_ENABLED=0

WORK=$(mktemp -d /tmp/virgo-size.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
build_binary "$WORK/virgo-top" # make build: the release flags and tags
BYTES=$(stat -c %s "$WORK/virgo-top")
KIB=$(( (BYTES + 1023) / 1024 ))
if [ -n "$LIMIT" ] && [ "$KIB" -le "$LIMIT" ]; then
  echo "binary size: ok: the stripped $GOOS/$GOARCH binary is $KIB KiB (MAX_BINARY_KB=$LIMIT)"
  exit 0
fi
build_binary "$WORK/virgo-top.full" "-buildid=" # the same, not stripped
# the report is made by a host binary whatever GOOS/GOARCH built the target
GOOS= GOARCH= go build -o "$WORK/binsize" ./bench/binsize
go tool nm -size -sort size "$WORK/virgo-top.full" >"$WORK/nm.txt"
"$WORK/binsize" --elf "$WORK/virgo-top.full" --stripped "$WORK/virgo-top" --top 30 <"$WORK/nm.txt" >"$WORK/table.md"

if [ -n "$LIMIT" ]; then
  if [ "$KIB" -gt "$LIMIT" ]; then
    echo "binary size: FAIL: the stripped $GOOS/$GOARCH binary is $KIB KiB, over MAX_BINARY_KB=$LIMIT KiB (Makefile)."
    echo "Find what grew in the per-package table below (bash bench/size.sh), cut it, or raise MAX_BINARY_KB"
    echo "in the Makefile with the size delta in the commit message."
    echo
    sed -n '/^| package/,/^$/p' "$WORK/table.md" | head -22
    exit 1
  fi
fi

cat "$WORK/table.md"
if [ "$WRITE" = 1 ]; then
  {
    echo "## Binary size"
    echo
    echo "\`bash bench/size.sh\` (\`make size\`), $(date -u '+%Y-%m-%d %H:%M UTC'), $(go version | cut -d' ' -f3), $GOOS/$GOARCH:"
    echo "the stripped release binary (\`make build\`: CGO off, -trimpath, -ldflags '-s -w', the Makefile's TAGS and GCFLAGS) is"
    echo "**$KIB KiB** ($BYTES bytes); \`.ci/run\` fails past MAX_BINARY_KB ($(sed -n 's/^MAX_BINARY_KB *?= *//p' Makefile) KiB, the Makefile)."
    echo "Per package and per module: the unstripped build's \`go tool nm -size -sort size\` through"
    echo "bench/binsize, which counts only symbols in sections with bytes in the file."
    echo
    sed '1d;2d' "$WORK/table.md"
  } >"$WORK/section.md"
  replace_section "$OUT" "Binary size" "$WORK/section.md"
  log "wrote the Binary size section of $OUT"
fi
