/**
 * Finds and loads the `native` backend's prebuilt Node-API addon (packages/neurite-native-*),
 * Node only. The addon is reached through createRequire and computed paths, so bundlers never
 * see it; every reason it cannot load (another OS or CPU, a CPU without AVX2/FMA, a missing
 * package, an ABI mismatch) becomes the message of the error, which `neurite info` shows.
 */
import type { AnyTypedArray } from "../backend.js";
import { isNode, nodeBuiltin } from "../../platform/node-builtins.js";

/** What native/addon.c exports (NATIVE_ABI 5). */
export interface NativeAddon {
  readonly abi: number;
  gemm(
    c: Float32Array, a: Float32Array, aOffset: number, aBatchStride: number, lda: number, aTrans: number,
    b: Float32Array, bOffset: number, bBatchStride: number, ldb: number, bTrans: number,
    batch: number, m: number, n: number, k: number,
  ): void;
  /** gemm's arguments; c = the sum over the batch of the products (m x n). */
  gemmSumBatch(
    c: Float32Array, a: Float32Array, aOffset: number, aBatchStride: number, lda: number, aTrans: number,
    b: Float32Array, bOffset: number, bBatchStride: number, ldb: number, bTrans: number,
    batch: number, m: number, n: number, k: number,
  ): void;
  /** 1 when done, 0 when the C kernels lack the op/dtype (the caller falls back). */
  ewUnary(op: number, dt: number, out: AnyTypedArray, x: AnyTypedArray, xOffset: number, desc: Int32Array): number;
  ewBinary(op: number, dt: number, out: AnyTypedArray, a: AnyTypedArray, aOffset: number, b: AnyTypedArray, bOffset: number, desc: Int32Array): number;
  optimizerStep(kernel: number, bufs: Float32Array[], constants: Float32Array): void;
  // The kernels of wasm/src (same names and argument order as the wasm exports), each pointer
  // given as (typed array, element offset); descriptors are Int32Arrays.
  ewWhere(sz: number, out: AnyTypedArray, outOffset: number, cond: AnyTypedArray, condOffset: number, a: AnyTypedArray, aOffset: number,
    b: AnyTypedArray, bOffset: number, desc: Int32Array): number;
  ewCast(from: number, to: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, desc: Int32Array): number;
  ewCopy(sz: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, desc: Int32Array): void;
  copyStrided(sz: number, dst: AnyTypedArray, dstOffset: number, src: AnyTypedArray, srcOffset: number, desc: Int32Array): void;
  reduce(op: number, dt: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, desc: Int32Array): number;
  argReduce(op: number, dt: number, out: Int32Array, outOffset: number, x: AnyTypedArray, xOffset: number, desc: Int32Array): number;
  /** Returns the number of out-of-range indices (nothing written for them); likewise scatterAdd, indexSelect, indexAdd. */
  gather(sz: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, index: AnyTypedArray, indexOffset: number,
    dim: number, dimSize: number, desc: Int32Array): number;
  scatterAdd(dt: number, out: AnyTypedArray, outOffset: number, src: AnyTypedArray, srcOffset: number, index: AnyTypedArray, indexOffset: number,
    dim: number, dimSize: number, desc: Int32Array): number;
  indexSelect(sz: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, index: AnyTypedArray, indexOffset: number,
    indexStride: number, nidx: number, dimSize: number, outDimStride: number, xDimStride: number, desc: Int32Array): number;
  indexAdd(dt: number, out: AnyTypedArray, outOffset: number, src: AnyTypedArray, srcOffset: number, index: AnyTypedArray, indexOffset: number,
    indexStride: number, nidx: number, dimSize: number, outDimStride: number, srcDimStride: number, desc: Int32Array): number;
  im2col(sz: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, geo: Int32Array, padBits: number): void;
  col2im(dt: number, out: AnyTypedArray, outOffset: number, cols: AnyTypedArray, colsOffset: number, geo: Int32Array): void;
  maxPool2dIndices(dt: number, out: Int32Array, outOffset: number, x: AnyTypedArray, xOffset: number, geo: Int32Array): void;
  maxPool2d(dt: number, out: AnyTypedArray, outOffset: number, x: AnyTypedArray, xOffset: number, geo: Int32Array): void;
  maxPool2dBackward(dx: Float32Array, dxOffset: number, x: AnyTypedArray, xOffset: number, g: AnyTypedArray, gOffset: number, geo: Int32Array): void;
  // float32 convolution (wasm/src/conv.c), x described by a window descriptor; each returns 1 when
  // done and 0 where the caller should compose the column routines instead.
  conv2d(out: Float32Array, x: Float32Array, xOffset: number, w: Float32Array, wOffset: number, ldw: number, wTrans: number,
    bias: Float32Array | null, biasOffset: number, biasStride: number, geo: Int32Array, O: number): number;
  conv2dInputGrad(out: Float32Array, gy: Float32Array, gyOffset: number, gyBatchStride: number, ldg: number, gyTrans: number,
    w: Float32Array, wOffset: number, ldw: number, wTrans: number, geo: Int32Array, O: number): number;
  conv2dWeightGrad(out: Float32Array, gy: Float32Array, gyOffset: number, gyBatchStride: number, ldg: number, gyTrans: number,
    x: Float32Array, xOffset: number, geo: Int32Array, O: number): number;
  /** Threads of the kernels' own pool that are started and parked (rt.h). */
  poolThreads(): number;
  setThreads(n: number): void;
  threads(): number;
  blasConfig(): string;
}

