# syntax=docker/dockerfile:1
#
# Runs a published subgate release binary; nothing is built from source here.
#
#   docker build --build-arg SUBGATE_VERSION=v0.1.0 -t subgate .
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg SUBGATE_VERSION=v0.1.0 -t subgate .
#
# The container listens on 0.0.0.0 so a published port can reach it, and
# subgate refuses to bind a non-loopback address unless the config sets
# `api-keys`. So mount a config that does, plus a volume for the auth files
# subgate keeps beside it:
#
#   docker volume create subgate-data
#   docker run -d -p 127.0.0.1:8317:8317 \
#     -v subgate-data:/home/nonroot/.subgate \
#     -v "$PWD/config.yaml:/home/nonroot/.subgate/config.yaml:ro" \
#     subgate
#
# The process runs as uid 65532 (distroless "nonroot"), so a bind-mounted host
# directory must be writable by that uid.

# Pinned to the build machine's platform even for a cross-arch build: this
# stage only downloads and checks files, so there is nothing to emulate.
FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS download

# A tag rather than "latest", so rebuilding gives the same image.
ARG SUBGATE_VERSION
# Set by BuildKit from the target platform (amd64, arm64).
ARG TARGETARCH

RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && rm -rf /var/lib/apt/lists/*

# --ignore-missing skips the other platforms' entries in SHA256SUMS, yet
# sha256sum still fails if the one file present is unlisted ("no file was
# verified"). The .subgate directory is made here so a named volume mounted
# on it starts out owned by the nonroot user rather than root; 700 because
# it holds OAuth tokens.
WORKDIR /download
RUN set -eu; \
  case "${SUBGATE_VERSION:-}" in \
    "") echo "set the release tag: docker build --build-arg SUBGATE_VERSION=v0.1.0 ." >&2; exit 1 ;; \
    [0-9]*) tag="v${SUBGATE_VERSION}" ;; \
    *) tag="${SUBGATE_VERSION}" ;; \
  esac; \
  case "${TARGETARCH:-}" in \
    amd64) arch=x86_64 ;; \
    arm64) arch=aarch64 ;; \
    *) echo "unsupported TARGETARCH '${TARGETARCH:-}': subgate images exist for amd64 and arm64" >&2; exit 1 ;; \
  esac; \
  asset="subgate-${arch}-unknown-linux-gnu"; \
  base="https://github.com/subgate-dev/subgate/releases/download/${tag}"; \
  curl -fsSL --retry 3 -o "${asset}" "${base}/${asset}"; \
  curl -fsSL --retry 3 -o SHA256SUMS "${base}/SHA256SUMS"; \
  sha256sum -c --ignore-missing SHA256SUMS; \
  install -m 755 "${asset}" /subgate; \
  install -d -m 700 /home-files/.subgate

FROM gcr.io/distroless/cc-debian12:nonroot

COPY --from=download /subgate /usr/local/bin/subgate
# Copying the parent's contents carries .subgate's own 700 mode across.
COPY --from=download --chown=65532:65532 /home-files/ /home/nonroot/

# subgate finds its config and auth dir under ~/.subgate.
ENV HOME=/home/nonroot
EXPOSE 8317

ENTRYPOINT ["/usr/local/bin/subgate"]
# 0.0.0.0 is what a published port reaches; subgate then refuses to start
# unless the config sets `api-keys` (see the top of this file).
CMD ["serve", "--host", "0.0.0.0"]
