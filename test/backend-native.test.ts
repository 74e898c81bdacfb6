/**
 * The native backend: whether it loads (and the reason when not), its BLAS matmul on every
 * operand layout against the cpu backend, and that browser code never reaches it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as nt from "../src/index.js";
import { nativeStatus } from "../src/backend/register-native.js";

const status = await nativeStatus();
const cpuFlags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1]?.split(/\s+/) ?? [];
// Prebuilt for linux-x64 with AVX2 + FMA and for linux-arm64 (whose baseline has NEON).
const shouldLoad = process.platform === "linux" && (process.arch === "arm64" || (process.arch === "x64" && cpuFlags.includes("avx2") && cpuFlags.includes("fma")));

test("the native backend loads on linux-x64 with AVX2+FMA and on linux-arm64, else says why", () => {
  if (shouldLoad) {
    assert.equal(status.available, true, `native did not load: ${status.reason}`);
    assert.match(status.blas!, /^OpenBLAS 0\.3\.\d+/);
    assert.ok(status.threads! >= 1);
  } else {
    assert.equal(status.available, false);
    assert.match(status.reason!, /native|prebuilt|CPU/);
  }
});

test("native matmul equals the cpu backend's on transposed, strided, broadcast and degenerate operands (or setBackend says why not)", async () => {
  if (!status.available) {
    await assert.rejects(nt.setBackend("native"), (e: Error) => e.message === status.reason);
    assert.notEqual(nt.getBackend(), "native");
    return;
  }
  const cases: Array<[string, (x: nt.Tensor, y: nt.Tensor) => nt.Tensor, number[], number[]]> = [
    ["plain", (x, y) => x.matmul(y), [5, 7], [7, 3]],
    ["a transposed", (x, y) => x.transpose(0, 1).matmul(y), [7, 5], [7, 3]],
    ["b transposed", (x, y) => x.matmul(y.transpose(0, 1)), [5, 7], [3, 7]],
    ["both transposed, batched", (x, y) => x.transpose(1, 2).matmul(y.transpose(1, 2)), [4, 7, 5], [4, 3, 7]],
    ["broadcast batch", (x, y) => x.matmul(y), [5, 7], [6, 7, 3]],
    ["vector times matrix", (x, y) => x.matmul(y), [7], [7, 3]],
    ["matrix times vector", (x, y) => x.matmul(y), [5, 7], [7]],
    ["k = 1", (x, y) => x.matmul(y), [5, 1], [1, 3]],
    ["k = 0", (x, y) => x.matmul(y), [5, 0], [0, 3]],
    // large enough to be cut into blocks for the thread pool: rows, columns, batch items
    ["blocks of rows, a transposed", (x, y) => x.transpose(0, 1).matmul(y), [200, 300], [200, 130]],
    ["blocks of columns, b transposed", (x, y) => x.matmul(y.transpose(0, 1)), [100, 200], [333, 200]],
    ["blocks of a batch", (x, y) => x.matmul(y), [3, 150, 100], [3, 100, 120]],
  ];
  for (const [name, f, sa, sb] of cases) {
    await nt.setBackend("cpu");
    const a = nt.randn(sa);
    const b = nt.randn(sb);
    const want = await f(a, b).data();
    await nt.setBackend("native");
    const got = await f(a.to("native"), b.to("native")).data();
    assert.equal(got.length, want.length, name);
    // summation orders differ (BLAS blocks vs the cpu loop): 1e-4 relative, far below a wrong layout's O(1) error
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-4 * Math.max(1, Math.abs(w)), `${name}[${i}]: ${got[i]} vs ${w}`));
  }
  // Every other element of a row: neither row- nor column-major, so the operand is copied first.
  await nt.setBackend("native");
  const wide = nt.randn([5, 14]);
  const strided = wide.reshape([5, 7, 2]).narrow(2, 0, 1).reshape([5, 7]);
  const y = nt.randn([7, 3]);
  const got = await strided.matmul(y).data();
  const want = await strided.contiguous().matmul(y).data();
  assert.deepEqual(Array.from(got), Array.from(want));
  await nt.setBackend("cpu");
});

test("native kernels on the thread pool agree with one thread, and reused result arrays start clean", async () => {
  if (!status.available) return;
  await nt.setBackend("native");
  const x = nt.randn([64, 256, 64]);
  const run = async () => [await x.exp().sum([1]).data(), await x.transpose(0, 2).contiguous().data(), await x.max(2).data()];
  const threads = nt.getNumThreads();
  nt.setNumThreads(1);
  const one = await run();
  nt.setNumThreads(Math.max(2, threads));
  const all = await run();
  nt.setNumThreads(threads);
  one.forEach((a, k) => a.forEach((v, i) => assert.ok(Math.abs(all[k]![i]! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `result ${k}[${i}]: ${all[k]![i]} vs ${v}`)));
  // Free arrays of the results' size first: zeros, and the scatterAdd of gather's gradient, must still start from 0.
  for (let i = 0; i < 3; i++) nt.full([8, 100], 7).dispose();
  assert.ok((await nt.zeros([8, 100]).data()).every((v) => v === 0));
  for (let i = 0; i < 3; i++) nt.full([8, 100], 7).dispose();
  const w = nt.ones([8, 100], { requiresGrad: true });
  w.gather(1, nt.zeros([8, 3], { dtype: "int32" })).sum().backward();
  const g = await w.grad!.data();
  assert.equal(Array.from(g).reduce((a, b) => a + b, 0), 24);
  assert.equal(g[0], 3);
  await nt.setBackend("cpu");
});

test("only Node-only code imports the native backend (browser bundles never see it)", () => {
  const src = new URL("../src/", import.meta.url).pathname;
  const allowed = /^(node\.ts|cli\/|backend\/register-native\.ts|backend\/native\/)/;
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) {
        const rel = relative(src, path);
        if (!allowed.test(rel) && /from\s+["'][^"']*(register-native|\/native\/)[^"']*["']|import\(["'][^"']*(register-native|\/native\/)/.test(readFileSync(path, "utf8"))) offenders.push(rel);
      }
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
});

test("native max pooling and the conv weight gradient equal the cpu backend's, on one thread and the pool, from reused arrays", async () => {
  if (!status.available) return;
  const run = async (backend: string, threads?: number) => {
    await nt.setBackend(backend);
    const saved = nt.getNumThreads();
    if (threads) nt.setNumThreads(threads);
    nt.manualSeed(7);
    const out: Float32Array[] = [];
    for (const [shape, k, opts] of [[[16, 8, 28, 28], 2, {}], [[3, 4, 9, 11], 2, {}], [[2, 3, 7, 6], 3, { stride: 2, padding: 1 }]] as const) {
      // dirty arrays of the gradient's size in the pool: the backward must not rely on zeros
      for (let i = 0; i < 3; i++) nt.full([...shape], 7).dispose();
      const x = nt.randn([...shape], { requiresGrad: true });
      const w = nt.randn([5, shape[1], 3, 3], { requiresGrad: true });
      const y = nt.F.maxPool2d(nt.F.conv2d(x, w, null, { padding: 1 }).relu(), k, opts) as nt.Tensor;
      y.mul(nt.randn(y.shape)).sum().backward();
      out.push((await y.data()) as Float32Array, (await x.grad!.data()) as Float32Array, (await w.grad!.data()) as Float32Array);
    }
    nt.setNumThreads(saved);
    return out;
  };
  const want = await run("cpu");
  for (const threads of [1, 2]) {
    const got = await run("native", threads);
    got.forEach((a, k) => a.forEach((v, i) => assert.ok(Math.abs(want[k]![i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${threads} thread(s), result ${k}[${i}]: ${v} vs ${want[k]![i]}`)));
  }
  await nt.setBackend("cpu");
});

test("native fused convolutions equal the cpu backend's on strided inputs, transposed weights and gradients, per sample and composed", async () => {
  if (!status.available) return;
  const g = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 2] as [number, number] };
  const run = async (backend: string, threads: number, N: number) => {
    await nt.setBackend(backend);
    const saved = nt.getNumThreads();
    nt.setNumThreads(threads);
    nt.manualSeed(11);
    // dirty pooled arrays of the results' sizes: the kernels must write every element
    for (let i = 0; i < 3; i++) nt.full([N * 3 * 32 * 40], 7).dispose();
    const x = nt.randn([N, 3, 32, 44]).narrow(3, 2, 40); // strided rows
    const wT = nt.randn([18, 8]).transpose(0, 1); // [O, K] stored as [K, O]
    const bias = nt.randn([2, 8]).narrow(0, 1, 1).reshape(8); // a view at an offset
    const y = nt.convolution(x, wT, g, bias);
    const gy = nt.randn([N, y.shape[2]!, 8]).transpose(1, 2); // [N, O, L] stored as [N, L, O]
    const out = [y, nt.convolutionInputGrad(gy, wT, g, [N, 3, 32, 40]), nt.convolutionWeightGrad(gy, x, g)].map((t) => t.dataSync() as Float32Array);
    nt.setNumThreads(saved);
    return out;
  };
  // On 2 threads, N = 3 would leave a thread idle per sample, so the native backend composes the
  // column routines; N = 9 runs per sample on the pool; 1 thread runs per sample inline.
  for (const N of [3, 9]) {
    const want = await run("cpu", 1, N);
    for (const threads of [1, 2]) {
      const got = await run("native", threads, N);
      got.forEach((a, k) => {
        assert.equal(a.length, want[k]!.length);
        a.forEach((v, i) => assert.ok(Math.abs(want[k]![i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `N ${N}, ${threads} thread(s), result ${k}[${i}]: ${v} vs ${want[k]![i]}`));
      });
    }
  }
  await nt.setBackend("cpu");
});

test("native convolutions at the edges: a 1x1 output, one input channel with a 1x1 strided kernel, one sample", async () => {
  if (!status.available) return;
  const cases = [
    { x: [6, 3, 3, 3], w: [4, 3, 3, 3], o: {} }, // oh*ow = 1
    { x: [6, 1, 5, 5], w: [2, 1, 1, 1], o: { stride: 2 } }, // C*kh*kw = 1
    { x: [1, 2, 6, 5], w: [3, 2, 2, 3], o: { padding: 1 } },
  ] as const;
  const run = async (backend: string) => {
    await nt.setBackend(backend);
    nt.manualSeed(13);
    return cases.map((c) => {
      const x = nt.randn([...c.x], { requiresGrad: true });
      const w = nt.randn([...c.w], { requiresGrad: true });
      const b = nt.randn([c.w[0]], { requiresGrad: true });
      const y = nt.F.conv2d(x, w, b, c.o);
      y.mul(nt.randn(y.shape)).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => t.dataSync() as Float32Array);
    });
  };
  const want = await run("cpu");
  const got = await run("native");
  got.forEach((results, i) => results.forEach((a, k) => a.forEach((v, j) => assert.ok(Math.abs(want[i]![k]![j]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `case ${i}, result ${k}[${j}]: ${v} vs ${want[i]![k]![j]}`))));
  await nt.setBackend("cpu");
});
