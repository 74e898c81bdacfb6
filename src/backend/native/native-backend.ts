/**
 * The `native` backend (Node on linux-x64): the cpu backend's buffers (JS typed arrays, 64-bit
 * sizes, no 4 GiB heap) with its heaviest work moved into a Node-API addon: float32 matmul runs
 * on a statically linked OpenBLAS (threaded); unary and binary ops and optimizer steps on the C
 * kernels of wasm/src (ew.c, optim.c) compiled for x86-64, the same source as the wasm backend.
 * The remaining ops (reductions, indexing, im2col, float64) are the cpu backend's.
 */
import type { BackendBuffer, BinaryOp, DType, OptimizerKernel, UnaryOp, View } from "../backend.js";
import { CpuBackend, CpuBuffer } from "../cpu/cpu-backend.js";
import { checkOptimizerBuffers } from "../optimizer-kernels.js";
import { EwScratch, writeEwDescriptor } from "../ew-descriptor.js";
import { BINARY_CODE, BINARY_OPS, UNARY_CODE, UNARY_OPS } from "../scalar-ops/table.js";
import { allocArray } from "../../tensor/dtype.js";
import { numel } from "../../tensor/shape.js";
import type { NativeAddon } from "./load-native.js";

/** dtype codes of wasm/src/ew.c (float64 has none: the cpu kernels run it). */
const DT: Partial<Record<DType, number>> = { float32: 0, int32: 1, bool: 2 };

/** Kernel codes of wasm/src/optim.c. */
const OPTIMIZER_KERNEL_CODE: Record<OptimizerKernel, number> = { adam: 0, sgd: 1, rmsprop: 2 };

/** A matrix operand as BLAS takes it: leading dimension and whether it is transposed; null when the strides fit neither. */
function blasLayout(rows: number, cols: number, rowStride: number, colStride: number): { ld: number; trans: number } | null {
  // A dimension of size 1 may have any stride; give it the one that makes the layout plain.
  const rs = rows === 1 ? Math.max(cols, 1) : rowStride;
  const cs = cols === 1 ? 1 : colStride;
  if (cs === 1 && rs >= Math.max(cols, 1)) return { ld: rs, trans: 0 };
  const rs2 = rows === 1 ? 1 : rowStride;
  const cs2 = cols === 1 ? Math.max(rows, 1) : colStride;
  if (rs2 === 1 && cs2 >= Math.max(rows, 1)) return { ld: cs2, trans: 1 };
  return null;
}

export class NativeBackend extends CpuBackend {
  override readonly name: string = "native";

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  /** Threads of OpenBLAS's pool (default: the machine's cores). */
  get threads(): number {
    return this.addon.threads();
  }
  setThreads(n: number): void {
    this.addon.setThreads(n);
  }
  /** OpenBLAS's build and the CPU kernels it chose, for `neurite info`. */
  get blasConfig(): string {
    return this.addon.blasConfig();
  }

  private readonly ewScratch = new EwScratch();
  private readonly desc = new Int32Array(1 + 16 * 4);

  override unary(op: UnaryOp, x: View): CpuBuffer {
    const size = numel(x.shape);
    const dt = DT[x.dtype];
    if (dt !== undefined && size > 0 && writeEwDescriptor(this.desc, 0, this.ewScratch, x.shape, x.strides)) {
      const outDtype: DType = UNARY_OPS[op].result === "bool" ? "bool" : x.dtype;
      const out = allocArray(outDtype, size);
      if (this.addon.ewUnary(UNARY_CODE[op], dt, out, (x.buf as CpuBuffer).data, x.offset, this.desc)) return new CpuBuffer(outDtype, out);
    }
    return super.unary(op, x);
  }

  override binary(op: BinaryOp, a: View, b: View, outDtype: DType): CpuBuffer {
    const size = numel(a.shape);
    const dt = DT[a.dtype];
    const natural: DType = BINARY_OPS[op].result === "bool" ? "bool" : a.dtype;
    if (dt !== undefined && a.dtype === b.dtype && outDtype === natural && size > 0 && b.shape.length === a.shape.length &&
        writeEwDescriptor(this.desc, 0, this.ewScratch, a.shape, a.strides, b.strides)) {
      const out = allocArray(outDtype, size);
      if (this.addon.ewBinary(BINARY_CODE[op], dt, out, (a.buf as CpuBuffer).data, a.offset, (b.buf as CpuBuffer).data, b.offset, this.desc)) return new CpuBuffer(outDtype, out);
    }
    return super.binary(op, a, b, outDtype);
  }

  override matmul(a: View, b: View): CpuBuffer {
    if (a.dtype !== "float32" || b.dtype !== "float32") return super.matmul(a, b);
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    const out = new Float32Array(B * M * N);
    if (out.length === 0) return new CpuBuffer("float32", out);
    if (K === 0) return new CpuBuffer("float32", out);
    const av = this.blasOperand(a, M, K);
    const bv = this.blasOperand(b, K, N);
    this.addon.gemm(out, av.data, av.offset, av.batchStride, av.layout.ld, av.layout.trans, bv.data, bv.offset, bv.batchStride, bv.layout.ld, bv.layout.trans, B, M, N, K);
    return new CpuBuffer("float32", out);
  }

  /** The operand's array and layout, made contiguous first when BLAS cannot read its strides. */
  private blasOperand(v: View, rows: number, cols: number): { data: Float32Array; offset: number; batchStride: number; layout: { ld: number; trans: number } } {
    const [sb, sr, sc] = v.strides as [number, number, number];
    const layout = blasLayout(rows, cols, sr, sc);
    if (layout) return { data: (v.buf as CpuBuffer).data as Float32Array, offset: v.offset, batchStride: sb, layout };
    const data = this.contiguous(v).data as Float32Array;
    return { data, offset: 0, batchStride: rows * cols, layout: { ld: Math.max(cols, 1), trans: 0 } };
  }

  override optimizerStep(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void {
    checkOptimizerBuffers(this.name, kernel, bufs, constants);
    this.addon.optimizerStep(OPTIMIZER_KERNEL_CODE[kernel], bufs.map((b) => (b as CpuBuffer).data as Float32Array), constants);
  }
}

/** The native backend, or an Error saying why it cannot run here. */
export async function createNativeBackend(): Promise<NativeBackend> {
  const { loadNativeAddon } = await import("./load-native.js");
  return new NativeBackend(loadNativeAddon());
}
