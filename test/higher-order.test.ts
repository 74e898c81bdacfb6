/**
 * Higher-order gradients: backward({ createGraph }) and nt.autograd.grad. Double-backward
 * finite-difference checks in float64 for every op case (so every primitive's gradient rule is
 * differentiable in turn), PyTorch fixtures for a WGAN-GP gradient penalty and a Hessian-vector
 * product on every backend, and the API's errors.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { OP_CASES } from "./helpers/op-cases.js";
import { assertClose, fromFixture, loadFixture, type FixtureTensor } from "./helpers/fixtures.js";
import { gradgradcheck } from "./helpers/gradgradcheck.js";
import { backendsUnderTest } from "./helpers/backends.js";

interface OpFixture {
  inputs: FixtureTensor[];
  forwardOnly?: boolean;
}
interface Fx {
  shape: number[];
  values: number[];
}
interface HigherOrder {
  wgan_gp: { params: Fx[]; real: Fx; fake: Fx; alpha: Fx; inputGrad: Fx; penalty: number; paramGrads: (Fx | null)[] };
  hvp: { params: Fx[]; x: Fx; target: number[]; v: Fx[]; loss: number; grads: Fx[]; hvp: Fx[] };
}

const ops = loadFixture<Record<string, OpFixture>>("ops.json");
const fx = loadFixture<HigherOrder>("higher-order.json");

describe("double backward (float64 finite differences) for every op case", () => {
  before(async () => nt.setBackend("cpu"));
  for (const [name, fn] of Object.entries(OP_CASES).filter(([name]) => !ops[name]?.forwardOnly)) {
    test(`gradgradcheck ${name}`, () => {
      nt.tidy(() => gradgradcheck((...xs) => fn(...xs), ops[name]!.inputs.map((f) => fromFixture(f, "float64")), name));
    });
  }
});

describe("double backward of the window primitives", () => {
  before(async () => nt.setBackend("cpu"));
  test("im2col, col2im, max over windows, conv2d, scatterAdd", () => {
    nt.manualSeed(5);
    nt.tidy(() => {
      const x = nt.randn([1, 2, 4, 5], { dtype: "float64" });
      const g = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number] };
      // squared so the second derivative is not zero
      gradgradcheck((v) => nt.im2col(v, g, 0).pow(2), [x], "im2col");
      gradgradcheck((c) => nt.col2im(c, g, [1, 2, 4, 5]).pow(2), [nt.im2col(x, g, 0)], "col2im");
      gradgradcheck((v) => nt.im2col(v, g, -Infinity).reshape(1, 2, 6, -1).max(2).pow(2), [x], "max-pool");
      gradgradcheck((v) => (nt.F.maxPool2d(v, 3, { stride: 2, padding: 1, ceilMode: true }) as nt.Tensor).pow(2), [x], "F.maxPool2d");
      const w = nt.randn([3, 2, 2, 2], { dtype: "float64" });
      gradgradcheck((v, k) => nt.F.conv2d(v, k, null, { padding: 1 }).tanh(), [x, w], "conv2d");
      // the convolution primitives' gradients are each other (grad-rules.ts): second order of each
      const w2 = nt.randn([3, 12], { dtype: "float64" });
      const gy = nt.randn(nt.convolution(x, w2, g).shape, { dtype: "float64" });
      gradgradcheck((v, k, b) => nt.convolution(v, k, g, b).tanh(), [x, w2, nt.randn([3], { dtype: "float64" })], "convolution");
      gradgradcheck((u, k) => nt.convolutionInputGrad(u, k, g, [1, 2, 4, 5]).tanh(), [gy, w2], "convolutionInputGrad");
      gradgradcheck((u, v) => nt.convolutionWeightGrad(u, v, g).tanh(), [gy, x], "convolutionWeightGrad");
      const index = nt.tensor([[0, 2, 1], [1, 1, 0]], { dtype: "int32" });
      gradgradcheck((src) => nt.scatterAdd([2, 3], 1, index, src).pow(2), [nt.randn([2, 3], { dtype: "float64" })], "scatterAdd");
    });
  });
});

const t = (f: Fx, dtype: nt.DType, requiresGrad = false) => nt.tensor(f.values, { shape: f.shape, dtype, requiresGrad });

for (const backend of await backendsUnderTest()) {
  const dtypes: nt.DType[] = backend === "webgpu" ? ["float32"] : ["float32", "float64"];
  for (const dtype of dtypes) {
    const [rtol, atol] = dtype === "float64" ? [1e-9, 1e-12] : [2e-4, 1e-5];
    describe(`higher-order gradients vs PyTorch on ${backend} (${dtype})`, () => {
      before(async () => nt.setBackend(backend));

      test("WGAN-GP gradient penalty and the critic's gradients through it", async () => {
        const c = fx.wgan_gp;
        await nt.tidy(async () => {
          const [w1, b1, w2, b2] = c.params.map((p) => t(p, dtype, true)) as [Tensor, Tensor, Tensor, Tensor];
          const alpha = t(c.alpha, dtype);
          const xHat = alpha.mul(t(c.real, dtype)).add(nt.rsub(1, alpha).mul(t(c.fake, dtype))).detach().requiresGrad_(true);
          const out = nt.F.linear(nt.F.linear(xHat, w1, b1).tanh(), w2, b2);
          const [g] = nt.autograd.grad(out, xHat, { gradOutputs: [nt.onesLike(out)], createGraph: true });
          assert.ok(g!.requiresGrad, "the createGraph gradient has a graph");
          assertClose(await g!.data(), c.inputGrad.values, "dD/dx", rtol, atol);
          const penalty = g!.norm(2, 1).sub(1).pow(2).mean();
          assertClose(await penalty.data(), [c.penalty], "penalty", rtol, atol);
          penalty.backward();
          for (const [i, p] of [w1, b1, w2, b2].entries()) {
            const want = c.paramGrads[i];
            if (!want) {
              // PyTorch: no dependency (None); neurite: no gradient or zeros
              if (p.grad) assert.ok([...(await p.grad.data())].every((v) => v === 0), `param ${i} gradient should be zero`);
              continue;
            }
            assert.ok(p.grad, `param ${i} got no gradient`);
            assertClose(await p.grad.data(), want.values, `param ${i} gradient`, rtol, atol);
          }
          nt.dispose([w1, b1, w2, b2].map((p) => p.grad!).filter(Boolean));
        });
      });

      test("Hessian-vector product of an MLP's cross-entropy", async () => {
        const c = fx.hvp;
        await nt.tidy(async () => {
          const params = c.params.map((p) => t(p, dtype, true));
          const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
          const target = nt.tensor(c.target, { dtype: "int32" });
          const loss = nt.F.crossEntropy(nt.F.linear(nt.F.linear(t(c.x, dtype), w1, b1).tanh(), w2), target);
          assertClose(await loss.data(), [c.loss], "loss", rtol, atol);
          const grads = nt.autograd.grad(loss, params, { createGraph: true });
          for (const [i, g] of grads.entries()) assertClose(await g!.data(), c.grads[i]!.values, `grad ${i}`, rtol, atol);
          let dot: Tensor = nt.zeros([], { dtype });
          grads.forEach((g, i) => (dot = dot.add(g!.mul(t(c.v[i]!, dtype)).sum())));
          const hv = nt.autograd.grad(dot, params);
          for (const [i, h] of hv.entries()) assertClose(await h!.data(), c.hvp[i]!.values, `hvp ${i}`, rtol * 5, atol);
        });
      });
    });
  }
}

describe("autograd API", () => {
  before(async () => nt.setBackend("cpu"));

  test("backward({ createGraph: true }) leaves a differentiable .grad; plain backward does not", () => {
    const x = nt.tensor([0.5, -1, 2], { dtype: "float64", requiresGrad: true });
    x.pow(3).sum().backward({ createGraph: true });
    const g = x.grad!;
    assert.ok(g.requiresGrad);
    assert.deepEqual([...g.dataSync()], [0.75, 3, 12]);
    x.grad = null;
    g.sum().backward();
    assert.deepEqual([...x.grad!.dataSync()], [3, -6, 12]); // 6x
    const y = nt.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    y.mul(y).sum().backward();
    assert.equal(y.grad!.requiresGrad, false);
  });

  test("grad returns gradients without touching .grad, for leaves and intermediate tensors", () => {
    const x = nt.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const h = x.mul(2);
    const out = h.exp().sum();
    const [gx, gh] = nt.autograd.grad(out, [x, h], { retainGraph: true });
    assert.equal(x.grad, null);
    assertClose(gh!.dataSync(), [2, 4, 6].map(Math.exp), "d/dh");
    assertClose(gx!.dataSync(), [2, 4, 6].map((v) => 2 * Math.exp(v)), "d/dx");
  });

  test("errors: unreachable input, input without grad, gradOutputs count, non-scalar output", () => {
    const x = nt.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const z = nt.tensor([3, 4], { dtype: "float32", requiresGrad: true });
    // a fresh graph per call: each grad() releases the one it ran through
    const y = () => x.mul(x);
    assert.throws(() => nt.autograd.grad(y().sum(), z), /autograd.grad: input 0 \(shape \[2\]\) is not reachable from the outputs; pass allowUnused/);
    assert.deepEqual(nt.autograd.grad(y().sum(), [x, z], { allowUnused: true }).map((g) => g === null), [false, true]);
    assert.throws(() => nt.autograd.grad(y().sum(), nt.tensor([1])), /autograd.grad: input 0 \(shape \[1\]\) does not require grad/);
    assert.throws(() => nt.autograd.grad([y().sum(), y().sum()], x, { gradOutputs: [null] }), /autograd.grad: 1 gradOutputs for 2 outputs/);
    assert.throws(() => nt.autograd.grad(y(), x), /autograd.grad: grad can be implicitly created only for scalar outputs, but output 0 has shape \[2\]/);
  });

  test("the graph is released after grad unless retainGraph (or createGraph) is set", () => {
    const x = nt.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const y = x.exp().sum();
    nt.autograd.grad(y, x);
    assert.throws(() => nt.autograd.grad(y, x), /was not saved or was already released/);
    const y2 = x.exp().sum();
    nt.autograd.grad(y2, x, { createGraph: true });
    assert.doesNotThrow(() => nt.autograd.grad(y2, x));
  });
});
