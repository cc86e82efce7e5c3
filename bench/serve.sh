#!/usr/bin/env bash
# probe serve's figures for the README, side by side with nginx in one run:
#   1. /readyz throughput and p99 latency under wrk on loopback, against
#      nginx answering "return 200" (rounds interleaved);
#   2. the CPU of an idle probe serve with 5 targets checked every 1s;
#   3. probe serve's RSS, sampled while wrk loads it for RSS_SECONDS.
#
#   bash bench/serve.sh                      (RSS_SECONDS=600 by default)
#   RSS_SECONDS=60 IDLE_SECONDS=20 bash bench/serve.sh   (a quick look)
#
# It installs nginx and wrk when they are missing (Debian), and starts and
# stops its own servers, all on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
IDLE_SECONDS=${IDLE_SECONDS:-60}
RSS_SECONDS=${RSS_SECONDS:-600}

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  echo "--- installing nginx and wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx wrk >/dev/null
fi

make -s build
go build -o bin/app ./examples/app
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port() { echo $((20000 + RANDOM % 20000)); }

app=$(port)
bin/app -listen "127.0.0.1:$app" 2>/dev/null &
pids+=($!)

ngx=$(port)
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$ngx;
    location / { return 200 "ready\n"; }
  }
}
EOF
nginx -c "$work/nginx.conf" -p "$work"

targets=("http://127.0.0.1:$app/healthz" "http://127.0.0.1:$app/healthz" "http://127.0.0.1:$ngx/" "tcp://127.0.0.1:$app" "tcp://127.0.0.1:$ngx")
sidecar=$(port)
PROBE_MARKER=$work/draining bin/probe serve --listen "127.0.0.1:$sidecar" --interval 1s "${targets[@]}" 2>/dev/null &
serve_pid=$!
pids+=($serve_pid)
PROBE_NO_MARKER=1 bin/probe -q wait --timeout 10s "http://127.0.0.1:$sidecar/readyz" "http://127.0.0.1:$ngx/"

# wrk URL -> "requests/s p99_ms"
load() {
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ *99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    / Non-2xx/ {bad=$NF}
    END {if (bad) {print "non-2xx answers: " bad > "/dev/stderr"; exit 1}; printf "%d %.3f\n", rps, p99}'
}

echo "# 1. GET /readyz vs nginx 'return 200': wrk -t2 -c$CONNS -d${DURATION}s, $ROUNDS rounds interleaved, $(nproc) cores"
pr=() pp=() nr=() np=()
for round in $(seq "$ROUNDS"); do
  read -r r p < <(load "http://127.0.0.1:$ngx/readyz"); nr+=("$r"); np+=("$p")
  read -r r p < <(load "http://127.0.0.1:$sidecar/readyz"); pr+=("$r"); pp+=("$p")
  echo "round $round: nginx ${nr[-1]} req/s p99 ${np[-1]} ms | probe serve ${pr[-1]} req/s p99 ${pp[-1]} ms"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pm=$(printf '%s\n' "${pr[@]}" | median); nm=$(printf '%s\n' "${nr[@]}" | median)
ppm=$(printf '%s\n' "${pp[@]}" | median); npm=$(printf '%s\n' "${np[@]}" | median)
echo "median: nginx $nm req/s p99 $npm ms | probe serve $pm req/s p99 $ppm ms | ratio $(awk "BEGIN{printf \"%.2f\", $pm/$nm}")x nginx (goal >= 0.8x)"

# CPU ticks (utime + stime) of a process, from /proc.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "# 2. idle probe serve, 5 targets every 1s, over ${IDLE_SECONDS}s"
idle=$(port)
PROBE_MARKER=$work/draining bin/probe serve --listen "127.0.0.1:$idle" --interval 1s "${targets[@]}" 2>/dev/null &
idle_pid=$!
pids+=($idle_pid)
sleep 2
t0=$(ticks $idle_pid)
sleep "$IDLE_SECONDS"
t1=$(ticks $idle_pid)
echo "idle CPU: $((t1 - t0)) ticks at $hz Hz in ${IDLE_SECONDS}s = $(awk "BEGIN{printf \"%.3f\", ($t1-$t0)/$hz/$IDLE_SECONDS*100}")% of one core (goal < 0.5%)"
kill $idle_pid

echo "# 3. probe serve RSS under wrk load (/readyz, /status, /metrics) for ${RSS_SECONDS}s, sampled every 10s"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
nginx_rss() { for p in $(pgrep -P "$(cat "$work/nginx.pid")"); do rss "$p"; done | awk '{s+=$1} END {print s}'; }
for path in readyz status metrics; do
  wrk -t1 -c16 -d"${RSS_SECONDS}s" "http://127.0.0.1:$sidecar/$path" >/dev/null &
  pids+=($!)
done
samples=()
for _ in $(seq $((RSS_SECONDS / 10))); do
  sleep 10
  samples+=("$(rss $serve_pid)")
done
first=${samples[0]}; last=${samples[-1]}
max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
echo "probe serve RSS (KiB): first $first, max $max, last $last over ${#samples[@]} samples; growth last/first $(awk "BEGIN{printf \"%.2f\", $last/$first}")x"
echo "samples: ${samples[*]}"
echo "nginx workers' RSS now, for scale: $(nginx_rss) KiB"
