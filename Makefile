# thunder-lxc build, test and demo targets. Go comes from /usr/local/go when it
# is not already on PATH (a fresh Debian machine with Go installed there).
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin/thunder-lxc

.PHONY: build test test-deps demo lint bench clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/thunder-lxc

# The whole suite; a test that needs root, LXC or an input that could not be
# had says so when it skips. It fails, too, when the tests leave the build
# host changed (so that a second run can pass).
test: test-deps
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	./scripts/host-unchanged.sh $(GO) test -race -count=1 ./...

# What the tests need, listed in scripts/test-packages: installed when run as
# root, named otherwise; quick when all of it is here.
test-deps:
	@./scripts/test-deps.sh

# Provision the bundled sample: a small rootfs tarball and a target made from
# testdata/, OCDM provisioned into it, the result printed.
demo: build
	./scripts/demo.sh

lint:
	$(GO) vet ./...
	gofmt -l $$(git ls-files '*.go')

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin demo
