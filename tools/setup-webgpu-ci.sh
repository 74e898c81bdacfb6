#!/usr/bin/env bash
# Installs what the webgpu backend's tests need on a GPU-less Debian bookworm machine:
# Mesa's lavapipe (software Vulkan) from bookworm-backports, which Dawn accepts as a core
# WebGPU adapter (Mesa 22's lavapipe from plain bookworm is refused by Dawn), plus the
# Vulkan loader. Idempotent and quiet; run as root. Exits 0 without doing anything when the
# packages are already there.
set -euo pipefail

need_install() {
  # mesa-vulkan-drivers must come from backports (version >= 23) and the loader must exist.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -z "$v" ] && return 0
  dpkg --compare-versions "$v" lt 23 && return 0
  dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q "ok installed" || return 0
  return 1
}

if ! need_install; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "setup-webgpu-ci: must run as root (apt-get install)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Add bookworm-backports from the same archive as the existing entries, if missing.
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '/^deb / && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup-webgpu-ci: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)
echo "setup-webgpu-ci: mesa-vulkan-drivers $v (lavapipe) installed"
