# drover — run `make help` for the targets.
SHELL   := /bin/bash
GO      ?= go
BIN     ?= bin/drover
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# The race detector needs cgo; a machine with Go alone runs the tests without it.
RACE    ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)
LDFLAGS := -X github.com/drover-sh/drover/internal/cli.version=$(VERSION) -X github.com/drover-sh/drover/internal/cli.commit=$(COMMIT)

.PHONY: help build test fuzz e2e chaos bench lint demo release

# Every fuzz target, as package:Func; make fuzz runs each for FUZZTIME.
# A count of inputs, not a duration: with a duration, Go before 1.27 may
# fail a target with "context deadline exceeded" when the time runs out
# while a worker is busy (golang/go#75804), a failure that found nothing.
FUZZTIME ?= 30000x
CHAOS_FUZZTIME ?= 300000x
FUZZ := ./internal/runbook:FuzzRunbook ./internal/runbook:FuzzInventory \
	./internal/inventory:FuzzExpand ./internal/inventory:FuzzSplitList ./internal/inventory:FuzzParseTarget \
	./internal/cli:FuzzParseSets ./internal/cli:FuzzParseExpect ./internal/journal:FuzzAppendOutput

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z]+:.*## /{printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/drover, a static binary
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/drover

test: ## gofmt, vet, unit, engine and CLI tests, with the race detector where cgo is available (no root, no sshd)
	$(MAKE) lint
	$(GO) test $(RACE) -count=1 ./...
	GOMAXPROCS=1 $(GO) test $(RACE) -count=1 ./internal/engine/... && GOMAXPROCS=2 $(GO) test $(RACE) -count=1 ./internal/engine/...
	$(MAKE) fuzz

fuzz: ## run every fuzz target for FUZZTIME inputs each (default 30000x)
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t##*:} for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$${t##*:}\$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

e2e: build ## end-to-end tests on a farm of real OpenSSH servers (root, openssh-server)
	$(GO) test -count=1 -tags e2e -timeout 30m $(E2EFLAGS) ./e2e/...

chaos: build ## faults at every phase of a cutover on the real OpenSSH farm, one table row each (root), then longer fuzzing
	$(MAKE) fuzz FUZZTIME=$(CHAOS_FUZZTIME)
	$(GO) test -count=1 -tags 'e2e chaos' -run '^TestChaos' -timeout 40m -v ./e2e/ | \
		grep -v -e '^=== \(RUN\|PAUSE\|CONT\)'; exit $${PIPESTATUS[0]}

bench: build ## benchmarks against real OpenSSH farms of 50 to 1,000 hosts, side by side with ssh and rsync (root)
	./examples/farm/bench.sh

release: ## cross-build linux and darwin, amd64 and arm64, into dist/ with SHA256SUMS
	rm -rf dist && mkdir -p dist
	for os in linux darwin; do for arch in amd64 arm64; do \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o dist/drover-$$os-$$arch ./cmd/drover || exit 1; \
	done; done
	cd dist && sha256sum drover-* > SHA256SUMS

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

demo: build ## a rollout on a throwaway local farm (no root, no sshd)
	./$(BIN) demo
