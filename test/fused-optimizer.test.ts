/**
 * Fused optimizer steps (Backend.optimizerStep): on every backend under test, the fused step
 * gives bit-identical parameters and state to the composed ops it replaces, matches PyTorch's
 * fixtures, updates in place, and leaves tensors that share a parameter's storage untouched.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nt from "../src/index.js";
import * as optim from "../src/optim/index.js";
import type { Optimizer } from "../src/optim/index.js";
import type { Tensor } from "../src/index.js";
import { setFusedOptimizerSteps } from "../src/optim/fused-step.js";
import { CpuBackend } from "../src/backend/cpu/cpu-backend.js";
import { optimizerBufferCount, runOptimizerKernel } from "../src/backend/optimizer-kernels.js";
import type { OptimizerKernel } from "../src/backend/backend.js";
import { backendsUnderTest } from "./helpers/backends.js";

type Options = Record<string, unknown>;
type Kind = "SGD" | "Adam" | "AdamW" | "RMSprop";
interface OptimizerCase {
  name: string;
  optimizer: Kind;
  options: Options;
  groups: Array<{ params: number[] } & Options> | null;
  mode: "grads" | "loss";
  shapes: number[][];
  init: number[][];
  grads: Array<Array<number[] | null>> | null;
  expected: number[][][];
}

const cases = (JSON.parse(readFileSync(new URL("./fixtures/optim/optimizers.json", import.meta.url), "utf8")) as { cases: OptimizerCase[] }).cases;
const CTORS = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop } as unknown as Record<Kind, new (p: unknown, o: Options) => Optimizer>;

/** Every flag of every fused kernel, on tensors large enough to use the wasm thread pool. */
const CONFIGS: Array<[Kind, Options]> = [
  ["SGD", { lr: 0.1 }],
  ["SGD", { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ["SGD", { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02, maximize: true }],
  ["Adam", { lr: 0.01 }],
  ["Adam", { lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true }],
  ["AdamW", { lr: 0.01, betas: [0.8, 0.99], weightDecay: 0.05, amsgrad: true }],
  ["RMSprop", { lr: 0.01 }],
  ["RMSprop", { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01, maximize: true }],
  ["RMSprop", { lr: 0.01, alpha: 0.9, momentum: 0.5 }],
];

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

/** Runs `steps` steps from fixed data; returns the parameters and state tensors, read back. */
async function trajectory(kind: Kind, options: Options, fused: boolean, shapes: number[][], steps: number): Promise<Float32Array[]> {
  const was = setFusedOptimizerSteps(fused);
  try {
    const params = shapes.map((shape, i) => nt.tensor(rand(shape.reduce((a, b) => a * b, 1), 7 + i), { shape, requiresGrad: true }));
    const opt = new CTORS[kind](params, options);
    for (let k = 0; k < steps; k++) {
      params.forEach((p, i) => {
        p.grad?.dispose();
        p.grad = nt.tensor(rand(p.size, 100 * k + i), { shape: p.shape }).keep();
      });
      opt.step();
    }
    const out: Float32Array[] = [];
    for (const p of params) out.push(Float32Array.from(await p.data()));
    const sd = opt.stateDict();
    for (const entry of Object.values(sd.state)) {
      for (const key of Object.keys(entry).sort()) {
        const v = entry[key];
        if (v instanceof nt.Tensor) out.push(Float32Array.from(await v.data()));
      }
    }
    nt.dispose(sd.state);
    opt.dispose();
    for (const p of params) p.dispose();
    return out;
  } finally {
    setFusedOptimizerSteps(was);
  }
}

function assertBitIdentical(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: number of tensors`);
  a.forEach((x, t) => {
    const bx = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const by = new Uint32Array(b[t]!.buffer, b[t]!.byteOffset, b[t]!.length);
    for (let i = 0; i < bx.length; i++) {
      if (bx[i] !== by[i]) assert.fail(`${what}: tensor ${t} element ${i}: fused ${x[i]} vs composed ${b[t]![i]}`);
    }
  });
}

/** Values that vectorised kernels could get wrong: NaN, ±inf, ±0, subnormals, the largest floats. */
const SPECIALS = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-20];

/** rand() with every fifth element (in a scattered pattern) replaced by a special value. */
function salted(n: number, seed: number): Float32Array {
  const out = rand(n, seed);
  for (let i = 0; i < n; i++) if ((i * 7 + seed) % 5 === 0) out[i] = SPECIALS[(i * 13 + seed) % SPECIALS.length]!;
  return out;
}

/** Every flag of every kernel, as raw constants (optimizer-kernels.ts's index order). */
const RAW_CONFIGS: Array<[OptimizerKernel, number[]]> = [
  ...[0, 1].flatMap((ams) => [0, 0.1].map((l2): [OptimizerKernel, number[]] => ["adam", [-1, 0.99, l2, 0.9, 0.1, 0.999, 0.001, 0.03, 1e-8, -1e-3, ams]])),
  ...[0, 1].flatMap((nest) => [0, 1].flatMap((init) => [0, 1].map((mom): [OptimizerKernel, number[]] => ["sgd", [1, 0.01, 0.9, 0.9, nest, -0.1, init, mom]]))),
  ...[0, 1].flatMap((cen) => [0, 1].map((mom): [OptimizerKernel, number[]] => ["rmsprop", [-1, 0.01, 0.99, 0.01, 1e-8, 0.9, -0.01, cen, mom]])),
];

/** Bit-equal, except that any NaN matches any NaN (payloads are not specified). */
function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : g[i] === w[i];
    if (!ok) assert.fail(`${what} element ${i}: ${got[i]} vs reference ${want[i]}`);
  }
}

const backends = await backendsUnderTest();

for (const backend of backends) {
  describe(`fused optimizer steps on ${backend}`, () => {
    test("match PyTorch's fixtures (max rel err 1e-5)", async () => {
      await nt.setBackend(backend);
      for (const c of cases.filter((x) => x.mode === "grads")) {
        const params = c.init.map((v, i) => nt.tensor(Float32Array.from(v), { shape: c.shapes[i]!, requiresGrad: true }));
        const groups = c.groups?.map(({ params: idx, ...rest }) => ({ ...rest, params: idx.map((i) => params[i]!) }));
        const opt = new CTORS[c.optimizer](groups ?? params, c.options);
        for (let k = 0; k < c.expected.length; k++) {
          params.forEach((p, i) => {
            p.grad?.dispose();
            const g = c.grads![k]![i];
            p.grad = g ? nt.tensor(Float32Array.from(g), { shape: p.shape }).keep() : null;
          });
          opt.step();
          for (const [i, p] of params.entries()) {
            const got = await p.data();
            const want = c.expected[k]![i]!;
            want.forEach((e, j) => {
              const err = Math.abs(got[j]! - e) / Math.max(Math.abs(e), 1e-6);
              assert.ok(err <= 1e-5, `${c.name} step ${k + 1} param ${i}[${j}]: ${got[j]} vs PyTorch ${e}`);
            });
          }
        }
        opt.dispose();
        for (const p of params) p.dispose();
      }
    });

    for (const [kind, options] of CONFIGS) {
      test(`${kind} ${JSON.stringify(options)}: fused = composed, bit for bit, over 4 steps`, async () => {
        await nt.setBackend(backend);
        const shapes = [[300, 257], [257], [3]];
        const fused = await trajectory(kind, options, true, shapes, 4);
        const composed = await trajectory(kind, options, false, shapes, 4);
        if (backend === "webgpu") {
          // GPU division and sqrt are not correctly rounded; both paths agree to float32 rounding.
          fused.forEach((x, t) => x.forEach((v, i) => assert.ok(Math.abs(v - composed[t]![i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `tensor ${t}[${i}]`)));
        } else {
          assertBitIdentical(fused, composed, `${kind} on ${backend}`);
        }
      });
    }

    test("kernels equal the reference bit for bit on special values, for every flag", async () => {
      if (backend === "webgpu") return; // GPU division and sqrt are not correctly rounded (see above)
      await nt.setBackend(backend);
      const be = nt.tensor([0]).backend;
      if (!be.optimizerStep) return;
      // Long enough for the wasm thread pool, and not a multiple of the vector width (the scalar tail runs too).
      const n = 70_003;
      for (const [kernel, values] of RAW_CONFIGS) {
        const c = new Float32Array(12);
        c.set(values);
        const host = Array.from({ length: optimizerBufferCount(kernel, c) }, (_, i) => salted(n, 11 + 17 * i));
        const want = host.map((a) => a.slice());
        runOptimizerKernel(kernel, want, c);
        const bufs = host.map((a) => be.upload("float32", a));
        try {
          be.optimizerStep(kernel, bufs, c);
          bufs.forEach((b, i) => sameBits(be.readSync(b) as Float32Array, want[i]!, `${kernel} ${JSON.stringify(values)} on ${backend}: buffer ${i}`));
        } finally {
          for (const b of bufs) be.free(b);
        }
      }
    });

    test("updates the parameter in place; a view taken before the step keeps the old values", async () => {
      await nt.setBackend(backend);
      const p = nt.tensor(Float32Array.from([1, 2, 3, 4]), { shape: [4], requiresGrad: true });
      const opt = new optim.Adam([p], { lr: 0.1 });
      p.grad = nt.ones([4]).keep();
      opt.step();
      const buf = p.buf;
      opt.step();
      if (p.backend.optimizerStep) assert.equal(p.buf, buf, "the fused step writes into the parameter's buffer");
      const view = p.reshape([2, 2]);
      const before = Array.from(await view.data());
      opt.step();
      assert.deepEqual(Array.from(await view.data()), before, "a view shares the storage, so the step gives the parameter a copy first");
      assert.notDeepEqual(Array.from(await p.data()), before);
      view.dispose();
      opt.dispose();
      p.dispose();
    });

    test("a Linear training step copies no parameter and no gradient (inside one tidy, as train loops run it)", async () => {
      await nt.setBackend(backend);
      nt.manualSeed(0);
      const model = new nt.nn.Sequential(new nt.nn.Linear(12, 8), new nt.nn.ReLU(), new nt.nn.Linear(8, 3));
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const x = nt.randn([5, 12]);
      const y = nt.tensor(Int32Array.from([0, 1, 2, 0, 1]), { shape: [5], dtype: "int32" });
      const shapes = new Set(model.parameters().map((q) => q.shape.join("x")));
      const be = x.backend as { contiguous(v: { shape: readonly number[] }): unknown };
      const original = be.contiguous;
      const copied: string[] = [];
      be.contiguous = function (this: unknown, v: { shape: readonly number[] }) {
        if (shapes.has(v.shape.join("x"))) copied.push(v.shape.join("x"));
        return original.call(this, v);
      };
      try {
        for (let k = 0; k < 2; k++) {
          nt.tidy(() => {
            opt.zeroGrad();
            nt.nn.functional.crossEntropy(model.forward(x) as Tensor, y).backward();
            opt.step();
          });
        }
      } finally {
        be.contiguous = original;
      }
      if (be.constructor.prototype.optimizerStep) assert.deepEqual(copied, [], "copies of parameter-shaped tensors");
      // Gradients stay independent tensors even where one backward gradient reaches two leaves.
      const a = nt.ones([4], { requiresGrad: true }), b = nt.ones([4], { requiresGrad: true });
      a.add(b).sum().backward();
      const sgd = new optim.SGD([a], { lr: 1 });
      sgd.step();
      assert.deepEqual(Array.from(await b.grad!.data()), [1, 1, 1, 1]);
      assert.notEqual(a.grad!.buf, b.grad!.buf);
      for (const t of [a, b, x, y]) t.dispose();
      sgd.dispose();
      opt.dispose();
      model.dispose();
    });
  });
}

test("optimizerStep rejects wrong buffers with a message naming the kernel", () => {
  const cpu = new CpuBackend();
  const c = new Float32Array(12);
  const p = cpu.upload("float32", new Float32Array(4));
  const g = cpu.upload("float32", new Float32Array(3));
  assert.throws(() => cpu.optimizerStep("adam", [p, g], c), /cpu backend: optimizerStep\(adam\): expected 4 buffers/);
  assert.throws(() => cpu.optimizerStep("sgd", [p, g], c), /optimizerStep\(sgd\): buffer 1 has 3 elements, the parameter has 4/);
  const i = cpu.upload("int32", new Int32Array(4));
  assert.throws(() => cpu.optimizerStep("sgd", [p, i], c), /buffer 1 is int32, expected float32/);
  assert.throws(() => cpu.optimizerStep("sgd", [p, p], new Float32Array(3)), /expected 12 constants, got 3/);
});
