# The two commands a new user needs: `make run` and `make test`.
# Both find PostgreSQL (DATABASE_URL, a server on 127.0.0.1:5432, or a private
# cluster of this checkout) through scripts/with-postgres; Debian packages
# are installed through scripts/apt-install, which waits for apt's lock.
# `make help` lists the targets.

GO      ?= go
BIN     := bin/ecrm
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: help run test build check test-deps bench clean

## run: the whole system with demo data on http://127.0.0.1:8080 (Ctrl-C stops it)
run: build
	ECRM_DEV_MODE=true ECRM_LOG_FORMAT=$${ECRM_LOG_FORMAT:-text} scripts/with-postgres $(BIN) dev

## build: compile bin/ecrm
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ecrm

## test: formatting, vet and every test (unit, PostgreSQL, headless Chromium)
test: check test-deps
	scripts/with-postgres $(GO) test -count=1 -timeout 20m ./...

## check: gofmt and go vet
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## test-deps: install what the tests need that Go does not bring (Debian's chromium, and
## poppler-utils' pdftotext, which reads the text back from the PDF documents)
test-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  scripts/apt-install chromium
	@command -v pdftotext >/dev/null 2>&1 || scripts/apt-install poppler-utils

## bench: Go benchmarks (no database writes beyond per-test databases)
bench:
	scripts/with-postgres $(GO) test -run '^$$' -bench . -benchmem ./...

## clean: remove bin/ and test artifacts (the private PostgreSQL cluster is kept)
clean:
	rm -rf bin .e2e-artifacts

## help: this list
help:
	@sed -n 's/^## \([a-z-]*\): /\1\t/p' $(MAKEFILE_LIST) | expand -t 12
