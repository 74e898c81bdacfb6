import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { loadFixture, assertClose } from "./helpers/fixtures.js";
import { NoiseSchedule, linearBetaSchedule, cosineBetaSchedule } from "../src/diffusion/schedule.js";
import { timestepEmbedding } from "../src/diffusion/embedding.js";
import { qSample, diffusionLoss } from "../src/diffusion/process.js";
import { ddpmStep, ddimStep, ddimTimesteps, sample } from "../src/diffusion/samplers.js";
import { EMA } from "../src/train/ema.js";
import { makeGrid } from "../src/diffusion/grid.js";
import { saveImageGrid } from "../src/diffusion/grid-png.js";
import { symmetricEigen, sqrtPsd, matmulSquare } from "../src/diffusion/metrics/linalg.js";
import { fitGaussian, frechetDistance } from "../src/diffusion/metrics/frechet.js";
import { decodePng } from "../src/data/png.js";
import { UNet, spaceToDepth, depthToSpace } from "../models/unet.js";
import { DDPM } from "../models/ddpm.js";

interface Fx {
  schedules: Record<"linear" | "cosine", { T: number; index: number[]; betas: number[]; alphasCumprod: number[]; posteriorVariance: number[]; sumBetas: number }>;
  embedding: { t: number[]; dim16: number[]; dim7: number[] };
  steps: {
    shape: number[];
    xt: number[];
    eps: number[];
    noise: number[];
    cases: { kind: "ddpm" | "ddim"; t: number; tPrev?: number; eta?: number; clip: boolean; out: number[] }[];
  };
  frechet: { n: number; dim: number; a: number[]; b: number[]; meanA: number[]; covA: number[]; fd: number; fdEig: number; fdSelf: number; sym: number[]; symEigenvalues: number[] };
}
const fx = loadFixture<Fx>("diffusion.json");

describe("noise schedules", () => {
  for (const name of ["linear", "cosine"] as const) {
    test(`${name} schedule matches the PyTorch float64 reference`, () => {
      const ref = fx.schedules[name];
      const s = NoiseSchedule.create({ schedule: name, timesteps: ref.T });
      const pick = (a: Float64Array) => ref.index.map((i) => a[i]!);
      assertClose(pick(s.betas), ref.betas, `${name} betas`, 1e-12, 1e-15);
      assertClose(pick(s.alphasCumprod), ref.alphasCumprod, `${name} alphasCumprod`, 1e-10, 1e-15);
      assertClose(pick(s.posteriorVariance), ref.posteriorVariance, `${name} posteriorVariance`, 1e-10, 1e-15);
      assert.ok(Math.abs(s.betas.reduce((a, b) => a + b, 0) - ref.sumBetas) < 1e-9);
    });
  }
  test("formulas: alphaBar is the running product, cosine alphaBar follows cos²", () => {
    const s = new NoiseSchedule(cosineBetaSchedule(50), "cosine");
    const f = (t: number) => Math.cos(((t / 50 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 10, 30, 48]) assert.ok(Math.abs(s.alphasCumprod[t]! - f(t + 1) / f(0)) < 1e-12);
    const lin = linearBetaSchedule(3, 0.1, 0.3);
    assertClose(Array.from(lin), [0.1, 0.2, 0.3], "linear betas", 1e-12, 1e-15);
    assert.throws(() => linearBetaSchedule(0), /positive integer/);
    assert.throws(() => NoiseSchedule.create({ schedule: "quadratic" as "linear" }), /unknown schedule/);
  });
});

test("timestep embedding matches guided-diffusion's timestep_embedding (PyTorch)", async () => {
  const t = nt.tensor(fx.embedding.t, { dtype: "int32" });
  const e16 = timestepEmbedding(t, 16);
  assert.deepEqual(e16.shape, [5, 16]);
  // float32 arguments up to 999 rad: compare with the float32 PyTorch values at float32 precision.
  assertClose(await e16.data(), fx.embedding.dim16, "dim 16", 1e-4, 2e-4);
  assertClose(await timestepEmbedding(t, 7).data(), fx.embedding.dim7, "dim 7 (odd, zero-padded)", 1e-4, 2e-4);
});

test("qSample: x_t = √ᾱ x0 + √(1-ᾱ) ε, with the right mean and variance", async () => {
  const s = NoiseSchedule.create({ schedule: "linear", timesteps: 1000 });
  nt.manualSeed(3);
  const n = 4000;
  const x0 = nt.full([2, n], 0.5);
  const noise = nt.randn([2, n]);
  const xt = qSample(s, x0, [10, 700], noise);
  const v = (await xt.data()) as Float32Array;
  const e = (await noise.data()) as Float32Array;
  for (const [row, t] of [[0, 10], [1, 700]] as const) {
    const a = Math.sqrt(s.alphasCumprod[t]!);
    const b = Math.sqrt(1 - s.alphasCumprod[t]!);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(v[row * n + i]! - (a * 0.5 + b * e[row * n + i]!)) < 1e-5);
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      m += v[row * n + i]!;
      m2 += v[row * n + i]! ** 2;
    }
    m /= n;
    const variance = m2 / n - m * m;
    assert.ok(Math.abs(m - a * 0.5) < 4 * b / Math.sqrt(n) + 1e-6, `mean at t=${t}: ${m} vs ${a * 0.5}`);
    assert.ok(Math.abs(variance - b * b) < 0.1 * b * b + 1e-6, `variance at t=${t}: ${variance} vs ${b * b}`);
  }
  assert.throws(() => qSample(s, x0, [0, 1000], noise), /outside \[0, 1000\)/);
});

