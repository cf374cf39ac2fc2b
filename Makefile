# Tasks for aiden. CI runs .ci/run, which calls these.
BUF := node_modules/.bin/buf

.PHONY: all build test test-race generate check-generated lint bench tools

all: build

# aiden as it ships (the Dockerfile builds it the same way): static, with
# no cgo (SQLite is pure Go), and without this machine's paths. With cgo on,
# Go's plugin package (imported by kustomize) links the binary dynamically
# and exports every symbol: 18 MB more to map and about 9 MiB more resident at
# every start (docs/benchmarks.md, "Start-up, static build").
build:
	CGO_ENABLED=0 go build -trimpath -o bin/aiden ./cmd/aiden

# The README's test command.
test:
	go test ./...

test-race:
	go test -race ./...

tools: $(BUF)

$(BUF): package.json
	npm ci --no-audit --no-fund

# Regenerate the Go code from proto/ (buf with the Go plugins pinned in go.mod's tool directive).
generate: $(BUF)
	cd proto && ../$(BUF) generate
	cd editors/vscode && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent generate

# Fails when the committed generated code differs from what buf generates now.
check-generated: $(BUF)
	cd proto && ../$(BUF) lint
	sh scripts/check-generated.sh

# staticcheck's version is pinned here and in .ci/run; go run builds it once
# into the build cache.
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: check-generated
	go vet ./...
	go run $(STATICCHECK) ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

bench:
	go test -run '^$$' -bench . -benchmem ./validators/...
