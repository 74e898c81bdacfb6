/**
 * The fused convolutions of the native and wasm backends (wasm/src/conv.c: each sample's columns
 * in a thread's cache-sized scratch) against the same routines composed from im2col, matmul and
 * col2im over the whole batch (conv-by-columns.ts, what the cpu and WebGPU backends run, and what
 * these two ran before), interleaved in one process.
 * Default shape: the BENCH CNN's second layer (32 -> 64 channels, 3x3, padding 1, 14x14, batch 128).
 * The composed forward and input gradient are what training ran before, the composed weight
 * gradient adds an im2col the old forward had saved.
 *
 *   node --import tsx bench/conv-fused.ts [--backend native|wasm] [--threads 2] [--shape N,C,H,W,O] [--rounds 15]
 */
import { parseArgs } from "node:util";
import * as nt from "../src/index.js";
import "../src/backend/register-native.js";
import { convolutionByColumns, convolutionInputGradByColumns, convolutionWeightGradByColumns } from "../src/backend/conv-by-columns.js";
import type { Backend, BackendBuffer, WindowGeometry } from "../src/backend/backend.js";

const { values } = parseArgs({
  options: { backend: { type: "string", default: "native" }, threads: { type: "string", default: "2" }, shape: { type: "string", default: "128,32,14,14,64" }, rounds: { type: "string", default: "15" } },
});
await nt.setBackend(values.backend!);
nt.setNumThreads(Number(values.threads));
const be = (await nt.initBackend(values.backend!)) as Backend;
const [N, C, H, W, O] = values.shape!.split(",").map(Number) as [number, number, number, number, number];
const g: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
const x = nt.randn([N, C, H, W]);
const w = nt.randn([O, C * 9]);
const bias = nt.randn([O]);
const gy = nt.randn([N, O, H * W]);
// The composed routines, run on this backend's own im2col, matmul and col2im kernels.
const pairs: [string, () => BackendBuffer, () => BackendBuffer][] = [
  ["forward (with bias)", () => be.conv2d(x, w, bias, g), () => convolutionByColumns(be, x, w, bias, g)],
  ["input gradient", () => be.conv2dInputGrad(gy, w, g, [N, C, H, W]), () => convolutionInputGradByColumns(be, gy, w, g, [N, C, H, W])],
  ["weight gradient", () => be.conv2dWeightGrad(gy, x, g), () => convolutionWeightGradByColumns(be, gy, x, g)],
];
const median = (ts: number[]) => [...ts].sort((a, b) => a - b)[ts.length >> 1]!;
const time = (f: () => BackendBuffer): number => {
  const t = performance.now();
  const out = f();
  const dt = performance.now() - t;
  be.free(out);
  return dt;
};
console.log(`${values.backend}: conv ${values.shape} (N,C,H,W,O), 3x3 padding 1, ${nt.getNumThreads()} thread(s), ${values.rounds} interleaved rounds, median ms`);
for (const [name, fused, cols] of pairs) {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    a.push(time(fused));
    b.push(time(cols));
  }
  console.log(`${name.padEnd(20)} fused ${median(a).toFixed(2).padStart(7)}   composed ${median(b).toFixed(2).padStart(7)}   ratio ${(median(b) / median(a)).toFixed(2)}x`);
}
