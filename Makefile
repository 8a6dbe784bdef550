# Switchboard's front door. `make run` and `make test` are the two commands
# the README promises work on a fresh clone.

GO       ?= go
BIN      := bin/switchboard
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: build run test test-sqlite bench demo fake-crm lint clean

build: ## Build the switchboard binary into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/switchboard

run: build ## Start the gateway on the embedded SQLite database in ./data
	./$(BIN) serve --log-format console

test: ## Run every test against SQLite and PostgreSQL (PostgreSQL must be reachable)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-sqlite: ## Run every test against SQLite alone
	SWITCHBOARD_TEST_SKIP_POSTGRES=1 $(GO) test -count=1 ./...

bench: build ## Run the benchmarks recorded in docs/benchmarks.md
	$(GO) run ./internal/bench $(BENCH_ARGS)

demo: ## Replay signed Twilio and Telnyx webhooks against a throwaway gateway on SQLite; exits 1 if any check fails
	$(GO) run ./cmd/demo

fake-crm: ## Serve a HubSpot-shaped fake CRM on 127.0.0.1:8090 to try the admin UI with
	$(GO) run ./cmd/fakecrm

lint: ## Static checks
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed on:"; gofmt -l .; exit 1)

clean:
	rm -rf bin
