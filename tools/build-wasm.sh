#!/bin/sh
# Rebuilds the wasm kernels: the four builds wasm/neurite-{relaxed,simd}-{mt,st}.wasm and the embedded copy in
# src/backend/wasm/binary.ts and src/backend/wasm/binary/*.ts. Needs clang (16 or newer, wasm32 target) and wasm-ld:
#   apt-get install -y clang-16 lld-16
# Usage: tools/build-wasm.sh          build and write the artefacts
#        tools/build-wasm.sh --check  build into a temp dir and fail if the committed ones differ
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-}
if [ -z "$CC" ]; then
  for c in clang-16 clang-17 clang-18 clang-19 clang; do
    if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
  done
fi
[ -n "$CC" ] || { echo "build-wasm: no clang found (apt-get install -y clang-16 lld-16)" >&2; exit 1; }
# clang needs wasm-ld on its path under that name
if ! command -v wasm-ld >/dev/null 2>&1; then
  for l in wasm-ld-16 wasm-ld-17 wasm-ld-18 wasm-ld-19; do
    if command -v "$l" >/dev/null 2>&1; then
      mkdir -p /tmp/neurite-wasm-ld && ln -sf "$(command -v "$l")" /tmp/neurite-wasm-ld/wasm-ld
      PATH="/tmp/neurite-wasm-ld:$PATH"; break
    fi
  done
fi
OUT=wasm
if [ "${1:-}" = "--check" ]; then OUT=$(mktemp -d); fi
node tools/gen-ukernel.mjs
node --import tsx tools/gen-scalar-ops.ts
# NEURITE_WASM_NOSTRIP=1 keeps function names (for profiles); the shipped build is stripped.
STRIP="-Wl,--strip-all"
if [ -n "${NEURITE_WASM_NOSTRIP:-}" ]; then STRIP=""; fi
# Four variants: {relaxed-SIMD FMA, plain SIMD} x {threads over shared memory (mt), single-thread (st)}.
# The st builds serve browsers without cross-origin isolation, where memory cannot be shared.
FLAGS="--target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffile-prefix-map=$(pwd)=.
  -Wl,--no-entry -Wl,--import-memory -Wl,--max-memory=4294967296
  -Wl,--export=__stack_pointer -Wl,--export=__heap_base -Wl,--stack-first -Wl,-z,stack-size=1048576
  $STRIP"
MT="-matomics -Wl,--shared-memory"
$CC $FLAGS $MT -mrelaxed-simd -DNEURITE_RELAXED -o "$OUT/neurite-relaxed-mt.wasm" wasm/src/neurite.c wasm/src/ukernel-relaxed.s
$CC $FLAGS $MT -o "$OUT/neurite-simd-mt.wasm" wasm/src/neurite.c wasm/src/ukernel-simd.s
$CC $FLAGS -mrelaxed-simd -DNEURITE_RELAXED -o "$OUT/neurite-relaxed-st.wasm" wasm/src/neurite.c wasm/src/ukernel-relaxed.s
$CC $FLAGS -o "$OUT/neurite-simd-st.wasm" wasm/src/neurite.c wasm/src/ukernel-simd.s
node tools/embed-wasm.mjs "$OUT"
if [ "$OUT" != wasm ]; then
  fail=0
  for f in neurite-relaxed-mt.wasm neurite-simd-mt.wasm neurite-relaxed-st.wasm neurite-simd-st.wasm; do
    cmp -s "$OUT/$f" "wasm/$f" || { echo "build-wasm --check: wasm/$f differs from a fresh build" >&2; fail=1; }
  done
  cmp -s "$OUT/binary.ts" src/backend/wasm/binary.ts || { echo "build-wasm --check: src/backend/wasm/binary.ts is stale" >&2; fail=1; }
  diff -rq "$OUT/binary" src/backend/wasm/binary >/dev/null || { echo "build-wasm --check: src/backend/wasm/binary/ is stale" >&2; fail=1; }
  rm -rf "$OUT"
  exit $fail
fi
ls -l wasm/*.wasm
