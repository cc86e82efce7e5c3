#!/usr/bin/env bash
# bench/faults.sh: page faults and task-clock of probe builds side by side,
# for the lines a health check is written with, in one run (issue 39):
#
#   bash bench/faults.sh OLD_BINARY NEW_BINARY ...
#   GOMAXPROCS=1 bash bench/faults.sh bin/probe      (the runtime's Ps: see ARCHITECTURE.md)
#   PROCS="1 2 32 96" bash bench/faults.sh bin/probe (a healthy check under each GOMAXPROCS)
#   CALLGRIND=5 bash bench/faults.sh OLD NEW         (and callgrind's instructions, median of 5)
#
# As root it re-runs itself in a network namespace of its own (unshare -n),
# where busybox httpd serves a file on 127.0.0.1:8080. Each binary runs each
# line perf stat -r RUNS times (20), in ROUNDS (5) rounds that take the
# binaries in turn, so that a machine that slows down for a while slows every
# build alike; the figures are the means of the rounds' means. perf counts
# page faults from exec; GNU time's %R counts a few more.
set -euo pipefail
if [ "${1:-}" != "--in-namespace" ]; then
	[ $# -gt 0 ] || { echo "usage: bash bench/faults.sh BINARY..." >&2; exit 2; }
	for tool in perf busybox unshare ip ${CALLGRIND:+valgrind}; do
		command -v "$tool" >/dev/null || { echo "bench/faults.sh: $tool is missing (apt-get install linux-perf busybox-static util-linux iproute2)" >&2; exit 1; }
	done
	[ "$(id -u)" = 0 ] || { echo "bench/faults.sh: run as root, for a network namespace of its own" >&2; exit 1; }
	bins=()
	for b in "$@"; do bins+=("$(readlink -f "$b")"); done
	exec unshare -n bash "$0" --in-namespace "${bins[@]}"
fi
shift
ip link set lo up
root=$(mktemp -d)
trap 'kill "$httpd" 2>/dev/null; rm -rf "$root"' EXIT
echo ok >"$root/healthz"
busybox httpd -f -p 127.0.0.1:8080 -h "$root" &
httpd=$!
for _ in $(seq 50); do
	busybox wget -q -O /dev/null http://127.0.0.1:8080/healthz 2>/dev/null && break
	sleep 0.1
done
runs=${RUNS:-20} rounds=${ROUNDS:-5}
url=http://127.0.0.1:8080/healthz

# stat BINARY ARGS...: "faults task-clock-ms", perf stat's means of $runs runs.
stat() {
	perf stat -x, -r "$runs" -e page-faults,task-clock "$@" 2>&1 >/dev/null |
		awk -F, '/page-faults/{pf=$1} /task-clock/{tc=$1} END{if (pf == "" || pf ~ /not/) exit 1; print pf, tc}'
}

echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r), GOMAXPROCS=${GOMAXPROCS:-default}"
echo "# perf stat -r $runs, $rounds interleaved rounds: mean page faults, mean task-clock"
if [ -n "${PROCS:-}" ]; then
	for bin in "$@"; do
		for p in $PROCS; do
			read -r pf tc < <(GOMAXPROCS=$p stat "$bin" "$url")
			printf '%s GOMAXPROCS=%s %s: %s page faults, %.2f ms task-clock\n' "$bin" "$p" "$url" "$pf" "$tc"
		done
	done
	exit 0
fi
lines=("$url" "--timeout 2s --retries 2 $url" "--version")
declare -A faults clock
for _ in $(seq "$rounds"); do
	for bin in "$@"; do
		for line in "${lines[@]}"; do
			# shellcheck disable=SC2086 # each line is words
			read -r pf tc < <(stat "$bin" $line)
			faults["$bin|$line"]+=" $pf"
			clock["$bin|$line"]+=" $tc"
		done
	done
done
mean() { awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.1f", s / NF}'; }
# instructions BINARY ARGS...: callgrind's count, the median of $CALLGRIND
# runs (Go's preemption signals and RDTSCP crash callgrind: both off).
instructions() {
	for _ in $(seq "$CALLGRIND"); do
		GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
	done | sort -n | awk '{v[NR] = $1} END{print v[int((NR + 1) / 2)]}'
}
for line in "${lines[@]}"; do
	for bin in "$@"; do
		extra=""
		if [ -n "${CALLGRIND:-}" ]; then
			# shellcheck disable=SC2086 # each line is words
			extra=", $(instructions "$bin" $line) instructions"
		fi
		printf '%s %s: %s page faults, %s ms task-clock%s\n' "$bin" "$line" \
			"$(mean <<<"${faults["$bin|$line"]}")" "$(mean <<<"${clock["$bin|$line"]}")" "$extra"
	done
done
