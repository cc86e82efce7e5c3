# The two commands of the README: `make demo` (or `go run ./examples/demo`)
# and `make test`, which is what CI runs through .ci/run.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS   = -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build lite demo test lint unit fuzz size e2e k8s bench release notices

# The static, stripped binary that goes into images.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o bin/probe .

# A lite build: http(s), tcp (tls: and unix: too, the same check), file and
# listen only; the probe_omit_ tags leave the other kinds out (internal/kinds).
# Not a release artifact: it is 3% smaller, not the 25% that would make it
# worth a second binary (docs/development.md). TestLiteBuild reads LITE_TAGS.
LITE_TAGS = probe_omit_grpc,probe_omit_dns,probe_omit_databases
lite:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(LITE_TAGS) -ldflags="$(LDFLAGS)" -o bin/probe-lite .

# Static binaries for every platform below, with an SBOM and .deb, .rpm and
# .apk packages each (nfpm, pinned), the man page, the completions, the
# licences and SHA256SUMS, in dist/: see internal/release/release.sh. The
# platforms are Docker's names; 386 builds but is not run by the tests (this
# kernel has no 32-bit x86). The packages' file times are the last commit's.
PLATFORMS = linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6 linux/386 linux/ppc64le linux/s390x linux/riscv64
DIST     ?= dist
NFPM     ?= github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
release:
	VERSION=$(VERSION) COMMIT=$(COMMIT) NFPM=$(NFPM) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
		bash internal/release/release.sh $(DIST) $(PLATFORMS)

# THIRD_PARTY_NOTICES, from the build information of a fresh binary; a test
# fails when the committed one is stale.
notices: build
	$(GO) run ./internal/release notices bin/probe >THIRD_PARTY_NOTICES

demo:
	$(GO) run ./examples/demo

test: lint unit fuzz size k8s e2e

# Every test but the end-to-end ones, with the race detector: what go test
# ./... runs, in about a minute on 2 cores.
unit:
	$(GO) test -race -count=1 ./...

# gofmt, go vet and staticcheck, over every file, the end-to-end tests
# included (-tags e2e). The patched copies of kong and fasthttp are upstream's
# code and are left out of staticcheck; internal/patched/patched_test.go
# keeps them exactly upstream's.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on: $$(gofmt -l .)"; exit 1; }
	$(GO) vet -tags e2e ./...
	GOFLAGS= $(GO) run $(STATICCHECK) -tags e2e $$($(GO) list -tags e2e ./... | grep -v '/internal/patched/')
	cd e2e/grpcserver && $(GO) vet ./...
	cd e2e/kafkaserver && $(GO) vet ./...
	@echo "lint: clean"

# The end-to-end tests with real parts, on their own (go test -tags e2e):
# they load the machine, and timing tests beside them would suffer. HAProxy
# and wrk for the rolling restart; a dockerd of their own for the
# Dockerfiles and the examples (Compose v2, Swarm, the arm64 image); make
# release built twice and run under qemu; go install from a module proxy in
# a directory; the databases; grpc-go servers beside grpc-health-probe;
# nginx on Unix sockets; the demo; probe serve's /readyz?verbose goldens
# against kube-apiserver's own healthz package (e2e/kubelet's module).
# Outside CI a missing tool skips them, loudly.
e2e:
	$(GO) test -tags e2e -count=1 -v -timeout 60m ./e2e ./internal/release ./examples/demo
	cd e2e/kubelet && $(GO) test -count=1 ./...

# The Kubernetes manifests against the API's own types, in a module of their
# own so that k8s.io/api stays out of probe's go.mod.
k8s:
	cd examples/kubernetes && $(GO) vet ./... && $(GO) test -count=1 ./...

# Each fuzz target runs a number of executions, about 10 s each on a 2-core
# machine, not a duration: in Go 1.26 a duration-based -fuzztime can fail with
# "context deadline exceeded" at its end on a busy machine (golang/go#75804).
# Failures land in testdata/fuzz as seeds. FUZZ_X=10 runs ten times as many.
FUZZ_X ?= 1
fuzz = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $$(( $(2) * $(FUZZ_X) ))x $(3)
fuzz:
	$(call fuzz,FuzzParseTarget,200000,./probe)
	$(call fuzz,FuzzCLI,50000,./internal/cli)
	$(call fuzz,FuzzWithoutKong,10000,./internal/cli)
	$(call fuzz,FuzzPattern,100000,./internal/cli)
	$(call fuzz,FuzzReadTag,100000,./internal/cli)
	$(call fuzz,FuzzStatusRanges,300000,./checks)
	$(call fuzz,FuzzUnescape,300000,./internal/cli)
	$(call fuzz,FuzzSize,300000,./checks)
	$(call fuzz,FuzzGRPCReply,30000,./checks) -fuzzminimizetime 50x
	$(call fuzz,FuzzHTTPResponse,100000,./checks)
	$(call fuzz,FuzzJSON,100000,./checks)
	$(call fuzz,FuzzDNSMessage,60000,./checks)
	$(call fuzz,FuzzContentEncoding,300000,./checks)
	$(call fuzz,FuzzDecode,200000,./internal/wire/jsonpath)
	$(call fuzz,FuzzBSON,500000,./internal/wire/bson)
	$(call fuzz,FuzzKafkaReplies,300000,./internal/wire/kafka)
	$(call fuzz,FuzzDNSRead,300000,./internal/wire/dns)
	$(call fuzz,FuzzH2Frames,400000,./internal/wire/h2)
	$(call fuzz,FuzzAMQPStart,500000,./internal/wire/amqp)
	$(call fuzz,FuzzNumbersEqual,200000,./internal/wire/jsonpath)
	$(call fuzz,FuzzRedactText,200000,./internal/sanitize)
	$(call fuzz,FuzzMask,50000,./internal/sanitize)
	$(call fuzz,FuzzParseConn,300000,./internal/traffic)
	$(call fuzz,FuzzAttr,300000,./internal/sockdiag)
	$(call fuzz,FuzzKongText,20000,./internal/patched)
	$(call fuzz,FuzzKongHelpWidth,20000,./internal/patched)

# Prints the static stripped size; fails above the 10 MiB hard limit.
size: build
	@size=$$(stat -c %s bin/probe); \
	echo "bin/probe: $$size bytes ($$(awk "BEGIN{printf \"%.2f\", $$size/1048576}") MiB), static and stripped"; \
	test $$size -le 10485760 || { echo "bin/probe is above the 10 MiB limit"; exit 1; }

# Side-by-side figures against curl, busybox wget and GNU wget; see bench/main.go.
bench:
	bash bench/bench.sh
