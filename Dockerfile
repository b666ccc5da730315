# syncd in a container: a static binary on a distroless base, run as a
# non-root user, serving the probes, /metrics and the status page on 9464.
#
#   docker build -t syncd --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -p 9464:9464 \
#     -e SYNCD_DATABASE_URL=postgres://syncd@db:5432/erp \
#     -e HUBSPOT_TOKEN -e SYNCD_HTTP_TOKEN syncd
#
# docs/operations.md ("Running in a container") has the probes, the
# Prometheus scrape and the config file mount.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a change to the code reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: no libc, so the binary runs on an image without one.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/syncd/syncd/internal/cli.Version=${VERSION}" \
      -o /out/syncd ./cmd/syncd

# distroless/static: CA certificates (HubSpot is reached over TLS), time
# zone data, /etc/passwd with the nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/syncd /usr/local/bin/syncd
USER nonroot:nonroot
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/syncd"]
# Every interface of the container: the probes answer everyone; the page
# and /metrics answer beyond the container only with SYNCD_HTTP_TOKEN.
CMD ["run", "--http", ":9464"]
