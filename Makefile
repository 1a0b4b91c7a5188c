# keyhook's developer and CI entry points. `make test` is the README's test command.
SHELL := bash
GO ?= go
FUZZTIME ?= 10s
SHARED ?= ../shared

.PHONY: run test fuzz contract

run:
	$(GO) run ./cmd/keyhook serve

# Unit, integration and end-to-end tests (e2e/ needs `(cd e2e && npm ci)` or KEYHOOK_E2E=1;
# PostgreSQL runs need KEYHOOK_TEST_POSTGRES_URL, see .ci/postgres.sh), then a short fuzz pass.
test:
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

# Every `func FuzzX(f *testing.F)` in the tree, found afresh each run so new targets are included;
# `go test -fuzz` takes one target of one package at a time.
fuzz:
	@set -euo pipefail; \
	targets=$$(grep -rE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git --exclude-dir=testdata \
		'^func Fuzz[A-Za-z0-9_]+\(' . | sed -E 's#^(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]+)\(.*$$#\1 \2#' | sort -u); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	n=0; while read -r dir name; do \
		n=$$((n+1)); echo "fuzz: $$dir $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir"; \
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