describe("sampler steps vs the PyTorch float64 reference", () => {
  const s = NoiseSchedule.create({ schedule: "linear", timesteps: 1000 });
  const T = (v: number[]) => nt.tensor(v, { shape: fx.steps.shape });
  for (const c of fx.steps.cases) {
    test(`${c.kind} t=${c.t}${c.tPrev !== undefined ? ` → ${c.tPrev} η=${c.eta}` : ""}${c.clip ? " (clipped x0)" : ""}`, async () => {
      const opts = { clipDenoised: c.clip, noise: T(fx.steps.noise) };
      const out = c.kind === "ddpm" ? ddpmStep(s, T(fx.steps.xt), c.t, T(fx.steps.eps), opts) : ddimStep(s, T(fx.steps.xt), c.t, c.tPrev!, T(fx.steps.eps), c.eta!, opts);
      assertClose(await out.data(), c.out, `${c.kind} step`, 1e-4, 1e-4);
    });
  }
  test("ddimTimesteps: descending, distinct, from T-1 to 0", () => {
    assert.deepEqual(ddimTimesteps(1000, 5), [999, 749, 500, 250, 0]);
    assert.deepEqual(ddimTimesteps(10, 10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.throws(() => ddimTimesteps(10, 11), /steps/);
  });
});

function tinyDdpm(timesteps = 100): DDPM {
  nt.manualSeed(0);
  return DDPM.preset("tiny", { schedule: { timesteps } });
}

describe("U-Net and samplers on a tiny model", () => {
  test("U-Net output has the input's shape; conditional and null labels differ", async () => {
    const { unet } = tinyDdpm();
    const x = nt.randn([2, 1, 8, 8]);
    const t = nt.tensor([3, 50], { dtype: "int32" });
    const y = unet.forward(x, t, nt.tensor([0, 2], { dtype: "int32" }));
    assert.deepEqual(y.shape, [2, 1, 8, 8]);
    // Zero-initialised residual branches: perturb so labels matter, then compare.
    for (const p of unet.parameters()) p.assign(p.add(nt.randnLike(p).mul(0.05)));
    const yc = await unet.forward(x, t, nt.tensor([0, 2], { dtype: "int32" })).data();
    const yu = await unet.forward(x, t, null).data();
    assert.ok(yc.some((v, i) => Math.abs(v - yu[i]!) > 1e-6));
  });

  test("patchSize 2 stem: spaceToDepth/depthToSpace are inverses (PyTorch pixel_unshuffle order)", async () => {
    const x = nt.arange(0, 2 * 16).reshape([1, 2, 4, 4]);
    const s2d = spaceToDepth(x, 2);
    assert.deepEqual(s2d.shape, [1, 8, 2, 2]);
    // pixel_unshuffle: channel c*4 + i*2 + j holds x[c, 2h+i, 2w+j].
    assert.deepEqual(Array.from(await s2d.narrow(1, 1, 1).data()), [1, 3, 9, 11]);
    assert.deepEqual(Array.from(await depthToSpace(s2d, 2).data()), Array.from(await x.data()));
    const unet = new UNet({ imageSize: 8, baseChannels: 8, channelMult: [1, 2], numClasses: 0, groups: 4, attentionLevels: [], patchSize: 2 });
    assert.deepEqual(unet.forward(nt.randn([3, 1, 8, 8]), nt.tensor([1, 2, 3], { dtype: "int32" })).shape, [3, 1, 8, 8]);
  });

  test("28×28 (28→14→7) and 32×32 (32→16→8) U-Nets keep the image shape", () => {
    for (const size of [28, 32]) {
      const unet = new UNet({ imageSize: size, baseChannels: 8, channelMult: [1, 2, 2], groups: 4, numHeads: 2, attentionLevels: [2], numClasses: 10 });
      const y = unet.forward(nt.randn([1, 1, size, size]), nt.tensor([10], { dtype: "int32" }), nt.tensor([3], { dtype: "int32" }));
      assert.deepEqual(y.shape, [1, 1, size, size]);
    }
  });

  test("training loss backpropagates into every parameter", () => {
    const { unet, schedule } = tinyDdpm();
    const x0 = nt.rand([4, 1, 8, 8]).mul(2).sub(1);
    const loss = diffusionLoss(unet, schedule, x0, { labels: nt.tensor([0, 1, 2, 1], { dtype: "int32" }), nullLabel: 3, pUncond: 0.5 });
    assert.deepEqual(loss.shape, []);
    loss.backward();
    const missing = unet.namedParameters().filter(([, p]) => p.grad === null).map(([n]) => n);
    assert.deepEqual(missing, []);
  });

  for (const sampler of ["ddim", "ddpm"] as const) {
    test(`${sampler} sampling: shape, finite values, same seed → same samples, with guidance`, async () => {
      const ddpm = tinyDdpm(20);
      ddpm.unet.eval();
      for (const p of ddpm.unet.parameters()) p.assign(p.add(nt.randnLike(p).mul(0.05)));
      const run = async (seed: number) => {
        let calls = 0;
        const x = await ddpm.sample({ n: 3, sampler, steps: 4, eta: 0.5, labels: [0, 2, null], guidanceScale: 2, generator: new nt.Generator(seed), onStep: () => void calls++ });
        return { x: Array.from(await x.data()), shape: x.shape, calls };
      };
      const a = await run(7);
      const b = await run(7);
      const c = await run(8);
      assert.deepEqual(a.shape, [3, 1, 8, 8]);
      assert.equal(a.calls, sampler === "ddpm" ? 20 : 4);
      assert.ok(a.x.every(Number.isFinite));
      assert.deepEqual(a.x, b.x);
      assert.notDeepEqual(a.x, c.x);
    });
  }

  test("sample() frees its intermediates", async () => {
    const ddpm = tinyDdpm();
    const before = nt.memory().numTensors;
    const x = await ddpm.sample({ n: 2, steps: 3, labels: [1, 1], guidanceScale: 3, generator: new nt.Generator(1) });
    assert.equal(nt.memory().numTensors, before + 1);
    x.dispose();
  });

  test("checkpoint round trip: DDPM.save / DDPM.load rebuild the same model", async () => {
    const ddpm = tinyDdpm();
    for (const p of ddpm.unet.parameters()) p.assign(p.add(nt.randnLike(p).mul(0.05)));
    const dir = mkdtempSync(join(tmpdir(), "neurite-ddpm-"));
    try {
      const path = join(dir, "m.safetensors");
      await ddpm.save(path);
      const back = await DDPM.load(path);
      assert.deepEqual(back.config, ddpm.config);
      const x = nt.randn([1, 1, 8, 8]);
      const t = nt.tensor([5], { dtype: "int32" });
      assertClose(await back.unet.forward(x, t, null).data(), await ddpm.unet.forward(x, t, null).data(), "reloaded output", 1e-6, 1e-7);
      await nt.io.save(ddpm.unet.stateDict(), join(dir, "plain.safetensors"));
      await assert.rejects(DDPM.load(join(dir, "plain.safetensors")), /not a neurite DDPM checkpoint/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("EMA: shadow ← d·shadow + (1-d)·param, with warm-up decay", async () => {
  const lin = new nt.nn.Linear(2, 1);
  lin.weight.assign(nt.tensor([[1, 2]], { dtype: "float32" }));
  const ema = new EMA(lin, 0.9, false);
  lin.weight.assign(nt.tensor([[3, 4]], { dtype: "float32" }));
  ema.update(lin);
  assertClose(await ema.shadow.get("weight")!.data(), [0.9 * 1 + 0.1 * 3, 0.9 * 2 + 0.1 * 4], "ema weight", 1e-6, 1e-7);
  const warm = new EMA(lin, 0.999, true);
  assert.ok(Math.abs(warm.currentDecay() - 0.1) < 1e-12);
  warm.update(lin);
  assert.ok(Math.abs(warm.currentDecay() - 2 / 11) < 1e-12);
  const target = new nt.nn.Linear(2, 1);
  ema.copyTo(target);
  assertClose(await target.weight.data(), [1.2, 2.2], "copyTo", 1e-6, 1e-7);
  ema.dispose();
  warm.dispose();
});

describe("Fréchet distance", () => {
  test("Jacobi eigenvalues match numpy.linalg.eigvalsh; sqrtPsd squares back", () => {
    const { values, vectors } = symmetricEigen(Float64Array.from(fx.frechet.sym), 5);
    assertClose(values, fx.frechet.symEigenvalues, "eigenvalues", 1e-10, 1e-12);
    // Orthonormal eigenvectors.
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) {
      let d = 0;
      for (let i = 0; i < 5; i++) d += vectors[i * 5 + a]! * vectors[i * 5 + b]!;
      assert.ok(Math.abs(d - (a === b ? 1 : 0)) < 1e-10);
    }
    const cov = Float64Array.from(fx.frechet.covA);
    const r = sqrtPsd(cov, fx.frechet.dim);
    assertClose(matmulSquare(r, r, fx.frechet.dim), cov, "sqrt² = A", 1e-9, 1e-10);
  });

  test("matches numpy (eigh formulation and eigvals of Σ₁Σ₂)", () => {
    const { n, dim } = fx.frechet;
    const a = fitGaussian(fx.frechet.a, n, dim);
    const b = fitGaussian(fx.frechet.b, n, dim);
    assertClose(a.mean, fx.frechet.meanA, "mean", 1e-12, 1e-12);
    assertClose(a.cov, fx.frechet.covA, "cov (numpy.cov)", 1e-10, 1e-12);
    const fd = frechetDistance(a, b);
    assert.ok(Math.abs(fd - fx.frechet.fd) < 1e-8 * fx.frechet.fd, `${fd} vs ${fx.frechet.fd}`);
    assert.ok(Math.abs(fd - fx.frechet.fdEig) < 1e-8 * fx.frechet.fd);
    assert.ok(frechetDistance(a, a) < 1e-8);
    assert.ok(Math.abs(frechetDistance(a, b) - frechetDistance(b, a)) < 1e-8);
  });
});

test("PNG sample grid: written with pngjs and decodable, pixels in place", async () => {
  const img = makeGrid(Float32Array.from([-1, 1, 0, 1, 1, 1, 1, 1]), [2, 1, 2, 2], { nrow: 2, padding: 1 });
  assert.equal(img.width, 2 * 2 + 3);
  assert.equal(img.height, 2 + 2);
  assert.equal(img.data[1 * img.width + 1], 0); // first image top-left = -1 → 0
  assert.equal(img.data[1 * img.width + 2], 255);
  assert.equal(img.data[2 * img.width + 1], 128); // 0 → 127.5 → 128
  const dir = mkdtempSync(join(tmpdir(), "neurite-grid-"));
  try {
    const path = join(dir, "g.png");
    const x = nt.rand([6, 1, 5, 5]).mul(2).sub(1);
    await saveImageGrid(x, path, { nrow: 3 });
    const back = await decodePng(new Uint8Array(readFileSync(path)));
    assert.equal(back.width, 3 * 5 + 4 * 2);
    assert.equal(back.height, 2 * 5 + 3 * 2);
    assert.equal(back.channels, 1);
    const v = (await x.data()) as Float32Array;
    assert.equal(back.data[2 * back.width + 2], Math.round(255 * ((v[0]! + 1) / 2)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
