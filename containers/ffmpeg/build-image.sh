#!/usr/bin/env bash
# `npm run image`: builds the FFmpeg worker image (containers/ffmpeg/Dockerfile) on this machine, in one command.
#
# The Dockerfile is an ordinary one (it builds anywhere Docker Hub is reachable: `docker build -f
# containers/ffmpeg/Dockerfile .`). What is special about a machine without Docker Hub lives here:
#   1. the Docker engine: Debian's docker.io, installed and started as root when no engine answers;
#   2. the base images the Dockerfile names, when their registry cannot be reached: debian:bookworm-slim made
#      with debootstrap from the Debian mirror apt already uses, and node:22-bookworm-slim made from it plus
#      the Node binary of the npm registry's node-linux-<arch> package;
#   3. the worker bundle, built on the host and handed to the Dockerfile (WORKER_BUNDLE), since npm's
#      registry is not reachable from inside a container here.
# Nothing of the build machine (credentials, proxy settings, certificates) goes into the image: the base
# images hold only Debian's packages and Node's binary, and the build context is what .dockerignore lets in.
#
# Environment: IMAGE (tag, default vidp-ffmpeg-worker:local), FONT_PACKAGES (Debian font packages, default
# the Dockerfile's), NODE_VERSION (default 22.23.5).
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE="${IMAGE:-vidp-ffmpeg-worker:local}"
NODE_VERSION="${NODE_VERSION:-22.23.5}"
WORK=.build/image
mkdir -p "$WORK"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { echo "--- image: $*"; }
# Debian's client matches Debian's engine; another client on PATH (a newer one) may speak a newer API.
# A path, never the bare name: the function below is called `docker` too.
DOCKER="$(command -v docker || echo /usr/bin/docker)"
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
docker() { as_root "$DOCKER" "$@"; }

case "$(uname -m)" in
  x86_64) NODE_ARCH=x64 ;;
  aarch64 | arm64) NODE_ARCH=arm64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

# ---- 1. the engine ---------------------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null; then
    say "installing Debian's docker.io"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    DOCKER=/usr/bin/docker
  fi
  if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: /var/log/vidp-dockerd.log)"
    # Niced, as every heavy build here: the build's RUN steps (ffmpeg's compile) run under the engine.
    as_root sh -c 'nohup nice -n 19 dockerd >/var/log/vidp-dockerd.log 2>&1 &'
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start:" >&2; as_root tail -n 20 /var/log/vidp-dockerd.log >&2; exit 1; }
  fi
fi

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
pullable() { timeout 60 "$DOCKER" pull -q "$1" >/dev/null 2>&1; }

# ---- 2. base images --------------------------------------------------------------------------------------
if ! have_image debian:bookworm-slim && ! pullable debian:bookworm-slim; then
  say "making debian:bookworm-slim with debootstrap"
  if ! command -v debootstrap >/dev/null; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
  mirror="${mirror:-$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  security="${mirror%/debian}/debian-security"
  rootfs="$WORK/rootfs"
  as_root rm -rf "$rootfs"
  as_root nice -n 19 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
  # As Docker's official slim image is: no documentation, manuals or translations from later installs, no
  # package cache, the release's three suites.
  as_root sh -c "cat > '$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim'" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  as_root sh -c "cat > '$rootfs/etc/apt/apt.conf.d/docker-clean'" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  as_root rm -f "$rootfs/etc/apt/sources.list"
  as_root sh -c "cat > '$rootfs/etc/apt/sources.list.d/debian.sources'" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  as_root sh -c "cd '$rootfs' && rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/*/[!c]* usr/share/man/* usr/share/info/* usr/share/locale/* var/log/*.log tmp/* && : > etc/resolv.conf && : > etc/hostname"
  as_root tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  as_root rm -rf "$rootfs"
fi

if ! have_image node:22-bookworm-slim && ! pullable node:22-bookworm-slim; then
  say "making node:22-bookworm-slim from debian:bookworm-slim + node-linux-$NODE_ARCH@$NODE_VERSION (npm registry)"
  nodedir="$WORK/node"
  rm -rf "$nodedir" && mkdir -p "$nodedir"
  (cd "$nodedir" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_VERSION" >/dev/null && tar -xzf node-linux-*.tgz)
  cp "$nodedir/package/bin/node" "$nodedir/node"
  rm -rf "$nodedir/package" "$nodedir"/*.tgz
  cat >"$nodedir/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
COPY node /usr/local/bin/node
CMD ["node"]
EOF
  DOCKER_BUILDKIT=0 as_root "$DOCKER" build -q -t node:22-bookworm-slim "$nodedir" >/dev/null
  rm -rf "$nodedir"
fi

# ---- 3. the bundle, built on the host --------------------------------------------------------------------
say "bundling the worker on the host"
mkdir -p containers/ffmpeg/.prebuilt
npx tsx containers/ffmpeg/build.ts containers/ffmpeg/.prebuilt/worker.mjs

# ---- 4. the image ----------------------------------------------------------------------------------------
say "building $IMAGE"
build_args=(--build-arg WORKER_BUNDLE=containers/ffmpeg/.prebuilt/worker.mjs)
[ -n "${FONT_PACKAGES:-}" ] && build_args+=(--build-arg "FONT_PACKAGES=$FONT_PACKAGES")
DOCKER_BUILDKIT=0 as_root nice -n 19 "$DOCKER" build "${build_args[@]}" -f containers/ffmpeg/Dockerfile -t "$IMAGE" .
say "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB unpacked", $1 / 1e6 }'))"
