# irsa-probe: `make help` lists the targets.
BINARY   := irsa-probe
# The kubectl plugin (kubectl irsa-probe POD): a binary of its own.
PLUGIN   := kubectl-irsa_probe
PKG      := github.com/irsa-probe/irsa-probe
# The one place the version is written: the manifests, the README and the
# examples must name the same (deploy/version_test.go), and the release
# workflow checks the tag against it.
VERSION  := $(shell cat VERSION)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's time, not the clock's: the same commit builds the same binary
# and the same image digests.
DATE     ?= $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
IMAGE    ?= ghcr.io/irsa-probe/irsa-probe:$(VERSION)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
GOBIN    ?= $(shell go env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
# v1.7.7 builds with Go 1.24, this module's minimum.
ACTIONLINT_VERSION  := v1.7.7
# The tools that check what a release ships, each from the Go module proxy
# into GOBIN (make tools; .ci/run installs what is missing). Kyverno's
# version is pinned in deploy/tools/kyverno/go.mod, a module of its own
# because Kyverno's go.mod has a replace directive `go install` refuses.
HELM_VERSION := v3.22.0
KREW_VERSION := v0.4.3
SYFT_VERSION := v1.57.2
# The image's platforms, and the binaries a release ships.
IMAGE_PLATFORMS   := linux/amd64 linux/arm64
RELEASE_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
IMAGE_LAYOUT      := dist/image
FUZZTIME ?= 3s
# Every fuzz target, as package:Fuzz; a test keeps the list complete.
FUZZ_TARGETS := ./probe/satoken:FuzzParse ./probe/check:FuzzClassify ./probe/finding:FuzzTemplate \
	./probe/finding:FuzzCatalogValues ./probe/serve:FuzzServeRequest ./probe/serve:FuzzLabelValue \
	./probe/policy:FuzzLoad ./probe/policy:FuzzGlob ./probe/check:FuzzAgentAnswer ./probe/appsdk:FuzzParsers ./probe/fleet:FuzzFleet \
	./probe/target:FuzzMountinfo ./probe/migrate:FuzzPlanCommands

# Tests that assert a timing or a whole process's figures. The race detector
# slows a test process several times, so under it they skip their timing
# (raceEnabled); make test runs them again without it. As
# package:Test1,Test2; a test (probe/makefile_test.go) keeps the list
# complete.
TIMING_TESTS := ./probe/plugin:TestFleetAtScale,TestFleetProve,TestFleetProveForbiddenAndCanceled \
	./cmd/irsa-probe:TestServeLoad ./probe/check:TestResourcesStayFlat
# Built and tested once per make test, without the race detector: building
# the multi-platform image instrumented took minutes.
IMAGE_PKG := ./cmd/irsa-probe-image

.PHONY: help build cross test e2e fuzz demo lint bench cost image image-push docker-image dist tools release-tools clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the static binary and the kubectl plugin into bin/
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/$(BINARY) ./cmd/irsa-probe
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/$(PLUGIN) ./cmd/kubectl-irsa_probe

cross: ## build the static binary for each of PLATFORMS into bin/OS-ARCH/
	@for p in $(PLATFORMS); do \
		echo "build $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} go build -trimpath -ldflags "$(LDFLAGS)" -o bin/$${p%/*}-$${p#*/}/$(BINARY) ./cmd/irsa-probe || exit 1; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/$${p%/*}-$${p#*/}/$(PLUGIN) ./cmd/kubectl-irsa_probe || exit 1; \
	done

test: ## every test that needs no root: vet; the race detector on (manifests, alerts, moto included); the image; timings without it; a short fuzz
	go vet ./...
	go test -race -count=1 -timeout 20m $$(go list ./... | grep -vx '$(PKG)/$(IMAGE_PKG:./%=%)')
	go test -count=1 -timeout 10m $(IMAGE_PKG)
	@for t in $(TIMING_TESTS); do \
		pkg=$${t%%:*}; run="^($$(echo "$${t#*:}" | tr , '|'))\$$"; \
		echo "go test -count=1 -run '$$run' $$pkg"; \
		go test -count=1 -run "$$run" $$pkg || exit 1; \
	done
	$(MAKE) --no-print-directory fuzz FUZZTIME=1s

# The end-to-end suite (test/e2e, build tag e2e): a real single-node cluster
# in a network namespace of its own, as root. The Kubernetes components and
# etcd are built once into $(IRSA_PROBE_E2E_CACHE) (default
# ~/.cache/irsa-probe-e2e); the image and the plugin are rebuilt each time.
E2E_TIMEOUT ?= 45m
e2e: image build ## run the end-to-end suite on a real single-node Kubernetes (root; containerd and runc installed)
	GOBIN=$(GOBIN) go test -tags e2e -count=1 -v -timeout $(E2E_TIMEOUT) ./test/e2e

fuzz: ## run each fuzz target for FUZZTIME (default 3s) on top of its checked-in corpus
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

demo: build ## run the probe against a local simulated STS and cluster: a pass, then diagnosed failures
	go run ./cmd/irsa-probe-demo -binary bin/$(BINARY)

lint: ## gofmt, go vet, staticcheck and actionlint
	@test -z "$$(gofmt -l cmd probe deploy test)" || (gofmt -l cmd probe deploy test; echo "gofmt: the files above need formatting"; exit 1)
	go vet ./...
	go vet -tags e2e ./test/e2e/...
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/staticcheck -tags e2e ./test/e2e/...
	$(GOBIN)/actionlint

bench: ## run the benchmarks (figures go into docs/performance.md)
	go test -run '^$$' -bench . -benchmem ./...

# Paired runs of each for `make cost`.
COST_RUNS ?= 20

cost: build ## a whole check process against a bare-SDK floor (cmd/irsa-probe-floor), moto_server over TLS and HTTP: wall, CPU, peak RSS
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/irsa-probe-floor ./cmd/irsa-probe-floor
	go run ./cmd/irsa-probe-cost -probe bin/$(BINARY) -floor bin/irsa-probe-floor -n $(COST_RUNS)

image: ## build the linux/amd64+arm64 image as an OCI layout in dist/image (no Docker), then test it
	$(MAKE) cross PLATFORMS="$(IMAGE_PLATFORMS)"
	go run ./cmd/irsa-probe-image build -out $(IMAGE_LAYOUT) -version $(VERSION) -commit "$(COMMIT)" -created "$(DATE)" \
		$(foreach p,$(IMAGE_PLATFORMS),-binary $(p)=bin/$(subst /,-,$(p))/$(BINARY))
	IRSA_PROBE_IMAGE_LAYOUT=$(abspath $(IMAGE_LAYOUT)) go test -count=1 -run 'TestImage' ./cmd/irsa-probe-image

image-push: ## push dist/image to IMAGE=registry/repository:tag (log in first: docker login, crane auth login)
	go run ./cmd/irsa-probe-image push -layout $(IMAGE_LAYOUT) $(IMAGE)

docker-image: ## the same image with a Docker engine (Dockerfile), for one platform
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) -t $(IMAGE) .

dist: image ## release files in dist/: binaries, kubectl plugin archives and krew manifest, image layout, components, Helm chart, SBOMs, SHA256SUMS
	$(MAKE) cross PLATFORMS="$(RELEASE_PLATFORMS)"
	@set -e; cd dist; rm -rf $(BINARY)-* $(PLUGIN)-* irsa-probe.yaml SHA256SUMS sbom-bin; \
	for p in $(RELEASE_PLATFORMS); do cp ../bin/$${p%/*}-$${p#*/}/$(BINARY) $(BINARY)-$(VERSION)-$${p%/*}-$${p#*/}; \
		cp ../bin/$${p%/*}-$${p#*/}/$(PLUGIN) $(PLUGIN)-$(VERSION)-$${p%/*}-$${p#*/}; \
		mkdir -p sbom-bin/$${p%/*}-$${p#*/}; cp ../bin/$${p%/*}-$${p#*/}/$(BINARY) ../bin/$${p%/*}-$${p#*/}/$(PLUGIN) sbom-bin/$${p%/*}-$${p#*/}/; \
		krew=$$(mktemp -d); cp ../bin/$${p%/*}-$${p#*/}/$(PLUGIN) ../LICENSE $$krew/; \
		tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$(DATE)" -czf $(PLUGIN)-$(VERSION)-$${p%/*}-$${p#*/}.tar.gz -C $$krew $(PLUGIN) LICENSE; \
		rm -rf $$krew; done; \
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$(DATE)" -czf $(BINARY)-$(VERSION)-image-oci.tar.gz -C image .; \
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$(DATE)" -czf $(BINARY)-$(VERSION)-kustomize-components.tar.gz -C .. deploy/components deploy/policies/kyverno deploy/policies/kyverno-cel deploy/policies/mutating-admission-policy deploy/monitoring LICENSE; \
	cp ../deploy/krew/irsa-probe.yaml irsa-probe.yaml; \
	for p in $(RELEASE_PLATFORMS); do a=$(PLUGIN)-$(VERSION)-$${p%/*}-$${p#*/}.tar.gz; \
		sum=$$(sha256sum $$a | cut -d' ' -f1); sed -i "\#/$$a\$$#{n;s/sha256: .*/sha256: \"$$sum\"/}" irsa-probe.yaml; done; \
	$(GOBIN)/validate-krew-manifest -manifest irsa-probe.yaml -skip-install; \
	$(GOBIN)/helm package ../deploy/helm/irsa-probe -d . >/dev/null; mv irsa-probe-$(VERSION:v%=%).tgz $(BINARY)-$(VERSION)-helm-chart.tgz; \
	$(GOBIN)/syft scan dir:sbom-bin --source-name $(BINARY) --source-version $(VERSION) -q -o spdx-json=$(BINARY)-$(VERSION)-binaries.spdx.json; \
	for p in $(IMAGE_PLATFORMS); do $(GOBIN)/syft scan oci-dir:image --platform $$p --source-name $(BINARY) --source-version $(VERSION) -q \
		-o spdx-json=$(BINARY)-$(VERSION)-image-$${p%/*}-$${p#*/}.spdx.json; done; \
	rm -rf sbom-bin; \
	sha256sum $(BINARY)-* $(PLUGIN)-* irsa-probe.yaml > SHA256SUMS; cat SHA256SUMS
	IRSA_PROBE_DIST=$(abspath dist) go test -count=1 -run 'TestDist' ./deploy

tools: release-tools ## install staticcheck, actionlint, the release checkers and Kyverno's CLI into GOBIN
	go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	cd deploy/tools/kyverno && go build -trimpath -ldflags "-s -w" -o $(GOBIN)/kyverno github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno

release-tools: ## install what make dist runs: helm, krew and its manifest validator, syft
	go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	go install sigs.k8s.io/krew/cmd/krew@$(KREW_VERSION) sigs.k8s.io/krew/cmd/validate-krew-manifest@$(KREW_VERSION)
	go install github.com/anchore/syft/cmd/syft@$(SYFT_VERSION)

clean: ## remove build output
	rm -rf bin dist
