// Training trajectories against PyTorch: tiny char-gpt, char-lstm and cnn-bn start from the
// initial weights PyTorch recorded and take the same optimiser steps on the same batches
// (tools/make_training_fixtures.py, dropout off). Every step's loss and the final weights
// (BatchNorm running statistics included) must match: the forward pass, autograd through tied
// weights, gradient clipping and the optimisers, checked together over many steps.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { loadFixture, assertClose } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { fxTensor, fxValues, type FxTensor } from "./helpers/nn-parity.js";
import * as models from "../models/index.js";

interface TrajectoryCase {
  name: string;
  factory: string;
  config: Record<string, unknown>;
  optimizer: { kind: "adam" | "adamw" | "sgd"; lr: number; weightDecay?: number; momentum?: number };
  gradClip: number | null;
  init: Record<string, FxTensor>;
  batches: [FxTensor, FxTensor][];
  losses: number[];
  final: Record<string, FxTensor>;
}

const fixture = loadFixture<{ steps: number; cases: TrajectoryCase[] }>("nn/training.json");
const backends = await backendsUnderTest();
const factories = models as unknown as Record<string, (config: Record<string, unknown>) => nt.nn.Module>;

function optimizerFor(c: TrajectoryCase, params: Tensor[]): nt.optim.Optimizer {
  const o = c.optimizer;
  if (o.kind === "adamw") return new nt.optim.AdamW(params, { lr: o.lr, weightDecay: o.weightDecay! });
  if (o.kind === "adam") return new nt.optim.Adam(params, { lr: o.lr });
  return new nt.optim.SGD(params, { lr: o.lr, momentum: o.momentum! });
}

function lossOf(output: Tensor, target: Tensor): Tensor {
  const v = output.shape[output.ndim - 1]!;
  return output.ndim > 2 ? nt.F.crossEntropy(output.reshape([-1, v]), target.reshape([-1])) : nt.F.crossEntropy(output, target);
}

const firstTensor = (y: unknown): Tensor => (y instanceof nt.Tensor ? y : firstTensor((y as unknown[])[0]));

for (const backend of backends) {
  describe(`training trajectories match PyTorch on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) {
      test(`${c.name}: ${fixture.steps} steps of ${c.optimizer.kind}${c.gradClip ? " with gradient clipping" : ""}`, async () => {
        const model = factories[c.factory]!(c.config);
        try {
          model.loadStateDict(new Map(Object.entries(c.init).map(([k, v]) => [k, fxTensor(v)])));
          model.train();
          const optimizer = optimizerFor(c, model.parameters());
          const losses: number[] = [];
          for (const [x, y] of c.batches) {
            await nt.tidy(async () => {
              optimizer.zeroGrad();
              const loss = lossOf(firstTensor(model.forward(fxTensor(x))), fxTensor(y));
              loss.backward();
              if (c.gradClip !== null) nt.optim.clipGradNorm_(model.parameters(), c.gradClip);
              optimizer.step();
              losses.push(await loss.item());
            });
          }
          // Float32 rounding differs between the two libraries and compounds over the steps.
          assertClose(losses, c.losses, `${c.name} losses on ${backend}`, 2e-4, 1e-5);
          const state = model.stateDict();
          for (const [key, expected] of Object.entries(c.final)) {
            const actual = state.get(key);
            assert.ok(actual, `${c.name}: neurite has no '${key}'`);
            assertClose(await actual.data(), fxValues(expected), `${c.name} final '${key}' on ${backend}`, 2e-3, 2e-4);
          }
        } finally {
          model.dispose();
        }
      });
    }
  });
}
