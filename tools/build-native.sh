#!/bin/sh
# First step of the `native` backend (issue 13): compiles the same wasm/src kernels for x86-64
# (AVX2 + FMA baseline) through SIMDe's implementation of the wasm SIMD intrinsics, into
# build/native/libneurite-kernels.so, and runs tools/native-smoke.c against it (sgemm and the fused
# Adam step checked, sgemm throughput printed). Nothing loads this library yet: there is no
# Node-API glue and no registered backend, so Node keeps using wasm.
#   apt-get install -y clang-16 libsimde-dev
# Usage: tools/build-native.sh          build and smoke-test
#        tools/build-native.sh --check  build twice and fail unless the builds are byte-identical
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
node --import tsx tools/gen-scalar-ops.ts >/dev/null
# GEMM_C_UKERNEL: the C micro-kernel (the wasm builds use hand-written wasm assembly).
FLAGS="-O3 -mavx2 -mfma -fPIC -fvisibility=hidden -ffile-prefix-map=$(pwd)=. -DGEMM_C_UKERNEL"
build() {
  mkdir -p "$1"
  $CC $FLAGS -shared -Wl,--build-id=none -o "$1/libneurite-kernels.so" wasm/src/neurite.c
}
if [ "${1:-}" = "--check" ]; then
  a=$(mktemp -d); b=$(mktemp -d)
  build "$a"; build "$b"
  cmp -s "$a/libneurite-kernels.so" "$b/libneurite-kernels.so" || { echo "build-native --check: two builds differ" >&2; exit 1; }
  rm -rf "$a" "$b"
  echo "build-native --check: reproducible"
  exit 0
fi
build build/native
$CC -O2 -o build/native/native-smoke tools/native-smoke.c -Lbuild/native -lneurite-kernels -Wl,-rpath,'$ORIGIN' -lm
ls -l build/native/libneurite-kernels.so
build/native/native-smoke
