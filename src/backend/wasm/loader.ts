/**
 * Picks and compiles the kernel module for this runtime.
 *
 * Four builds ship inside the package (src/backend/wasm/binary/*.ts, made by tools/build-wasm.sh; only the one in use is imported):
 * relaxed-SIMD FMA or plain SIMD, each with threads over shared memory ("mt") or without ("st").
 * Relaxed SIMD is chosen when `WebAssembly.validate` accepts a probe module; Node 20 (V8 11.3) only
 * does so behind `--experimental-wasm-relaxed-simd`, which we switch on through `v8.setFlagsFromString`
 * before compiling (Node 22+ and current browsers need nothing).
 */
import { EMBEDDED_BUILDS } from "./binary.js";
import { isNode, nodeBuiltin } from "../../platform/node-builtins.js";
import { gunzip } from "../../platform/gunzip.js";

export type Variant = "relaxed-mt" | "simd-mt" | "relaxed-st" | "simd-st";

export interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
  abi_version(): number;
  set_threads(n: number): void;
  set_spin(n: number): void;
  usable_threads(): number;
  worker_main?(tid: number): void;
  shutdown_workers?(): void;
  gemm_scratch_floats(batch: number, m: number, n: number, k: number, abcast: number, threads: number): number;
  gemm_f32(
    c: number, a: number, abs: number, ars: number, acs: number,
    b: number, bbs: number, brs: number, bcs: number,
    batch: number, m: number, n: number, k: number, scratch: number,
  ): void;
  ew_unary(op: number, dt: number, out: number, x: number, desc: number): number;
  ew_binary(op: number, dt: number, out: number, a: number, b: number, desc: number): number;
  ew_where(sz: number, out: number, c: number, a: number, b: number, desc: number): number;
  ew_cast(from: number, to: number, out: number, x: number, desc: number): number;
  ew_copy(sz: number, out: number, x: number, desc: number): void;
  fill_bits(out: number, sz: number, n: number, lo: number, hi: number): void;
  zero_bytes(out: number, n: number): void;
  reduce(op: number, dt: number, out: number, x: number, desc: number): number;
  arg_reduce(op: number, dt: number, out: number, x: number, desc: number): number;
  copy_strided(sz: number, dst: number, src: number, desc: number): void;
  index_select(
    sz: number, out: number, x: number, index: number, istride: number, nidx: number,
    dimsize: number, osDim: number, xsDim: number, desc: number,
  ): number;
  index_add(
    dt: number, out: number, src: number, index: number, istride: number, nidx: number,
    dimsize: number, osDim: number, ssDim: number, desc: number,
  ): number;
  gather(sz: number, out: number, x: number, index: number, dim: number, dimsize: number, desc: number): number;
  scatter_add(dt: number, out: number, src: number, index: number, dim: number, dimsize: number, desc: number): number;
  im2col(sz: number, out: number, x: number, geo: number, padbits: number): void;
  // conv.c: float32 convolution keeping each sample's columns in a thread's scratch; 1 when done,
  // 0 where the caller should compose the column routines. op: 0 forward, 1 input grad, 2 weight grad.
  conv2d_scratch_floats(op: number, geo: number, O: number): number;
  conv2d_f32(out: number, x: number, w: number, wos: number, wks: number, bias: number, bstride: number, geo: number, O: number, scratch: number): number;
  conv2d_input_grad_f32(out: number, gy: number, gns: number, gos: number, gls: number, w: number, wos: number, wks: number, geo: number, O: number, scratch: number): number;
  conv2d_weight_grad_f32(out: number, gy: number, gns: number, gos: number, gls: number, x: number, geo: number, O: number, scratch: number): number;
  col2im(dt: number, out: number, cols: number, geo: number): void;
  maxpool2d_indices(dt: number, out: number, x: number, geo: number): void;
  maxpool2d(dt: number, out: number, x: number, geo: number): void;
  maxpool2d_backward(dx: number, x: number, g: number, geo: number): void;
  optimizer_step(kernel: number, bufs: number, consts: number, n: number): void;
}

export const ABI_VERSION = 5;

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0,
  32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

let relaxedChecked: boolean | undefined;


/** Whether relaxed-SIMD validates here (after enabling it in Node 20 when possible). */
export async function relaxedSimdAvailable(): Promise<boolean> {
  if (relaxedChecked !== undefined) return relaxedChecked;
  let ok = WebAssembly.validate(RELAXED_PROBE);
  if (!ok && isNode()) {
    try {
      const v8 = nodeBuiltin("v8", "the wasm backend in Node");
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      ok = WebAssembly.validate(RELAXED_PROBE);
    } catch {
      ok = false;
    }
  }
  relaxedChecked = ok;
  return ok;
}

function base64ToBytes(b64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(b64, "base64"));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const moduleCache = new Map<Variant, Promise<WebAssembly.Module>>();

export function compileVariant(v: Variant): Promise<WebAssembly.Module> {
  let p = moduleCache.get(v);
  if (!p) {
    p = (async () => {
      const load = EMBEDDED_BUILDS[v];
      if (!load) throw new Error(`wasm backend: no embedded build "${v}"`);
      const entry = await load();
      const bytes = await gunzip(base64ToBytes(entry.data));
      return WebAssembly.compile(bytes as BufferSource);
    })();
    moduleCache.set(v, p);
  }
  return p;
}

/** Can this runtime share memory between threads at all? */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (!isNode() && g.crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** True on a browser's main (window) thread, where Atomics.wait is not allowed. */
export function onBrowserMainThread(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown };
  return !isNode() && typeof g.window !== "undefined" && typeof g.document !== "undefined";
}

export { isNode };
