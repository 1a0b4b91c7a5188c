# keyhook's developer and CI entry points. `make test` is the README's test command.
SHELL := bash
GO ?= go
FUZZTIME ?= 10s
SHARED ?= ../shared
# Tools run through `go run …@version`: a clean machine needs no install, and Go caches the built
# binary, so later runs start at once. Override with a local binary of the same version if you like.
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
SQLC ?= $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1

.PHONY: run test check check-tidy check-import-docs lint tools fuzz contract generate check-generated bench generate-nodelib check-nodelib

run:
	$(GO) run ./cmd/keyhook serve

# The checks (below), then unit, integration and end-to-end tests (e2e/ needs `(cd e2e && npm ci)`
# or KEYHOOK_E2E=1; PostgreSQL runs need KEYHOOK_TEST_POSTGRES_URL, see .ci/postgres.sh), then a
# short fuzz pass.
test: check
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

# Hygiene that holds itself: go.mod and go.sum tidy, the package docs stating the import rules of
# .golangci.yml, the linters (those rules included), and the generated store code and Node
# built-ins up to date.
check: check-tidy check-import-docs lint check-generated check-nodelib

check-tidy:
	@$(GO) mod tidy -diff || { echo "check-tidy: go.mod/go.sum are not tidy; run go mod tidy"; exit 1; }

check-import-docs:
	$(GO) run ./.ci/importdocs

lint:
	$(GOLANGCI_LINT) run ./...

# Builds the tools ahead of their first use (CI does it while PostgreSQL installs).
tools:
	$(GOLANGCI_LINT) version
	$(SQLC) version

# sqlc generates each store backend's Go (store/<backend>/internal/dbsqlc) from its queries
# (store/<backend>/queries/*.sql) and the schema of its migrations; store/sqlc.yaml says how.
generate:
	$(SQLC) -f store/sqlc.yaml generate

# Fails when the committed generated Go is not what `make generate` would write, or when a
# generated file outlived its query file (sqlc diff looks only at the files it would write).
check-generated:
	$(SQLC) -f store/sqlc.yaml diff
	@for f in store/*/internal/dbsqlc/*.sql.go; do \
		q="$${f%/internal/dbsqlc/*}/queries/$$(basename "$$f" .go)"; \
		[ -f "$$q" ] || { echo "check-generated: $$f has no $$q: run make generate and delete it"; exit 1; }; \
	done

# jsrt/nodelib's Node built-ins (js/*.js) are bundled by esbuild from the npm packages pinned in
# jsrt/nodelib/build/package-lock.json and committed, so `go build` needs no npm. npm ci installs
# exactly the pinned packages (from the registry npm is configured with; no install scripts run).
generate-nodelib:
	cd jsrt/nodelib/build && npm ci --no-audit --no-fund
	$(GO) generate ./jsrt/nodelib

# Fails when the committed bundles are not what the pinned packages build.
check-nodelib:
	cd jsrt/nodelib/build && npm ci --no-audit --no-fund
	$(GO) run ./jsrt/nodelib/build -dir jsrt/nodelib -check

# Every `func FuzzX(f *testing.F)` in the tree, found afresh each run so new targets are included;
# `go test -fuzz` takes one target of one package at a time. A run that ends in Go's own "context
# deadline exceeded" without a failing input (a worker caught mid-restart when -fuzztime ends, seen
# on loaded machines) is run once more; any failing input fails at once.
fuzz:
	@set -euo pipefail; \
	targets=$$(grep -rE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git --exclude-dir=testdata \
		'^func Fuzz[A-Za-z0-9_]+\(' . | sed -E 's#^(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]+)\(.*$$#\1 \2#' | sort -u); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	n=0; out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	while read -r dir name; do \
		n=$$((n+1)); \
		for try in 1 2; do \
			echo "fuzz: $$dir $$name for $(FUZZTIME)"; \
			if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir" >"$$out" 2>&1; then cat "$$out"; break; fi; \
			cat "$$out"; \
			if [ $$try = 1 ] && grep -q 'context deadline exceeded' "$$out" && ! grep -q 'Failing input written' "$$out"; then \
				echo "fuzz: $$name: Go's fuzzing coordinator lost a worker at the deadline (no failing input); once more"; continue; \
			fi; \
			exit 1; \
		done; \
	done <<< "$$targets"; \
	echo "fuzz: $$n targets fuzzed"

# The operational contract of DESIGN.md §7, against SQLite and then against a fresh PostgreSQL
# database (KEYHOOK_TEST_POSTGRES_URL_CONTRACT, or one made beside KEYHOOK_TEST_POSTGRES_URL and
# dropped afterwards).
contract:
	bash $(SHARED)/tools/contract-check
	@set -euo pipefail; \
	url="$${KEYHOOK_TEST_POSTGRES_URL_CONTRACT:-}"; \
	if [ -z "$$url" ]; then \
		admin="$${KEYHOOK_TEST_POSTGRES_URL:-}"; \
		if [ -z "$$admin" ]; then \
			if [ -n "$${CI:-}" ]; then echo "contract: KEYHOOK_TEST_POSTGRES_URL is not set"; exit 1; fi; \
			echo "contract: skipping the PostgreSQL run (KEYHOOK_TEST_POSTGRES_URL is not set; see .ci/postgres.sh)"; exit 0; \
		fi; \
		db="keyhook_contract_$$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; \
		psql "$$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $$db"; \
		trap 'psql "$$admin" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"' EXIT; \
		base="$${admin%%\?*}"; url="$${base%/*}/$$db$${admin#"$$base"}"; \
	fi; \
	echo "contract: PostgreSQL run against $${url#*@}"; \
	KEYHOOK_TEST_POSTGRES_URL_CONTRACT="$$url" bash $(SHARED)/tools/contract-check --database "$$url"

# The token endpoint over HTTP (wrk) against the raw RS256 sign rate, interleaved, medians of three
# (BENCHMARKS.md); against a fresh PostgreSQL database too when KEYHOOK_TEST_POSTGRES_URL is set.
bench:
	bash bench/token.sh
