# civicase — every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
ROOT  := $(abspath .)
VAR   := $(ROOT)/var
# Go keeps its usual build cache (computed before XDG_CACHE_HOME moves below, so a fresh clone
# reuses what the machine has compiled); every other tool's cache and config lives in the ignored var/.
export GOCACHE         := $(shell go env GOCACHE)
export BUF_CACHE_DIR   := $(VAR)/cache/buf
export XDG_CACHE_HOME  := $(VAR)/cache
export XDG_CONFIG_HOME := $(VAR)/config
export PATH            := $(VAR)/bin:$(PATH)
export GOTOOLCHAIN     := local

MODULES = $(shell go list -m -f '{{.Dir}}')
# Every package of every workspace module: `./...` does not cross module boundaries.
PKGS    = $(addsuffix /...,$(MODULES))
TOOLS   = $(VAR)/bin/buf $(VAR)/bin/protoc-gen-go $(VAR)/bin/protoc-gen-go-grpc
GOTEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: help run test gen check-gen lint vet modules unit bench build tools

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## the whole system on the embedded default (NATS + private PostgreSQL + services + demo data)
	go run ./cmd/civicase dev $(ARGS)

test: check-gen lint vet modules unit ## every check: generated-code drift, buf lint, go vet, all tests

tools: $(TOOLS) ## build buf and the protoc plugins pinned in tools/go.mod into var/bin
$(TOOLS) &: tools/go.mod tools/go.sum
	cd tools && GOWORK=off go build -o $(VAR)/bin/ github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc

gen: tools ## regenerate Go code from proto/
	rm -rf proto/gen
	buf generate

check-gen: tools ## fail if generated code differs from what is committed (generates into a scratch dir)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && buf generate -o "$$tmp" && \
	  diff -r proto/gen "$$tmp/proto/gen" >/dev/null || { diff -r proto/gen "$$tmp/proto/gen" | head -20; \
	  echo "generated code is stale: run 'make gen' and commit"; exit 1; }

lint: tools ## buf lint (STANDARD + comments) and buf breaking against main where main exists
	buf lint
	@if git rev-parse -q --verify main >/dev/null && git ls-tree -r main --name-only | grep -q '^proto/.*\.proto$$'; then \
		echo "buf breaking against main"; buf breaking --against '.git#branch=main'; fi

vet: ## go vet and gofmt over every module
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^proto/gen/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^proto/gen/'); echo "gofmt needed"; exit 1; }
	go vet $(PKGS)

unit: ## unit, integration and end-to-end tests (real NATS and PostgreSQL)
	go test $(GOTEST_FLAGS) $(PKGS)

modules: ## every module builds on its own (GOWORK=off), as the container builds need
	for d in $(MODULES); do (cd $$d && GOWORK=off go build ./...) || { echo "$$d does not build with GOWORK=off: go mod tidy there"; exit 1; }; done

build: ## build every module
	go build $(PKGS)

bench: ## benchmarks against the raw engines in the same run (load tool + Go benchmarks); see docs/benchmarks.md
	go run ./cmd/civicase bench $(ARGS) | tee var/bench.md
	CIVICASE_BENCH_EVENTS=$${CIVICASE_BENCH_EVENTS:-100000} go test -run '^$$' -bench . -benchtime 1x ./pkg/projection/ | tee -a var/bench.md
	go test -run '^$$' -bench . -benchtime 3x -timeout 60m ./services/reporting/ | tee -a var/bench.md
