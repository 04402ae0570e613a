#!/bin/sh
# Install what the build needs (Debian packages) if missing, then configure
# and build into ./build.  Run as root on a fresh machine; idempotent.
# Arguments are meson options for ./build, e.g. `tools/setup.sh -Dfuzz=true`,
# which also installs clang and libFuzzer (the fuzzer is built with them).
set -e
cd "$(dirname "$0")/.."
pkgs="meson ninja-build pkg-config gcc libcriterion-dev liblzma-dev zlib1g-dev libpng-dev
      libcairo2-dev chromium"
for opt in "$@"; do
  case "$opt" in
    -Dfuzz=true) pkgs="$pkgs clang-14 libclang-rt-14-dev" ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $missing >/dev/null
fi
# Optional: the benches' peers (bench_slab links mimalloc's headers;
# bench_malloc preloads jemalloc, tcmalloc and mimalloc).  The build goes
# on without them and the benches skip a peer that is missing.
peers=""
for p in libmimalloc-dev libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4; do
  dpkg -s "$p" >/dev/null 2>&1 || peers="$peers $p"
done
if [ -n "$peers" ]; then
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$missing" ] || apt-get update -qq
  apt-get install -y -qq $peers >/dev/null ||
    echo "setup: not installed:$peers; the benches skip those peers" >&2
fi
if [ -d build/meson-private ]; then
  meson setup --reconfigure build "$@" >/dev/null
else
  meson setup build "$@" >/dev/null
fi
ninja -C build >/dev/null
