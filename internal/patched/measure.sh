#!/usr/bin/env bash
# measure.sh: what each patched copy buys, in one run. It builds probe as
# make build does, then three times more, each with one copy replaced by
# its upstream module (kong, fasthttp, procfs), and prints, for each
# build, the stripped size and the median instructions of five runs
# (callgrind, GODEBUG=asyncpreemptoff=1) of `probe --version` and of a
# healthy HTTP check against a loopback server of its own.
#
#   bash internal/patched/measure.sh
#
# Upstream kong has no IgnoreFieldsFunc (patch 0005), so with it probe
# builds kong's whole model, as it did before the patch.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"

# A loopback server on a free port: the test app's /healthz.
cat >"$work/server.go" <<'EOF'
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr())
	os.Stdout.Close()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"status":"UP"}`) }))
}
EOF
(cd "$work" && go mod init server >/dev/null 2>&1 && CGO_ENABLED=0 go build -o server .)
"$work/server" >"$work/addr" &
server=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
url="http://$(cat "$work/addr")/healthz"

# build NAME: a copy of the tree, the copy NAME (if any) replaced by its
# upstream module, built as make build builds.
build() {
	local name="$1" tree="$work/tree-$1"
	git ls-files -z | tar --null -T - -cf - | (mkdir -p "$tree" && tar -C "$tree" -xf -)
	case "$name" in
	kong) module=github.com/alecthomas/kong ;;
	fasthttp) module=github.com/valyala/fasthttp ;;
	procfs) module=github.com/prometheus/procfs ;;
	*) module= ;;
	esac
	if [ -n "$module" ]; then
		grep -rl --include='*.go' "github.com/probe-sh/probe/internal/patched/$name" "$tree" | grep -v "/internal/patched/" |
			xargs sed -i "s#\"github.com/probe-sh/probe/internal/patched/$name#\"$module#"
		if [ "$name" = kong ]; then
			# Upstream has no IgnoreFieldsFunc: the whole model.
			sed -i 's#return kong.IgnoreFieldsFunc(m.ignore)#return kong.Vars{}#' "$tree/internal/cli/model.go"
		fi
	fi
	(cd "$tree" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/probe-$name" .)
}

# median N COMMAND...: the median instructions of N callgrind runs.
median() {
	local n="$1"
	shift
	for _ in $(seq "$n"); do
		GODEBUG=asyncpreemptoff=1 PROBE_MARKER="$work/no-marker" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '| build | bytes | instructions, probe --version | instructions, healthy HTTP check |\n|---|---|---|---|\n'
for name in copies kong fasthttp procfs; do
	build "$name"
	label="the three copies (make build)"
	[ "$name" != copies ] && label="upstream $name, the other copies"
	printf '| %s | %d | %.2f M | %.2f M |\n' "$label" "$(stat -c %s "$work/probe-$name")" \
		"$(median 5 "$work/probe-$name" --version | awk '{print $1/1e6}')" \
		"$(median 5 "$work/probe-$name" "$url" | awk '{print $1/1e6}')"
done
