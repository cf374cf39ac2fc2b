# syntax=docker/dockerfile:1
# aiden serve as a container image: a static binary on distroless, run as a
# non-root user, for a read-only root filesystem. Writable paths are mounted
# (the Helm chart in deploy/helm/aiden mounts emptyDirs): /tmp, the schemas
# cache /var/cache/aiden ($XDG_CACHE_HOME) and, without PostgreSQL, the
# SQLite record under /var/lib/aiden ($XDG_STATE_HOME).
#
#   docker build -t ghcr.io/stackgen/aiden:0.1.0 --build-arg VERSION=v0.1.0 .

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/aiden ./cmd/aiden

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/aiden /usr/local/bin/aiden
ENV XDG_CACHE_HOME=/var/cache/aiden \
    XDG_STATE_HOME=/var/lib/aiden \
    XDG_CONFIG_HOME=/var/cache/aiden/config \
    TMPDIR=/tmp
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/aiden"]
CMD ["serve", "--addr", ":8080", "--metrics-addr", ":9090", "--log-format", "json"]
