import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { OP_CASES } from "./helpers/op-cases.js";
import { loadFixture, fromFixture, type FixtureTensor } from "./helpers/fixtures.js";
import { gradcheck } from "./helpers/gradcheck.js";

interface OpFixture {
  inputs: FixtureTensor[];
  forwardOnly?: boolean;
}

const fixtures = loadFixture<Record<string, OpFixture>>("ops.json");

// Finite differences in float64 on the default backend, for every primitive and composite (the
// NaN/Inf cases are forward-only).
for (const [name, fn] of Object.entries(OP_CASES).filter(([name]) => !fixtures[name]?.forwardOnly)) {
  test(`gradcheck ${name}`, () => {
    const fx = fixtures[name];
    assert.ok(fx, `no fixture inputs for ${name}`);
    nt.tidy(() => {
      const inputs = fx.inputs.map((f) => fromFixture(f, "float64"));
      gradcheck((...xs: Tensor[]) => fn(...xs), inputs, name);
    });
  });
}

test("gradcheck conv-style im2col/col2im and pooling-style max", () => {
  nt.manualSeed(3);
  nt.tidy(() => {
    const x = nt.randn([2, 3, 5, 6], { dtype: "float64" });
    const g = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number] };
    gradcheck((t) => nt.im2col(t, g, 0), [x], "im2col");
    const cols = nt.im2col(x, g, 0);
    gradcheck((c) => nt.col2im(c, g, [2, 3, 5, 6]), [cols], "col2im");
    gradcheck((t) => nt.im2col(t, g, -Infinity).reshape(2, 3, 6, -1).max(2), [x], "maxpool-via-im2col");
  });
});

test("gradcheck the convolution primitives (strided, padded, dilated windows; transposed weight and gradient views)", () => {
  nt.manualSeed(6);
  nt.tidy(() => {
    const g = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number] };
    const x = nt.randn([2, 3, 5, 6], { dtype: "float64" });
    const w = nt.randn([4, 18], { dtype: "float64" });
    const gyL = nt.randn(nt.convolution(x, w, g).shape, { dtype: "float64" });
    gradcheck((a, b) => nt.convolution(a, b, g), [x, w], "convolution");
    gradcheck((a, b, c) => nt.convolution(a, b, g, c), [x, w, nt.randn([4], { dtype: "float64" })], "convolution with bias");
    gradcheck((a, b) => nt.convolution(a, b.transpose(0, 1), g), [x, w.transpose(0, 1).contiguous()], "convolution, transposed weight view");
    gradcheck((a, b) => nt.convolutionInputGrad(a, b, g, [2, 3, 5, 6]), [gyL, w], "convolutionInputGrad");
    gradcheck((a, b) => nt.convolutionWeightGrad(a.transpose(1, 2), b, g), [gyL.transpose(1, 2).contiguous(), x], "convolutionWeightGrad, transposed gradient view");
  });
});

test("gradcheck losses", () => {
  nt.manualSeed(4);
  nt.tidy(() => {
    const logits = nt.randn([5, 4], { dtype: "float64" });
    const target = nt.tensor([0, 3, -100, 1, 2], { dtype: "int32" });
    const weight = nt.tensor([0.5, 1, 2, 1.5], { dtype: "float64" });
    gradcheck((x) => nt.F.crossEntropy(x, target, { weight, ignoreIndex: -100, labelSmoothing: 0.1 }), [logits], "crossEntropy");
    const probs = nt.randn([5, 4], { dtype: "float64" }).softmax(1);
    gradcheck((x) => nt.F.crossEntropy(x, probs), [logits], "crossEntropy-probs");
    const y = nt.rand([5, 4], { dtype: "float64" });
    gradcheck((x) => nt.F.binaryCrossEntropyWithLogits(x, y, { posWeight: nt.tensor([1, 2, 3, 0.5], { dtype: "float64" }) }), [logits], "bceWithLogits");
    gradcheck((x) => nt.F.mseLoss(x, y), [logits], "mse");
    gradcheck((x) => nt.F.smoothL1Loss(x, y), [logits], "smoothL1");
    gradcheck((x) => nt.F.binaryCrossEntropy(x.sigmoid(), y), [logits], "bce");
  });
});
