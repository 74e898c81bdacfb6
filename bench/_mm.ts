import { createWasmBackend } from "../src/backend/wasm/index.js";
const be = await createWasmBackend({ threads: 2 });
const f = (n: number) => be.upload("float32", Float32Array.from({ length: n }, () => Math.random() - 0.5));
const v = (buf: any, shape: number[], strides: number[]) => ({ buf, shape, strides, offset: 0, dtype: "float32" as const });
const W = f(64 * 288), cols = f(128 * 288 * 196), g = f(128 * 64 * 196), A1 = f(1024 * 1024);
const cases: [string, () => any, number][] = [
  ["sq1024", () => be.matmul(v(A1, [1, 1024, 1024], [0, 1024, 1]), v(A1, [1, 1024, 1024], [0, 1024, 1])), 2 * 1024 ** 3],
  ["conv2 fwd", () => be.matmul(v(W, [128, 64, 288], [0, 288, 1]), v(cols, [128, 288, 196], [288 * 196, 196, 1])), 2 * 128 * 64 * 288 * 196],
  ["conv2 dW", () => be.matmul(v(g, [128, 64, 196], [64 * 196, 196, 1]), v(cols, [128, 196, 288], [288 * 196, 1, 196])), 2 * 128 * 64 * 288 * 196],
  ["conv2 dX", () => be.matmul(v(W, [128, 288, 64], [0, 1, 288]), v(g, [128, 64, 196], [64 * 196, 196, 1])), 2 * 128 * 64 * 288 * 196],
];
for (let r = 0; r < 3; r++) for (const [name, fn, fl] of cases) {
  for (const th of [1, 2]) {
    be.setThreads(th);
    be.free(fn()); be.free(fn());
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) { const t = performance.now(); be.free(fn()); ts.push(performance.now() - t); }
    ts.sort((a, b) => a - b);
    console.log(r, name, th, (fl / ts[2] / 1e6).toFixed(1), "GFLOP/s", ts[2].toFixed(1), "ms");
  }
}
await be.dispose();
