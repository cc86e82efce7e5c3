#!/usr/bin/env bash
# make bench: installs what the benchmark needs (Debian packages), builds the
# static binary, and runs go run ./bench, which starts its own loopback
# servers (and its own dockerd for the in-container cost), measures probe,
# curl, busybox wget, GNU wget and a Go hello world (wall and CPU by
# hyperfine, page faults and task-clock by perf stat, peak RSS by GNU time,
# instructions by callgrind), names the machine (CPU, and bare metal, VM or
# microVM, in a container or not), and writes bench/results/bench.md,
# bench.svg and bench.json. Flags go to ./bench:
#   bash bench/bench.sh -runs 100 -docker=false
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

need=()
for pair in hyperfine:hyperfine busybox:busybox-static curl:curl wget:wget valgrind:valgrind /usr/bin/time:time perf:linux-perf dockerd:docker.io bash:bash; do
  bin=${pair%%:*} pkg=${pair#*:}
  command -v "$bin" >/dev/null || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "--- installing ${need[*]}"
  [ "$(id -u)" = 0 ] || { echo "bench: run as root to install ${need[*]}, or install them"; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
make -s build
exec go run ./bench "$@"
