#!/usr/bin/env bash
# Packs the GPU benchmark into a self-contained folder plus a .tar.xz of it (about 40 MB) to copy
# to a GPU machine that has neither Node nor a Vulkan loader: the Node binary running this
# script, bench-webgpu.ts bundled to one .mjs, node_modules/webgpu (linux-x64 dawn.node only),
# Debian's libvulkan1 unpacked, and the PyTorch peer script.
#   bash bench/gpu/pack.sh [DEST]     (default DEST: scratch/neurite-gpu-bench)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${1:-$repo/scratch/neurite-gpu-bench}"
cd "$repo"
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "pack.sh: node_modules/webgpu is missing (npm install)" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest/node_modules/webgpu/dist/linux-x64" "$dest/vulkan"
cp "$(node -p process.execPath)" "$dest/node"
npx --no-install esbuild bench/gpu/bench-webgpu.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --outfile="$dest/bench-webgpu.mjs"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$dest/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$dest/node_modules/webgpu/dist/linux-x64/"

# The Vulkan loader: Debian's libvulkan1, unpacked (no root needed on the GPU machine).
tmp="$(mktemp -d)"
if (cd "$tmp" && apt-get download -qq libvulkan1 >/dev/null 2>&1); then
  dpkg -x "$tmp"/libvulkan1_*.deb "$dest/vulkan"
else
  lib="$(ldconfig -p | awk '/libvulkan.so.1 / {print $NF; exit}')"
  [ -n "$lib" ] || { echo "pack.sh: could not get libvulkan1 (apt-get download failed, none installed)" >&2; exit 1; }
  mkdir -p "$dest/vulkan/usr/lib/x86_64-linux-gnu"
  cp -L "$lib" "$dest/vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1"
fi
rm -rf "$tmp"

cp bench/gpu/run.sh bench/gpu/bench_torch.py bench/gpu/README.md "$dest/"
tar -C "$(dirname "$dest")" -cJf "$dest.tar.xz" "$(basename "$dest")"
echo "packed $dest ($(du -sh "$dest" | cut -f1)) and $dest.tar.xz ($(du -sh "$dest.tar.xz" | cut -f1))"
