# virgo-top — common tasks. `make test` is what CI runs (via .ci/run).
GO        ?= go
BIN       ?= virgo-top
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED ?= 0

.PHONY: all build run test test-short bench lint vet fmt-check cross golden fuzz chaos soak install clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/virgo-top

run:
	$(GO) run ./cmd/virgo-top --fixture

# The race detector needs cgo; it is the only target that turns it on.
test:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: fmt-check vet
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	else $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; fi

cross:
	GOOS=linux   GOARCH=amd64 $(GO) build -o /dev/null ./...
	GOOS=darwin  GOARCH=arm64 $(GO) build -o /dev/null ./...
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./...

clean:
	rm -f $(BIN) $(BIN).exe *.prof
