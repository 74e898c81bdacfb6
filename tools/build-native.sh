#!/bin/sh
# Builds the `native` backend's Node-API addon for each prebuilt platform, into
# packages/neurite-native-<platform>/neurite-native.node: native/addon.c with the elementwise,
# reduction, data-movement, convolution and fused optimizer kernels of wasm/src (through SIMDe's
# implementation of the wasm SIMD intrinsics; rt.h's thread pool on pthreads and futexes) and
# GEMM from Debian's static OpenBLAS (pthread build, its CPU kernels chosen at run time).
#   linux-x64:   AVX2 + FMA baseline (AVX-512 copies of some loops chosen at load time).
#   linux-arm64: ARMv8-A with NEON (Advanced SIMD, part of every aarch64 Linux ABI), cross-compiled
#                by the same clang against Debian's arm64 libc and OpenBLAS (multiarch packages).
# Headers come from the node-api-headers package; no node-gyp. Also compiles every wasm/src kernel
# natively for this machine and runs tools/native-smoke.c on them.
# Size budget of each addon: 32 MB (OpenBLAS's run-time-dispatched kernels are most of it).
#   apt-get install -y clang-16 lld-16 libsimde-dev libopenblas-pthread-dev
#   dpkg --add-architecture arm64 && apt-get update &&
#   apt-get install -y libc6-dev:arm64 libgcc-12-dev:arm64 libopenblas-pthread-dev:arm64
# Usage: tools/build-native.sh          build the addons (and the kernel smoke test)
#        tools/build-native.sh --check  rebuild into a temp dir and fail if a committed addon differs
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
NAPI=node_modules/node-api-headers/include
[ -f "$NAPI/node_api.h" ] || { echo "build-native: $NAPI missing (npm ci)" >&2; exit 1; }
BUDGET=33554432
FLAGS="-O3 -fno-math-errno -fPIC -fvisibility=hidden -ffile-prefix-map=$(pwd)=."
PLATFORMS="linux-x64 linux-arm64"

# addon PLATFORM DIR: builds DIR/neurite-native.node for PLATFORM.
addon() {
  case "$1" in
    linux-x64) target="-mavx2 -mfma" multiarch=x86_64-linux-gnu ;;
    linux-arm64) target="--target=aarch64-linux-gnu -fuse-ld=lld" multiarch=aarch64-linux-gnu ;;
  esac
  blas=/usr/lib/$multiarch/openblas-pthread/libopenblas.a
  [ -f "$blas" ] || { echo "build-native: $blas missing (see the apt-get lines at the top of this script)" >&2; exit 1; }
  $CC $target $FLAGS -DNEURITE_NATIVE_THREADS -I"$NAPI" -shared -s -Wl,--build-id=none -Wl,--exclude-libs,ALL -o "$2/neurite-native.node" native/addon.c "$blas" -lpthread -lm
  size=$(wc -c <"$2/neurite-native.node")
  [ "$size" -le "$BUDGET" ] || { echo "build-native: $1 addon is $size bytes, over the $BUDGET-byte budget" >&2; exit 1; }
}

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  for platform in $PLATFORMS; do
    pkg=packages/neurite-native-$platform
    addon "$platform" "$tmp"
    cmp -s "$tmp/neurite-native.node" "$pkg/neurite-native.node" || { echo "build-native --check: $pkg/neurite-native.node differs from a fresh build" >&2; rm -rf "$tmp"; exit 1; }
    echo "build-native --check: $pkg/neurite-native.node is what native/addon.c and wasm/src build to"
  done
  rm -rf "$tmp"
  exit 0
fi
for platform in $PLATFORMS; do
  addon "$platform" "packages/neurite-native-$platform"
  ls -l "packages/neurite-native-$platform/neurite-native.node"
done
# Every wasm/src kernel, natively, with the C GEMM micro-kernel (the wasm builds use wasm assembly).
node --import tsx tools/gen-scalar-ops.ts >/dev/null
mkdir -p build/native
$CC -mavx2 -mfma $FLAGS -DGEMM_C_UKERNEL -shared -Wl,--build-id=none -o build/native/libneurite-kernels.so wasm/src/neurite.c
$CC -O2 -o build/native/native-smoke tools/native-smoke.c -Lbuild/native -lneurite-kernels -Wl,-rpath,'$ORIGIN' -lm
build/native/native-smoke
