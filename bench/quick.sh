#!/usr/bin/env bash
# Quick side-by-side figures for the README, in one run on this machine:
# probe against curl on a healthy loopback HTTP check (wall time per run,
# peak RSS), the deadline's precision, and the binary size.
#   bash bench/quick.sh            (N=500 runs per round by default)
# The full benchmark (hyperfine, busybox wget, callgrind) is its own issue.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-500}
command -v curl >/dev/null || { echo "bench: needs curl (apt-get install curl)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)"; exit 1; }

make -s build
go build -o bin/app ./examples/app
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port/healthz"
bin/app -listen "127.0.0.1:$port" 2>/dev/null &
app=$!
trap 'kill $app 2>/dev/null' EXIT
export PROBE_NO_MARKER=true
bin/probe -q --retries 50 --retry-delay 50ms "$url"

per_run_us() { # command... ; prints microseconds per run over N runs
  local s e
  s=$(date +%s%N)
  for _ in $(seq "$N"); do "$@" >/dev/null; done
  e=$(date +%s%N)
  echo $(((e - s) / N / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# wall time per run, $N runs a round, rounds interleaved (us)"
p=() c=()
for round in 1 2 3; do
  p+=("$(per_run_us bin/probe "$url")")
  c+=("$(per_run_us curl -fsS -o /dev/null "$url")")
  echo "round $round: probe ${p[-1]}  curl ${c[-1]}"
done
pm=$(printf '%s\n' "${p[@]}" | median)
cm=$(printf '%s\n' "${c[@]}" | median)
echo "median: probe $pm us  curl $cm us  ratio $(awk "BEGIN{printf \"%.2f\", $pm/$cm}")"

echo "# peak RSS, median of 20 runs (KB)"
pr=$(for _ in $(seq 20); do /usr/bin/time -f %M bin/probe "$url" 2>&1 >/dev/null; done | median)
cr=$(for _ in $(seq 20); do /usr/bin/time -f %M curl -fsS -o /dev/null "$url" 2>&1 >/dev/null; done | median)
echo "probe $pr KB  curl $cr KB  ratio $(awk "BEGIN{printf \"%.2f\", $pr/$cr}")"

echo "# deadline: --timeout 1s against a reply that takes 3s, 20 runs (ms from exec to exit)"
for _ in $(seq 20); do
  s=$(date +%s%N)
  bin/probe --timeout 1s "http://127.0.0.1:$port/work?ms=3000" >/dev/null || true
  e=$(date +%s%N)
  echo $(((e - s) / 1000000))
done | sort -n | awk '{a[NR]=$1} END {print "median " a[int((NR+1)/2)] " ms, worst " a[NR] " ms"}'

echo "# binary"
echo "bin/probe: $(stat -c %s bin/probe) bytes, static and stripped"
