# syntax=docker/dockerfile:1
# The same image as `make image` (cmd/irsa-probe-image; a test compares the
# two), for people who build with Docker: `make docker-image`.
# Build on the build machine's platform and cross-compile: no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Dependencies first: this layer is cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY probe ./probe
ARG TARGETOS TARGETARCH VERSION=dev COMMIT= DATE=
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/irsa-probe ./cmd/irsa-probe

# Nothing but the binary, the CA certificates (HTTPS to STS and the OIDC
# issuer; Debian's bundle, from the build image) and /etc/passwd and
# /etc/group for 65532. No shell.
FROM scratch
COPY --chmod=0644 --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chmod=0644 cmd/irsa-probe-image/rootfs/etc/passwd /etc/passwd
COPY --chmod=0644 cmd/irsa-probe-image/rootfs/etc/group /etc/group
COPY --chmod=0755 --from=build /out/irsa-probe /irsa-probe
USER 65532:65532
EXPOSE 8086/tcp
ENTRYPOINT ["/irsa-probe"]
CMD ["check"]
