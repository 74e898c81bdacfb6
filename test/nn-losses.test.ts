import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { loadFixture, fromFixture, assertClose, type FixtureTensor } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";

interface LossCase {
  inputs: FixtureTensor[];
  options: Record<string, unknown>;
  output: { shape: number[]; values: number[] };
  upstream: number[];
  grad0: number[];
}
interface LinearCase {
  x: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor;
  output: number[];
  upstream: number[];
  gradX: number[];
  gradWeight: number[];
  gradBias: number[];
}

const fx = loadFixture<{ losses: Record<string, LossCase>; linear: LinearCase }>("losses.json");

function lossFn(name: string, options: Record<string, unknown>): (a: Tensor, b: Tensor) => Tensor {
  const reduction = options.reduction as "mean" | "sum" | "none";
  const vec = (k: string) => (options[k] ? nt.tensor(options[k] as number[]) : null);
  if (name.startsWith("ce")) {
    return (a, b) =>
      nt.F.crossEntropy(a, b, {
        reduction,
        weight: vec("weight"),
        ignoreIndex: (options.ignoreIndex as number | undefined) ?? -100,
        labelSmoothing: (options.labelSmoothing as number | undefined) ?? 0,
      });
  }
  if (name.startsWith("nll")) return (a, b) => nt.F.nllLoss(a, b, { reduction, weight: vec("weight") });
  if (name.startsWith("mse")) return (a, b) => nt.F.mseLoss(a, b, { reduction });
  if (name.startsWith("l1")) return (a, b) => nt.F.l1Loss(a, b, { reduction });
  if (name.startsWith("smooth_l1")) return (a, b) => nt.F.smoothL1Loss(a, b, { reduction, beta: options.beta as number });
  if (name.startsWith("huber")) return (a, b) => nt.F.huberLoss(a, b, { reduction, delta: options.delta as number });
  if (name.startsWith("bce_logits")) return (a, b) => nt.F.binaryCrossEntropyWithLogits(a, b, { reduction, posWeight: vec("posWeight") });
  if (name.startsWith("bce")) return (a, b) => nt.F.binaryCrossEntropy(a, b, { reduction });
  if (name.startsWith("kl_div")) return (a, b) => nt.F.klDiv(a, b, { reduction: "batchmean" });
  throw new Error(`no loss for case ${name}`);
}

for (const backend of await backendsUnderTest()) {
  describe(`losses and Linear match PyTorch on ${backend}`, () => {
    before(async () => nt.setBackend(backend));
    for (const [name, c] of Object.entries(fx.losses)) {
      test(name, async () => {
        await nt.tidy(async () => {
          const [a, b] = c.inputs.map((f, i) => fromFixture(f, "float32", i === 0)) as [Tensor, Tensor];
          const out = lossFn(name, c.options)(a, b);
          assert.deepEqual([...out.shape], c.output.shape);
          assertClose(await out.data(), c.output.values, `${name} value`, 1e-5, 1e-5);
          out.backward(nt.tensor(c.upstream, { shape: c.output.shape }));
          assertClose(await a.grad!.data(), c.grad0, `${name} grad`, 1e-4, 1e-6);
        });
      });
    }
    test("Linear forward and gradients", async () => {
      await nt.tidy(async () => {
        const lin = new nt.nn.Linear(7, 3);
        lin.loadStateDict({ weight: fromFixture(fx.linear.weight), bias: fromFixture(fx.linear.bias) });
        const x = fromFixture(fx.linear.x, "float32", true);
        const y = lin.forward(x);
        assertClose(await y.data(), fx.linear.output, "Linear output");
        y.backward(nt.tensor(fx.linear.upstream, { shape: y.shape }));
        assertClose(await x.grad!.data(), fx.linear.gradX, "Linear dX", 1e-4);
        assertClose(await lin.weight.grad!.data(), fx.linear.gradWeight, "Linear dW", 1e-4);
        assertClose(await lin.bias!.grad!.data(), fx.linear.gradBias, "Linear db", 1e-4);
        lin.dispose();
      });
    });
  });
}
