#!/usr/bin/env bash
# Installs what building and testing the linux-arm64 native addon needs on an x86-64 Debian
# machine: Debian's arm64 libc, libgcc and static OpenBLAS (multiarch packages, which clang
# cross-compiles against: tools/build-native.sh) and qemu's user-mode aarch64 emulator (which runs
# an arm64 Node: tools/test-arm64.sh). Only `:arm64` library packages are installed, never an
# arm64 nodejs (Debian would replace this machine's Node with it). Idempotent and quiet; run as root.
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
packages="libc6-dev:arm64 libgcc-12-dev:arm64 libopenblas-pthread-dev:arm64 qemu-user-static"
need=0
for p in $packages; do installed "$p" || need=1; done
[ "$need" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "setup-arm64-ci: must run as root (dpkg --add-architecture, apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