export const NATIVE_ABI = 5;
/** Platforms with a prebuilt addon: the per-platform package of each. */
const PACKAGES: Record<string, string> = { "linux-x64": "neurite-native-linux-x64", "linux-arm64": "neurite-native-linux-arm64" };

/** The addon, or an Error saying why it cannot be used here. */
export function loadNativeAddon(): NativeAddon {
  if (!isNode()) throw new Error("the native backend needs Node (browsers use wasm or webgpu)");
  const proc = globalThis.process;
  const platform = `${proc.platform}-${proc.arch}`;
  const pkg = PACKAGES[platform];
  if (!pkg) throw new Error(`no prebuilt native backend for ${platform} (available: ${Object.keys(PACKAGES).join(", ")})`);
  // aarch64 needs nothing beyond its baseline: NEON (Advanced SIMD) is part of every aarch64 Linux ABI.
  const missing = proc.arch === "x64" ? missingCpuFeatures() : [];
  if (missing.length > 0) throw new Error(`this CPU lacks ${missing.join(" and ")}, which the native backend's x86-64 build needs`);
  const { createRequire } = nodeBuiltin("module", "the native backend");
  const require = createRequire(import.meta.url);
  const attempts: string[] = [];
  // The installed optional package first, then the copy in this repository (src/ or dist/src/).
  const candidates = [`${pkg}/neurite-native.node`, `../../../packages/${pkg}/neurite-native.node`, `../../../../packages/${pkg}/neurite-native.node`];
  for (const id of candidates) {
    try {
      const addon = require(id) as NativeAddon;
      if (addon.abi !== NATIVE_ABI) throw new Error(`addon ABI ${addon.abi}, expected ${NATIVE_ABI} (rebuild with tools/build-native.sh)`);
      return addon;
    } catch (e) {
      attempts.push(`${id}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`the native addon did not load (${attempts.join("; ")})`);
}

/** AVX2 and FMA, from /proc/cpuinfo (the x86-64 build's baseline). */
function missingCpuFeatures(): string[] {
  let flags: string;
  try {
    flags = nodeBuiltin("fs", "the native backend").readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  } catch {
    return [];
  }
  const have = new Set(flags.trim().split(/\s+/));
  return ["avx2", "fma"].filter((f) => !have.has(f)).map((f) => f.toUpperCase());
}
