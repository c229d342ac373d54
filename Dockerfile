# syntax=docker/dockerfile:1
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

# distroless static: CA certificates (HTTPS to STS and the OIDC issuer),
# /etc/passwd for 65532, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/irsa-probe /irsa-probe
USER 65532:65532
EXPOSE 8086
ENTRYPOINT ["/irsa-probe"]
CMD ["check"]
