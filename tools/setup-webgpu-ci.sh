#!/usr/bin/env bash
# Installs what the webgpu backend's tests need on a GPU-less Debian machine: Mesa's lavapipe
# (software Vulkan) and the Vulkan loader. On bookworm they come from bookworm-backports (Mesa 25;
# Dawn refuses bookworm's own Mesa 22 lavapipe), whose apt source is added if missing, from the
# same archive as the existing entries. With --browser, also Chromium (for
# test/backend-webgpu-browser.test.ts, WebGPU on SwiftShader). Idempotent and quiet; run as root.
set -euo pipefail

browser=0
for a in "$@"; do
  case "$a" in
    --browser) browser=1 ;;
    *) echo "setup-webgpu-ci: unknown option $a (known: --browser)" >&2; exit 2 ;;
  esac
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")

need=0
v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$v" ] || dpkg --compare-versions "$v" lt 23; then need=1; fi
installed libvulkan1 || need=1
if [ "$browser" = 1 ] && ! installed chromium; then need=1; fi
[ "$need" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "setup-webgpu-ci: must run as root (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

target=()
if [ "$codename" = bookworm ]; then
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
  target=(-t bookworm-backports)
fi

log=$(mktemp)
if ! {
  apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends "${target[@]}" mesa-vulkan-drivers libvulkan1 &&
    if [ "$browser" = 1 ]; then apt-get install -y -qq --no-install-recommends chromium; fi
} >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup-webgpu-ci: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
echo "setup-webgpu-ci: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) (lavapipe)$([ "$browser" = 1 ] && echo ", chromium $(dpkg-query -W -f='${Version}' chromium)")"
