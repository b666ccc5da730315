# syncd's build, test and demo commands. `make demo` and `make test` need Go
# and a PostgreSQL on 127.0.0.1:5432 that lets user postgres in without a
# password (trust auth); nothing else.

GO       ?= go
BIN      ?= bin/syncd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/syncd/syncd/internal/cli.Version=$(VERSION)
# The whole suite runs with the race detector: syncd is concurrent (claims,
# leases, several processes, the governor); on two cores it takes about four
# minutes, the real-clock inbox and backlog tests included.
TESTFLAGS ?= -race -count=1 -timeout 15m
# golangci-lint, pinned; `make lint` installs it into bin/ (ignored by git)
# on first use, under a name that carries the version, so that a new pin
# installs afresh.
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT := bin/golangci-lint-$(GOLANGCI_LINT_VERSION)

.PHONY: all build demo test bench bench-limits lint fmt vet clean

all: lint test build

## build: compile bin/syncd
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/syncd

## demo: sync sample Thai customers and companies into the built-in HubSpot emulator
demo:
	$(GO) run ./cmd/syncd demo

## test: go vet, then every test against the local PostgreSQL and the in-process emulator
test: vet
	$(GO) test $(TESTFLAGS) ./...
	@# go test hides a passing test's log; show the conformance figures (under a second).
	@bash -o pipefail -c '$(GO) test -count=1 -run "^TestConformance$$" -v ./internal/emulator | grep -E "validated|routes driven|^(ok|FAIL|--- FAIL)"'

## bench: run the benchmarks only and print their figures (about three minutes;
## BenchmarkFirstSync5000 runs on the real clock against real rate limits)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

## bench-limits: only the 5,000-order first sync against real limits and latency
bench-limits:
	$(GO) test -run '^$$' -bench 'FirstSync5000' -benchtime 1x -timeout 30m ./internal/e2e

## lint: golangci-lint with .golangci.yml: go vet, staticcheck, errcheck and
## more, gofmt and goimports, and the dependency rules (depguard)
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	@mkdir -p bin/.install
	GOBIN=$(CURDIR)/bin/.install $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv bin/.install/golangci-lint $@
	@rmdir bin/.install

## fmt: fail on unformatted files (lint checks this too)
fmt:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './internal/emulator/testdata/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
