# The two commands a newcomer needs (see README.md):
#   make demo   prodlike up on examples/shop
#   make test   unit tests, then the end-to-end tests against real Docker
#
# Where no registry answers (air-gapped machines, this project's CI), both
# build compatible stand-in images locally first (e2e/images/build.sh) and
# point prodlike's image mirror at them.

SHELL := /bin/bash
OFFLINE := prodlike-offline
PRODLIKE := go run ./cmd/prodlike

.PHONY: demo demo-down test unit e2e images vet cross

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

vet:
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	go vet ./...
	go vet -tags e2e ./...
	cd examples/shop && go vet ./... && go test ./...

cross:
	GOOS=windows GOARCH=amd64 go build -o /dev/null ./cmd/prodlike
	GOOS=darwin GOARCH=arm64 go build -o /dev/null ./cmd/prodlike
