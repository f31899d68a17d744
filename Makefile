# drover — run `make help` for the targets.
GO      ?= go
BIN     ?= bin/drover
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/drover-sh/drover/internal/cli.version=$(VERSION) -X github.com/drover-sh/drover/internal/cli.commit=$(COMMIT)

.PHONY: help build test fuzz e2e bench lint demo

# Every fuzz target, as package:Func; make fuzz runs each for FUZZTIME.
FUZZTIME ?= 3s
FUZZ := ./internal/runbook:FuzzRunbook ./internal/runbook:FuzzInventory \
	./internal/inventory:FuzzExpand ./internal/inventory:FuzzSplitList ./internal/inventory:FuzzParseTarget \
	./internal/cli:FuzzParseSets ./internal/cli:FuzzParseExpect

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z]+:.*## /{printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/drover
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/drover

test: ## unit, engine and CLI tests with the race detector (no root, no sshd)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

fuzz: ## run every fuzz target for FUZZTIME each (default 3s)
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t##*:} for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$${t##*:}\$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

e2e: build ## end-to-end tests on a farm of real OpenSSH servers (root, openssh-server)
	$(GO) test -count=1 -tags e2e -timeout 20m ./e2e/...

bench: build ## benchmarks against a real OpenSSH farm of 200 hosts (root)
	./examples/farm/bench.sh

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

demo: build ## a rollout on a throwaway local farm (no root, no sshd)
	./$(BIN) demo
