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
# Optional: bench_slab's mimalloc peer.  The build goes on without it.
if ! dpkg -s libmimalloc-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$missing" ] || apt-get update -qq
  apt-get install -y -qq libmimalloc-dev >/dev/null ||
    echo "setup: libmimalloc-dev not installed; bench_slab skips its mimalloc peer" >&2
fi
if [ -d build/meson-private ]; then
  meson setup --reconfigure build "$@" >/dev/null
else
  meson setup build "$@" >/dev/null
fi
ninja -C build >/dev/null
