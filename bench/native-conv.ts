/**
 * The native backend's fused convolutions (native/conv.c: each sample's columns in a thread's
 * cache-sized scratch) against the same routines composed from im2col, matmul and col2im over
 * the whole batch (conv-by-columns.ts, what the other backends run), interleaved in one process.
 * Default shape: the BENCH CNN's second layer (32 -> 64 channels, 3x3, padding 1, 14x14, batch 128).
 * The composed forward and input gradient are what training ran before, the composed weight
 * gradient adds an im2col the old forward had saved.
 *
 *   node --import tsx bench/native-conv.ts [--threads 2] [--shape N,C,H,W,O] [--rounds 15]
 */
import { parseArgs } from "node:util";
import * as nt from "../src/index.js";
import "../src/backend/register-native.js";
import { CpuBackend } from "../src/backend/cpu/cpu-backend.js";
import type { Backend, WindowGeometry } from "../src/backend/backend.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" }, shape: { type: "string", default: "128,32,14,14,64" }, rounds: { type: "string", default: "15" } } });
await nt.setBackend("native");
nt.setNumThreads(Number(values.threads));
const be = (await nt.initBackend("native")) as Backend;
const [N, C, H, W, O] = values.shape!.split(",").map(Number) as [number, number, number, number, number];
const g: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
const x = nt.randn([N, C, H, W]);
const w = nt.randn([O, C * 9]);
const bias = nt.randn([O]);
const gy = nt.randn([N, O, H * W]);
// The cpu backend's methods compose the column routines; called on the native backend, they run its kernels.
const composed = CpuBackend.prototype;
const pairs: [string, () => ReturnType<Backend["conv2d"]>, () => ReturnType<Backend["conv2d"]>][] = [
  ["forward (with bias)", () => be.conv2d(x, w, bias, g), () => composed.conv2d.call(be, x, w, bias, g)],
  ["input gradient", () => be.conv2dInputGrad(gy, w, g, [N, C, H, W]), () => composed.conv2dInputGrad.call(be, gy, w, g, [N, C, H, W])],
  ["weight gradient", () => be.conv2dWeightGrad(gy, x, g), () => composed.conv2dWeightGrad.call(be, gy, x, g)],
];
const median = (ts: number[]) => [...ts].sort((a, b) => a - b)[ts.length >> 1]!;
const time = (f: () => ReturnType<Backend["conv2d"]>): number => {
  const t = performance.now();
  const out = f();
  const dt = performance.now() - t;
  be.free(out);
  return dt;
};
console.log(`conv ${values.shape} (N,C,H,W,O), 3x3 padding 1, ${nt.getNumThreads()} thread(s), ${values.rounds} interleaved rounds, median ms`);
for (const [name, fused, cols] of pairs) {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    a.push(time(fused));
    b.push(time(cols));
  }
  console.log(`${name.padEnd(20)} fused ${median(a).toFixed(2).padStart(7)}   composed ${median(b).toFixed(2).padStart(7)}   ratio ${(median(b) / median(a)).toFixed(2)}x`);
}
