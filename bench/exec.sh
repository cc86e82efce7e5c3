#!/usr/bin/env bash
# probe exec's overhead, side by side with tini and dumb-init (the usual
# PID-1 wrappers) and with no wrapper at all, in one run:
#   1. start-up: the wall time of "WRAPPER true" (hyperfine, rounds
#      interleaved);
#   2. the wrapper's resident memory while the demo app runs under it;
#   3. the wrapper's CPU while the app runs idle for IDLE_SECONDS, and while
#      wrk loads the app for LOAD_SECONDS;
#   4. the app's throughput under wrk, bare and under probe exec: the
#      wrapper is not in the data path, so they should match.
#
#   bash bench/exec.sh
#
# It installs hyperfine, wrk, tini and dumb-init when they are missing
# (Debian), and starts and stops its own processes, all on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
IDLE_SECONDS=${IDLE_SECONDS:-30}
LOAD_SECONDS=${LOAD_SECONDS:-10}

need=()
for tool in hyperfine wrk tini dumb-init; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "--- installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

make -s build
go build -o bin/app ./examples/app
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export PROBE_MARKER=$work/draining
port() { echo $((20000 + RANDOM % 20000)); }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "--- $(date -u +%F) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(tini --version); dumb-init $(dumb-init --version 2>&1 | awk '{print $2}')"

echo "--- 1. start-up: WRAPPER true, wall time (hyperfine, $ROUNDS interleaved rounds of 200 runs)"
for r in $(seq "$ROUNDS"); do
  hyperfine -N -w 20 -r 200 --export-json "$work/start-$r.json" \
    -n none 'true' -n 'probe exec' 'bin/probe exec -q -- true' -n tini 'tini -s -- true' -n dumb-init 'dumb-init true' >/dev/null 2>&1
done
python3 - "$work" "$ROUNDS" <<'PY'
import json, sys, statistics
work, rounds = sys.argv[1], int(sys.argv[2])
by = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{work}/start-{r}.json"))["results"]:
        by.setdefault(res["command"], []).append(res["median"] * 1000)
for name, ms in by.items():
    print(f"  {name:10s} median {statistics.median(ms):.2f} ms (rounds: {', '.join(f'{m:.2f}' for m in ms)})")
PY

# run WRAPPER... -- app: the wrapper's PID goes to $wpid, the app's port to $aport.
run() {
  aport=$(port)
  "$@" bin/app -listen "127.0.0.1:$aport" 2>/dev/null &
  wpid=$!
  pids+=("$wpid")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$aport/healthz" >/dev/null && return; sleep 0.05; done
  echo "the app never came up under: $*" >&2
  exit 1
}
stop() { kill -INT "$wpid"; kill -INT "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; }

echo "--- 2 and 3. the wrapper's RSS and CPU while the app runs: idle ${IDLE_SECONDS}s, then under wrk ${LOAD_SECONDS}s"
for w in "probe exec" tini dumb-init; do
  case $w in
    "probe exec") run bin/probe exec -q -- ;;
    tini) run tini -s -- ;;
    dumb-init) run dumb-init ;;
  esac
  rss=$(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {printf "%d KiB (anonymous %d, file-backed %d)", r, a, f}' "/proc/$wpid/status")
  t0=$(ticks "$wpid"); sleep "$IDLE_SECONDS"; t1=$(ticks "$wpid")
  wrk -t2 -c32 -d"${LOAD_SECONDS}s" "http://127.0.0.1:$aport/work?ms=0" >/dev/null
  t2=$(ticks "$wpid")
  printf '  %-10s RSS %s; CPU idle %d ticks in %ss, under load %d ticks in %ss (1 tick = %d ms)\n' \
    "$w" "$rss" $((t1 - t0)) "$IDLE_SECONDS" $((t2 - t1)) "$LOAD_SECONDS" $((1000 / hz))
  stop
done

echo "--- 4. the app's throughput, wrk -t2 -c32 -d${LOAD_SECONDS}s on /work?ms=0, $ROUNDS interleaved rounds"
for r in $(seq "$ROUNDS"); do
  for w in none "probe exec"; do
    if [ "$w" = none ]; then run; else run bin/probe exec -q --; fi
    rps=$(wrk -t2 -c32 -d"${LOAD_SECONDS}s" "http://127.0.0.1:$aport/work?ms=0" | awk '/Requests\/sec/ {print $2}')
    echo "  round $r: ${w}: $rps req/s"
    stop
  done
done
