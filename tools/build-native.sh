#!/bin/sh
# Builds the `native` backend's Node-API addon for linux-x64 into
# packages/neurite-native-linux-x64/neurite-native.node: native/addon.c with the elementwise,
# reduction, data-movement and fused optimizer kernels of wasm/src (compiled for x86-64, AVX2 + FMA
# baseline, through SIMDe's implementation of the wasm SIMD intrinsics; rt.h's thread pool on
# pthreads and futexes) and GEMM from Debian's static OpenBLAS (pthread build, all CPU
# kernels chosen at run time). Headers come from the node-api-headers package; no node-gyp.
# Also compiles every wasm/src kernel natively and runs tools/native-smoke.c on them.
# Size budget of the addon: 32 MB (OpenBLAS's run-time-dispatched kernels are most of it).
#   apt-get install -y clang-16 libsimde-dev libopenblas-pthread-dev
# Usage: tools/build-native.sh          build the addon (and the kernel smoke test)
#        tools/build-native.sh --check  rebuild into a temp dir and fail if the committed addon differs
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-}
if [ -z "$CC" ]; then
  for c in clang-16 clang-17 clang-18 clang-19 clang; do
    if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
  done
fi
[ -n "$CC" ] || { echo "build-native: no clang found (apt-get install -y clang-16)" >&2; exit 1; }
[ -f /usr/include/simde/wasm/simd128.h ] || { echo "build-native: SIMDe missing (apt-get install -y libsimde-dev)" >&2; exit 1; }
BLAS=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a
[ -f "$BLAS" ] || { echo "build-native: $BLAS missing (apt-get install -y libopenblas-pthread-dev)" >&2; exit 1; }
NAPI=node_modules/node-api-headers/include
[ -f "$NAPI/node_api.h" ] || { echo "build-native: $NAPI missing (npm ci)" >&2; exit 1; }
PKG=packages/neurite-native-linux-x64
BUDGET=33554432
FLAGS="-O3 -mavx2 -mfma -fno-math-errno -fPIC -fvisibility=hidden -ffile-prefix-map=$(pwd)=."

addon() {
  $CC $FLAGS -DNEURITE_NATIVE_THREADS -I"$NAPI" -shared -s -Wl,--build-id=none -Wl,--exclude-libs,ALL -o "$1/neurite-native.node" native/addon.c "$BLAS" -lpthread -lm
  size=$(wc -c <"$1/neurite-native.node")
  [ "$size" -le "$BUDGET" ] || { echo "build-native: addon is $size bytes, over the $BUDGET-byte budget" >&2; exit 1; }
}

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  addon "$tmp"
  cmp -s "$tmp/neurite-native.node" "$PKG/neurite-native.node" || { echo "build-native --check: $PKG/neurite-native.node differs from a fresh build" >&2; rm -rf "$tmp"; exit 1; }
  rm -rf "$tmp"
  echo "build-native --check: $PKG/neurite-native.node is what native/addon.c and wasm/src build to"
  exit 0
fi
addon "$PKG"
ls -l "$PKG/neurite-native.node"
# Every wasm/src kernel, natively, with the C GEMM micro-kernel (the wasm builds use wasm assembly).
node --import tsx tools/gen-scalar-ops.ts >/dev/null
mkdir -p build/native
$CC $FLAGS -DGEMM_C_UKERNEL -shared -Wl,--build-id=none -o build/native/libneurite-kernels.so wasm/src/neurite.c
$CC -O2 -o build/native/native-smoke tools/native-smoke.c -Lbuild/native -lneurite-kernels -Wl,-rpath,'$ORIGIN' -lm
build/native/native-smoke
