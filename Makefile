# irsa-probe: `make help` lists the targets.
BINARY   := irsa-probe
PKG      := github.com/irsa-probe/irsa-probe
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's time, not the clock's: the same commit builds the same binary.
DATE     ?= $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
IMAGE    ?= ghcr.io/irsa-probe/irsa-probe:$(VERSION)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
GOBIN    ?= $(shell go env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 3s
# Every fuzz target, as package:Fuzz; a test keeps the list complete.
FUZZ_TARGETS := ./probe/satoken:FuzzParse ./probe/check:FuzzClassify ./probe/finding:FuzzTemplate \
	./probe/finding:FuzzCatalogValues ./probe/serve:FuzzServeRequest ./probe/serve:FuzzLabelValue \
	./probe/policy:FuzzLoad

.PHONY: help build test fuzz demo lint bench image tools clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the static binary into bin/
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/$(BINARY) ./cmd/irsa-probe

test: ## vet, every test (race detector on; manifests and moto included), a short run of each fuzz target
	go vet ./...
	go test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=2s

fuzz: ## run each fuzz target for FUZZTIME (default 3s) on top of its checked-in corpus
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

demo: build ## run the probe against a local simulated STS and cluster: a pass, then diagnosed failures
	go run ./cmd/irsa-probe-demo -binary bin/$(BINARY)

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l cmd probe deploy)" || (gofmt -l cmd probe deploy; echo "gofmt: the files above need formatting"; exit 1)
	go vet ./...
	$(GOBIN)/staticcheck ./...

bench: ## run the benchmarks (figures go into the README)
	go test -run '^$$' -bench . -benchmem ./...

image: ## build the container image (needs a Docker engine)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) -t $(IMAGE) .

tools: ## install staticcheck
	go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean: ## remove build output
	rm -rf bin
