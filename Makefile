# The two commands of the README: `make demo` (or `go run ./examples/demo`)
# and `make test`, which is what CI runs through .ci/run.
GO       ?= go
FUZZTIME ?= 10s
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build demo test unit fuzz size bench

# The static, stripped binary that goes into images.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o bin/probe .

demo:
	$(GO) run ./examples/demo

test: unit fuzz size

unit:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on: $$(gofmt -l .)"; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Each fuzz target runs for FUZZTIME; failures land in testdata/fuzz as seeds.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseTarget$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzCLI$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzPattern$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzParseStatusRanges$$' -fuzztime $(FUZZTIME) ./checks
	$(GO) test -run '^$$' -fuzz '^FuzzUnescape$$' -fuzztime $(FUZZTIME) ./checks
	$(GO) test -run '^$$' -fuzz '^FuzzParseSize$$' -fuzztime $(FUZZTIME) ./checks
	$(GO) test -run '^$$' -fuzz '^FuzzHTTPResponse$$' -fuzztime $(FUZZTIME) ./checks

# Prints the static stripped size; fails above the 10 MiB hard limit.
size: build
	@size=$$(stat -c %s bin/probe); \
	echo "bin/probe: $$size bytes ($$(awk "BEGIN{printf \"%.2f\", $$size/1048576}") MiB), static and stripped"; \
	test $$size -le 10485760 || { echo "bin/probe is above the 10 MiB limit"; exit 1; }

# Side-by-side figures against curl, busybox wget and GNU wget; see bench/main.go.
bench:
	bash bench/bench.sh
