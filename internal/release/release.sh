#!/usr/bin/env bash
# release.sh DIST PLATFORM...: what make release ships, in DIST.
#
#   probe-linux-ARCH[VARIANT]           static, stripped binaries (CGO_ENABLED=0)
#   probe-linux-ARCH[VARIANT].cdx.json  a CycloneDX SBOM of each, from its build information
#   THIRD_PARTY_NOTICES, LICENSE        the licences of what is compiled in, and probe's own
#   SHA256SUMS                          sha256sum -c SHA256SUMS checks them all
#
# PLATFORM is GOOS/GOARCH or GOOS/arm/v6|v7, as Docker names platforms.
# VERSION and COMMIT are stamped in with -X; nothing else varies, so two
# builds of one commit, in any directories, are byte for byte the same:
# -trimpath drops the paths, -buildvcs=false the checkout's own state, and an
# empty GOFLAGS whatever the environment adds.
set -euo pipefail
dist="$1"
shift
: "${VERSION:?set VERSION}" "${COMMIT:?set COMMIT}"
cd "$(dirname "$0")/../.."
rm -rf "$dist"
mkdir -p "$dist"
tool="$(mktemp -d)"
trap 'rm -rf "$tool"' EXIT
go build -o "$tool/release" ./internal/release

for platform in "$@"; do
	IFS=/ read -r goos goarch variant <<<"$platform"
	name="probe-$goos-$goarch${variant:-}"
	goarm=""
	if [ "$goarch" = arm ]; then
		goarm="${variant#v}"
		[ -n "$goarm" ] || { echo "release.sh: $platform: say arm/v6 or arm/v7" >&2; exit 1; }
	fi
	env GOFLAGS= CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" GOARM="$goarm" \
		go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" -o "$dist/$name" .
	"$tool/release" sbom "$dist/$name" "$VERSION" >"$dist/$name.cdx.json"
	"$tool/release" notices "$dist/$name" >"$tool/notices"
	# One notices file serves every binary only while they all link the same
	# modules, and only while it is the one committed.
	if ! cmp -s "$tool/notices" THIRD_PARTY_NOTICES; then
		echo "release.sh: THIRD_PARTY_NOTICES does not match $name: run make notices, and read what changed" >&2
		diff "$tool/notices" THIRD_PARTY_NOTICES | head -20 >&2
		exit 1
	fi
	echo "$name: $(stat -c %s "$dist/$name") bytes"
done
cp THIRD_PARTY_NOTICES LICENSE "$dist/"
(cd "$dist" && sha256sum -- * >SHA256SUMS)
