#!/usr/bin/env bash
# release.sh DIST PLATFORM...: what make release ships, in DIST.
#
#   probe-linux-ARCH[VARIANT]           static, stripped binaries (CGO_ENABLED=0)
#   probe-linux-ARCH[VARIANT].cdx.json  a CycloneDX SBOM of each, from its build information
#   probe_V-1_ARCH.deb, probe-V-1.ARCH.rpm, probe_V-r1_ARCH.apk
#                                       packages of each, by nfpm (internal/release/nfpm.yaml)
#   probe.1                             the man page, from the command line's model
#   probe.bash, probe.zsh, probe.fish   the shells' completion scripts (probe completion SHELL)
#   THIRD_PARTY_NOTICES, LICENSE        the licences of what is compiled in, and probe's own
#   SHA256SUMS                          sha256sum -c SHA256SUMS checks them all
#
# PLATFORM is GOOS/GOARCH or GOOS/arm/v6|v7, as Docker names platforms.
# VERSION and COMMIT are stamped in with -X; nothing else varies, so two
# builds of one commit, in any directories, are byte for byte the same:
# -trimpath drops the paths, -buildvcs=false the checkout's own state, and an
# empty GOFLAGS whatever the environment adds; the packages' file times are
# SOURCE_DATE_EPOCH. NFPM is nfpm's module at a pinned version.
set -euo pipefail
dist="$1"
shift
: "${VERSION:?set VERSION}" "${COMMIT:?set COMMIT}" "${NFPM:?set NFPM}" "${SOURCE_DATE_EPOCH:?set SOURCE_DATE_EPOCH}"
export SOURCE_DATE_EPOCH
cd "$(dirname "$0")/../.."
rm -rf "$dist"
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
tool="$(mktemp -d)"
trap 'rm -rf "$tool"' EXIT
go build -o "$tool/release" ./internal/release
GOFLAGS= GOBIN="$tool" go install "$NFPM"
ldflags="-s -w -X main.version=$VERSION -X main.commit=$COMMIT"

# What every package carries beside its binary: the man page (gzip -n: no
# name, no time), the completions, from a probe built for this machine, and
# the licences.
files="$tool/files"
mkdir -p "$files"
env GOFLAGS= CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tool/probe" .
"$tool/release" man "$VERSION" >"$dist/probe.1"
gzip -9n <"$dist/probe.1" >"$files/probe.1.gz"
for shell in bash zsh fish; do
	"$tool/probe" completion "$shell" >"$dist/probe.$shell"
	cp "$dist/probe.$shell" "$files/"
done
cp THIRD_PARTY_NOTICES LICENSE "$files/"

# The packages' version: a release tag (v1.2.3, v1.2.3-rc1) as it is; any
# other VERSION (a commit, git describe's v1.2.3-4-gabcdef0) is 0.0.0-git0,
# which nfpm writes as each format sorts it before any release (0.0.0~git0
# for dpkg and rpm, 0.0.0_git0 for apk).
if [[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-(alpha|beta|pre|rc)[0-9]+)?$ ]]; then
	pkgversion="$VERSION"
else
	pkgversion=0.0.0-git0
fi
summary="Health checks for containers"
about="A tiny static binary that replaces curl and wget in container health
checks: HTTP(S), gRPC, TCP, DNS, databases, /proc and a shutdown marker,
with a drain-aware entrypoint (probe exec), a sidecar (probe serve) and
probe wait."

for platform in "$@"; do
	IFS=/ read -r goos goarch variant <<<"$platform"
	name="probe-$goos-$goarch${variant:-}"
	goarm=""
	if [ "$goarch" = arm ]; then
		goarm="${variant#v}"
		[ -n "$goarm" ] || { echo "release.sh: $platform: say arm/v6 or arm/v7" >&2; exit 1; }
	fi
	env GOFLAGS= CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" GOARM="$goarm" \
		go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$dist/$name" .
	"$tool/release" sbom "$dist/$name" "$VERSION" >"$dist/$name.cdx.json"
	"$tool/release" notices "$dist/$name" >"$tool/notices"
	# One notices file serves every binary only while they all link the same
	# modules, and only while it is the one committed.
	if ! cmp -s "$tool/notices" THIRD_PARTY_NOTICES; then
		echo "release.sh: THIRD_PARTY_NOTICES does not match $name: run make notices, and read what changed" >&2
		diff "$tool/notices" THIRD_PARTY_NOTICES | head -20 >&2
		exit 1
	fi
	# nfpm's architecture (arm6, arm7), which it names as each format does.
	# Debian's armhf is ARMv7, but Raspberry Pi OS's is ARMv6: the armhf
	# .deb carries the v6 binary, which runs on both, and v7 has no .deb;
	# rpm and apk name the two apart (armv6hl, armv7hl; armhf, armv7).
	formats="deb rpm apk"
	case "$variant" in
	v7) formats="rpm apk" ;;
	esac
	for format in $formats; do
		description="$summary"$'\n'"$about"
		[ "$format" != apk ] || description="$summary: a static binary for HTTP(S), gRPC, TCP, DNS, database and /proc checks"
		PROBE_DESCRIPTION="$description" PROBE_ARCH="$goarch${goarm}" PROBE_VERSION="$pkgversion" PROBE_BINARY="$dist/$name" PROBE_FILES="$files" \
			"$tool/nfpm" package --config internal/release/nfpm.yaml --packager "$format" --target "$dist/" >/dev/null
	done
	echo "$name: $(stat -c %s "$dist/$name") bytes"
done
cp THIRD_PARTY_NOTICES LICENSE "$dist/"
(cd "$dist" && sha256sum -- * >SHA256SUMS)
