# The two commands a newcomer needs (see README.md):
#   make demo   prodlike up on examples/shop
#   make test   unit tests, then the end-to-end tests against real Docker
#
# Where no registry answers (air-gapped machines, this project's CI), both
# build compatible stand-in images locally first (e2e/images/build.sh) and
# point prodlike's image mirror at them.

SHELL := /bin/bash
OFFLINE := prodlike-offline
# Static, like released builds: on Linux prodlike builds its own image (which
# runs the SQS stand-in) from its executable.
PRODLIKE := CGO_ENABLED=0 go run ./cmd/prodlike
# The S3 stand-in's own e2e tests run the versitygw binary that
# e2e/images/build.sh builds for the offline image.
export PRODLIKE_VERSITYGW ?= $(or $(PRODLIKE_OFFLINE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/prodlike-images)/versitygw-v1.8.0/versitygw

.PHONY: demo demo-down test unit e2e images vet cross release-check bench

demo:
	@set -e; mirror=""; \
	if ! docker pull -q postgres:15 >/dev/null 2>&1; then \
	  echo "no registry answers: using stand-in images built locally ($(OFFLINE)/…)"; \
	  e2e/images/build.sh $(OFFLINE); mirror=$(OFFLINE); \
	fi; \
	export PRODLIKE_IMAGE_MIRROR=$$mirror GO_IMAGE=$${mirror:+$$mirror/}golang:1.26; \
	$(PRODLIKE) -C examples/shop up --detach; \
	$(PRODLIKE) -C examples/shop status
	@echo
	@echo "try: curl localhost:8080/healthz; eval \"\$$($(PRODLIKE) -C examples/shop env)\"; psql \"\$$DATABASE_URL\""
	@echo "stop: make demo-down"

demo-down:
	$(PRODLIKE) -C examples/shop down

test: unit e2e

unit:
	go test ./...

e2e: images
	go test -tags e2e -count=1 -timeout 30m ./...

images:
	e2e/images/build.sh $(OFFLINE)

# The benchmark (bench/README.md, BENCHMARKS.md): prodlike against
# docker-compose and each stand-in alone, on the same engine and the offline
# images. Not part of make test: it takes minutes and wants a quiet machine.
# Flags go in BENCH_ARGS, e.g. make bench BENCH_ARGS="-n 10 -json bench.json".
bench: images
	export PRODLIKE_IMAGE_MIRROR=$(OFFLINE) GO_IMAGE=$(OFFLINE)/golang:1.26; \
	go run ./bench $(BENCH_ARGS)

vet:
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	go vet ./...
	go vet -tags e2e ./...
	cd examples/shop && go vet ./... && go test ./...

cross:
	GOOS=windows GOARCH=amd64 go build -o /dev/null ./cmd/prodlike
	GOOS=darwin GOARCH=arm64 go build -o /dev/null ./cmd/prodlike

# Release packaging (goreleaser, .goreleaser.yaml): a snapshot release in
# dist/, checked; nothing is published. scripts/release-check.sh -update
# rewrites the golden Homebrew cask.
release-check:
	scripts/release-check.sh
