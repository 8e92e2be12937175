# pod-identity-webhook container image.
#
#   ./scripts/build-image.sh      # builds localhost/pod-identity-webhook:dev and runs it for real
#   buildah bud -t pod-identity-webhook .   (or: docker build -t pod-identity-webhook .)
#
# Stage 1 builds the binary on Debian bookworm from Debian's own packages (the same ones
# scripts/install-deps.sh installs, without the test and benchmark libraries). Stage 2 is
# `scratch` plus exactly what the binary needs at run time: its shared-library closure (found
# with ldd), the CA bundle, /etc/passwd and /etc/group with a `nonroot` user (65532) and
# /etc/nsswitch.conf. No shell, no package manager. It runs as 65532 with a read-only root
# filesystem and writes nothing (no /tmp needed).

FROM debian:bookworm-slim AS build

ARG DEBIAN_FRONTEND=noninteractive
# upgrade: the final image ships this stage's libc6, libssl3, ... so they get security updates
RUN apt-get update -qq \
 && apt-get upgrade -y -qq >/dev/null \
 && apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config ccache \
      libboost1.74-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
      libsimdjson-dev libcpp-httplib-dev \
      ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads (tests/ and bench/ are not configured: PIW_BUILD_TESTS/BENCH=OFF).
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY include/ include/
COPY src/ src/

# Build, strip, and stage the final image's root filesystem in /rootfs. One RUN so that the
# layer keeps /rootfs only, not the object files. The ccache cache mount (BuildKit and buildah
# both have it) makes rebuilds after a small source change fast; a cold build only pays ccache's
# small overhead.
RUN --mount=type=cache,target=/root/.cache/ccache \
    set -eu; \
    export CCACHE_DIR=/root/.cache/ccache CCACHE_MAXSIZE=1G; ccache --zero-stats >/dev/null; \
    cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
          -DPIW_BUILD_TESTS=OFF -DPIW_BUILD_BENCH=OFF >/dev/null; \
    cmake --build /tmp/build --target pod-identity-webhook -j "$(nproc)"; \
    bin=/rootfs/usr/local/bin/pod-identity-webhook; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/usr/lib/ssl \
             /rootfs/var/lib/dpkg/status.d /rootfs/home; \
    strip --strip-unneeded -o "$bin" /tmp/build/pod-identity-webhook; \
    rm -rf /tmp/build; \
    ccache --show-stats | grep -Ei '^ *(hits|misses):' || true; \
    # upstream's image runs /webhook: keep that path working
    ln -s /usr/local/bin/pod-identity-webhook /rootfs/webhook; \
    # the shared-library closure, at the paths the dynamic loader looks in
    if ldd "$bin" | grep -q 'not found'; then ldd "$bin"; exit 1; fi; \
    libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); \
    for lib in $libs; do cp -L --parents "$lib" /rootfs/; done; \
    # CA bundle, where OpenSSL's default verify paths (OPENSSLDIR=/usr/lib/ssl) find it
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    ln -s /etc/ssl/certs/ca-certificates.crt /rootfs/usr/lib/ssl/cert.pem; \
    ln -s /etc/ssl/certs /rootfs/usr/lib/ssl/certs; \
    # users, name service (files and dns are built into bookworm's glibc 2.36), os-release
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
      > /rootfs/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n' > /rootfs/etc/nsswitch.conf; \
    cp -L /etc/os-release /rootfs/etc/os-release; \
    # dpkg status of every package a shipped file comes from (distroless layout), so that image
    # scanners (trivy, grype) see libssl3, libc6, ... and their versions
    pkgs=$( (echo ca-certificates; for lib in $libs; do \
               dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"; \
             done | cut -d: -f1) | sort -u); \
    for pkg in $pkgs; do dpkg-query -s "$pkg" > "/rootfs/var/lib/dpkg/status.d/$pkg"; done; \
    # smoke test: the staged tree alone runs the binary
    chroot /rootfs /usr/local/bin/pod-identity-webhook --version; \
    chroot /rootfs /webhook --version; \
    echo "packages:" $pkgs; du -sh /rootfs; \
    mkdir /home-nonroot

FROM scratch

COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /home-nonroot/ /home/nonroot/

USER 65532:65532
WORKDIR /
# HTTPS (/mutate, /healthz, /readyz) and plain-HTTP metrics. The binary's --port default is 443
# (upstream's), which a non-root user cannot bind without CAP_NET_BIND_SERVICE: run it with
# --port=8443.
EXPOSE 8443 9999
ENTRYPOINT ["/usr/local/bin/pod-identity-webhook"]

# scripts/build-image.sh adds org.opencontainers.image.version and .revision (--label).
LABEL org.opencontainers.image.title="pod-identity-webhook" \
      org.opencontainers.image.description="Kubernetes mutating admission webhook that gives pods AWS IAM credentials (IRSA and EKS Pod Identity); drop-in replacement for amazon-eks-pod-identity-webhook"
