import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { checkWithOnnxChecker, exportAndCompare, seeded, type OnnxCase } from "./helpers/onnx-run.js";

// Every layer and functional op family exported with a dynamic batch and run in ONNX Runtime at
// batch 1 and 7 against neurite's forward pass; every file passes onnx.checker's full check.
await nt.setBackend("cpu");
nt.manualSeed(0);
const { nn, F } = nt;

/** A module whose forward is `fn(inner, ...inputs)`: functional ops and layers with options. */
class Fn extends nn.Module {
  constructor(
    readonly inner: nt.nn.Module | null,
    private readonly fn: (inner: nt.nn.Module, ...xs: Tensor[]) => unknown,
  ) {
    super();
  }
  override forward(...xs: Tensor[]): unknown {
    return this.fn(this.inner!, ...xs);
  }
}
const fn = (f: (...xs: Tensor[]) => unknown): Fn => new Fn(null, (_m, ...xs) => f(...xs));

const randn = (...shape: number[]) => seeded(shape.length * 31 + shape[shape.length - 1]!, (b) => [nt.randn([b, ...shape])]);
const ids = (vocab: number, len: number) => seeded(vocab, (b) => [nt.randint(0, vocab, [b, len], { dtype: "int32" })]);

/** BatchNorm-like layers with running statistics that are not the 0/1 defaults. */
function warmed<M extends nt.nn.Module>(m: M, shape: number[]): M {
  m.train();
  nt.noGrad(() => m.forward(nt.add(nt.mul(nt.randn(shape), 2), 0.5)));
  return m;
}

/** A bool key-padding mask [b, S] with the first key always visible. */
const paddingMask = (b: number, s: number): Tensor => nt.gt(nt.cat([nt.zeros([b, 1]), nt.rand([b, s - 1])], 1), 0.7);

const cases: OnnxCase[] = [
  { name: "Linear", model: new nn.Linear(5, 3), inputs: randn(4, 5) },
  { name: "Linear no bias", model: new nn.Linear(5, 3, { bias: false }), inputs: randn(5) },
  { name: "matmul batched", model: fn((x) => nt.matmul(x, nt.transpose(x, 1, 2))), inputs: randn(3, 4) },
  { name: "Conv1d stride/dilation/groups", model: new nn.Conv1d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2 }), inputs: randn(4, 20) },
  { name: "Conv1d same reflect", model: new nn.Conv1d(3, 4, 4, { padding: "same", paddingMode: "reflect" }), inputs: randn(3, 16) },
  { name: "Conv2d groups/dilation/stride", model: new nn.Conv2d(4, 8, 3, { stride: [2, 1], padding: [1, 2], dilation: 2, groups: 4 }), inputs: randn(4, 12, 12) },
  { name: "Conv2d same replicate", model: new nn.Conv2d(3, 5, [2, 3], { padding: "same", paddingMode: "replicate" }), inputs: randn(3, 9, 8) },
  { name: "Conv2d circular", model: new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "circular" }), inputs: randn(2, 6, 5) },
  { name: "Conv2d valid no bias", model: new nn.Conv2d(2, 3, 3, { padding: "valid", bias: false }), inputs: randn(2, 7, 7) },
  { name: "ConvTranspose2d", model: new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), inputs: randn(4, 5, 5) },
  { name: "ConvTranspose1d dilation", model: new nn.ConvTranspose1d(3, 2, 4, { stride: 3, padding: 2, outputPadding: 2, dilation: 2 }), inputs: randn(3, 7) },
  { name: "MaxPool2d ceil/padding", model: new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), inputs: randn(3, 10, 10) },
  { name: "MaxPool2d dilation", model: new nn.MaxPool2d(2, { dilation: 2 }), inputs: randn(2, 9, 9) },
  { name: "AvgPool2d ceil exclude pad", model: new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), inputs: randn(3, 10, 10) },
  { name: "AvgPool2d include pad", model: new nn.AvgPool2d(2, { padding: 1 }), inputs: randn(2, 7, 7) },
  { name: "MaxPool1d", model: new nn.MaxPool1d(3, { stride: 2 }), inputs: randn(3, 11) },
  { name: "AvgPool1d", model: new nn.AvgPool1d(2), inputs: randn(3, 10) },
  { name: "AdaptiveAvgPool2d 1", model: new nn.AdaptiveAvgPool2d(1), inputs: randn(3, 5, 6) },
  { name: "AdaptiveAvgPool2d 2x3", model: new nn.AdaptiveAvgPool2d([2, 3]), inputs: randn(3, 8, 9) },
  { name: "AdaptiveMaxPool2d", model: new nn.AdaptiveMaxPool2d(2), inputs: randn(3, 8, 8) },
  { name: "AdaptiveAvgPool1d", model: new nn.AdaptiveAvgPool1d(4), inputs: randn(2, 12) },
  { name: "BatchNorm2d eval", model: warmed(new nn.BatchNorm2d(3), [8, 3, 4, 4]), inputs: randn(3, 4, 4) },
  { name: "BatchNorm1d eval [N,C]", model: warmed(new nn.BatchNorm1d(6), [8, 6]), inputs: randn(6) },
  { name: "BatchNorm1d eval [N,C,L]", model: warmed(new nn.BatchNorm1d(4), [8, 4, 5]), inputs: randn(4, 5) },
  { name: "LayerNorm", model: new nn.LayerNorm([5, 8]), inputs: randn(5, 8) },
  { name: "LayerNorm without affine", model: new nn.LayerNorm(8, { elementwiseAffine: false, eps: 1e-3 }), inputs: randn(5, 8) },
  { name: "GroupNorm", model: new nn.GroupNorm(2, 6), inputs: randn(6, 4, 4) },
  { name: "InstanceNorm2d", model: new nn.InstanceNorm2d(3, { affine: true }), inputs: randn(3, 5, 5) },
  { name: "Embedding paddingIdx", model: new nn.Embedding(10, 4, { paddingIdx: 0 }), inputs: ids(10, 6) },
  { name: "ReLU", model: new nn.ReLU(), inputs: randn(7) },
  { name: "LeakyReLU", model: new nn.LeakyReLU(0.2), inputs: randn(7) },
  { name: "GELU exact", model: new nn.GELU(), inputs: randn(7) },
  { name: "GELU tanh", model: new nn.GELU("tanh"), inputs: randn(7) },
  { name: "SiLU", model: new nn.SiLU(), inputs: randn(7) },
  { name: "Tanh", model: new nn.Tanh(), inputs: randn(7) },
  { name: "Sigmoid", model: new nn.Sigmoid(), inputs: randn(7) },
  { name: "ELU", model: new nn.ELU(0.5), inputs: randn(7) },
  { name: "Softplus", model: new nn.Softplus(), inputs: randn(7) },
  { name: "Hardswish", model: new nn.Hardswish(), inputs: randn(9) },
  { name: "Mish", model: new nn.Mish(), inputs: randn(7) },
  { name: "log1p and expm1", model: fn((x) => nt.log1p(nt.abs(x)).add(nt.expm1(x))), inputs: randn(7) },
  { name: "atan2 (four quadrants)", model: fn((y) => nt.atan2(y, nt.flip(y, [1]))), inputs: randn(8) },
  { name: "Softmax", model: new nn.Softmax(-1), inputs: randn(3, 7) },
  { name: "LogSoftmax", model: new nn.LogSoftmax(1), inputs: randn(3, 7) },
  { name: "Dropout eval + Flatten + Identity", model: new nn.Sequential(new nn.Dropout(0.5), new nn.Flatten(), new nn.Identity()), inputs: randn(2, 3, 4) },
  { name: "Upsample nearest", model: new nn.Upsample({ scaleFactor: 2, mode: "nearest" }), inputs: randn(2, 3, 4) },
  { name: "Upsample bilinear", model: new nn.Upsample({ scaleFactor: 2, mode: "bilinear" }), inputs: randn(2, 3, 4) },
  { name: "interpolate bilinear alignCorners size", model: fn((x) => F.interpolate(x, { size: [5, 7], mode: "bilinear", alignCorners: true })), inputs: randn(2, 3, 4) },
  { name: "interpolate bicubic", model: fn((x) => F.interpolate(x, { scaleFactor: 2, mode: "bicubic" })), inputs: randn(1, 4, 4) },
  { name: "pad constant/reflect/replicate/circular", model: fn((x) => ["constant", "reflect", "replicate", "circular"].map((mode) => F.pad(x, [1, 2, 2, 1], { mode: mode as "constant", value: 0.5 }))), inputs: randn(2, 4, 5) },
  {
    name: "functional conv/pool (PyTorch tutorial style)",
    model: new Fn(new nn.Conv2d(1, 4, 3), (m, x) => {
      const conv = m as nt.nn.Conv2d;
      const y = F.maxPool2d(F.relu(F.conv2d(x, conv.weight, conv.bias, { padding: 1 })), 2);
      return [F.avgPool2d(y, 2, { ceilMode: true }), F.adaptiveAvgPool2d(y, [3, 2]), nt.F.maxPool1d(y.flatten(2), 3), F.convTranspose2d(y, nt.ones([4, 2, 2, 2]), null, { stride: 2 })];
    }),
    inputs: randn(1, 10, 10),
  },
  { name: "AdaptiveAvgPool2d uneven windows", model: new nn.AdaptiveAvgPool2d([3, 4]), inputs: randn(2, 7, 9) },
  { name: "AdaptiveMaxPool2d uneven windows", model: new nn.AdaptiveMaxPool2d([2, 3]), inputs: randn(2, 5, 7) },
  { name: "RNN tanh 2-layer bidirectional batch-first", model: new nn.RNN(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true }), inputs: randn(6, 4) },
  { name: "RNN relu", model: new nn.RNN(4, 5, { nonlinearity: "relu" }), inputs: seeded(5, (b) => [nt.randn([6, b, 4])]), batchAxis: 1 },
  {
    name: "LSTM 2-layer bidirectional batch-first with initial states",
    model: new Fn(new nn.LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true }), (m, x, h0, c0) => m.forward(x, [h0, c0])),
    inputs: seeded(6, (b) => [nt.randn([b, 6, 4]), nt.randn([4, b, 5]), nt.randn([4, b, 5])]),
    batchAxis: [0, 1, 1],
  },
  { name: "LSTM without bias", model: new nn.LSTM(3, 4, { bias: false, batchFirst: true }), inputs: randn(5, 3) },
  { name: "LSTM seq-first", model: new nn.LSTM(3, 4), inputs: seeded(7, (b) => [nt.randn([5, b, 3])]), batchAxis: 1 },
  { name: "LSTM projection (traced op by op)", model: new nn.LSTM(3, 6, { projSize: 2, batchFirst: true }), inputs: randn(5, 3) },
  {
    name: "GRU 2-layer bidirectional with h0",
    model: new Fn(new nn.GRU(4, 5, { numLayers: 2, bidirectional: true }), (m, x, h0) => m.forward(x, h0)),
    inputs: seeded(8, (b) => [nt.randn([6, b, 4]), nt.randn([4, b, 5])]),
    batchAxis: 1,
  },
  {
    name: "MultiheadAttention masks + weights",
    model: new Fn(new nn.MultiheadAttention(8, 2, { batchFirst: true }), (m, x, kpm) =>
      m.forward(x, x, x, { keyPaddingMask: kpm, attnMask: nt.mul(nt.triu(nt.ones([5, 5]), 1), -2), needWeights: true }),
    ),
    inputs: seeded(9, (b) => [nt.randn([b, 5, 8]), paddingMask(b, 5)]),
  },
  {
    name: "MultiheadAttention cross kdim/vdim causal",
    model: new Fn(new nn.MultiheadAttention(8, 4, { kdim: 6, vdim: 3 }), (m, q, k, v) => m.forward(q, k, v, { needWeights: false, attnMask: nt.triu(nt.ones([4, 4], { dtype: "bool" }), 1) })),
    inputs: seeded(10, (b) => [nt.randn([4, b, 8]), nt.randn([4, b, 6]), nt.randn([4, b, 3])]),
    batchAxis: 1,
  },
  {
    name: "TransformerEncoderLayer post-norm relu + key padding",
    model: new Fn(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), (m, x, kpm) => m.forward(x, { srcKeyPaddingMask: kpm })),
    inputs: seeded(11, (b) => [nt.randn([b, 5, 8]), paddingMask(b, 5)]),
  },
  {
    name: "TransformerEncoder pre-norm gelu causal",
    model: new Fn(new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: "gelu", normFirst: true, batchFirst: true }), 2), (m, x) => m.forward(x, { isCausal: true, mask: nt.triu(nt.ones([6, 6], { dtype: "bool" }), 1) })),
    inputs: randn(6, 8),
  },
  {
    name: "TransformerDecoder with masks",
    model: new Fn(new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 2), (m, tgt, mem) => m.forward(tgt, mem, { tgtMask: nt.triu(nt.ones([4, 4], { dtype: "bool" }), 1) })),
    inputs: seeded(12, (b) => [nt.randn([4, b, 8]), nt.randn([6, b, 8])]),
    batchAxis: 1,
  },
  { name: "Conv2d unbatched [C, H, W]", model: new nn.Conv2d(2, 3, 3, { padding: 1 }), inputs: seeded(14, () => [nt.randn([2, 5, 5])]), batchAxis: null },
  { name: "GRU unbatched [T, F]", model: new nn.GRU(3, 4, { numLayers: 2 }), inputs: seeded(15, () => [nt.randn([6, 3])]), batchAxis: null },
  { name: "RNNCell", model: new Fn(new nn.RNNCell(3, 4), (m, x, h) => m.forward(x, h)), inputs: seeded(16, (b) => [nt.randn([b, 3]), nt.randn([b, 4])]) },
  { name: "LSTMCell", model: new Fn(new nn.LSTMCell(3, 4), (m, x, h, c) => m.forward(x, [h, c])), inputs: seeded(17, (b) => [nt.randn([b, 3]), nt.randn([b, 4]), nt.randn([b, 4])]) },
  { name: "GRUCell without state", model: new nn.GRUCell(3, 4), inputs: randn(3) },
  { name: "Unflatten", model: new nn.Unflatten(1, [2, 3]), inputs: randn(6) },
  {
    name: "Transformer (encoder + decoder)",
    model: new Fn(new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16, batchFirst: true }), (m, src, tgt) => m.forward(src, tgt, { tgtIsCausal: true, tgtMask: nt.triu(nt.ones([3, 3], { dtype: "bool" }), 1) })),
    inputs: seeded(18, (b) => [nt.randn([b, 5, 8]), nt.randn([b, 3, 8])]),
  },
  {
    name: "scaledDotProductAttention with a fully masked query row (zeros, not NaN)",
    model: fn((q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: nt.tensor([[false, false, false], [true, false, true], [true, true, true]], { dtype: "bool" }) })),
    inputs: seeded(20, (b) => [nt.randn([b, 3, 4]), nt.randn([b, 3, 4]), nt.randn([b, 3, 4])]),
  },
  { name: "scaledDotProductAttention causal", model: fn((q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true })), inputs: seeded(19, (b) => [nt.randn([b, 2, 4, 8]), nt.randn([b, 2, 4, 8]), nt.randn([b, 2, 4, 8])]) },
  {
    name: "tensor ops",
    model: fn((x, i) => {
      const y = nt.reshape(nt.permute(x, [0, 2, 1]), [x.shape[0]!, -1]);
      const g = nt.gather(x, 2, i);
      return [
        y,
        nt.cat([nt.narrow(x, 2, 1, 2), g], 2),
        nt.where(nt.gt(x, 0), x, nt.mul(x, 0.1)),
        nt.sum(x, 1),
        nt.mean(x, [1, 2], true),
        nt.amax(x, 2),
        x.min(1),
        x.var(2),
        nt.argmax(x, 2),
        nt.exp(nt.clamp(x, -1, 1)),
        nt.sqrt(nt.abs(x)),
        nt.pow(nt.abs(x), 1.5),
        nt.maskedFill(x, nt.lt(x, -0.5), 0),
        nt.gt(x, 0).logicalAnd(i.narrow(2, 0, 1).astype("float32")).logicalOr(nt.lt(x, -1)),
        nt.mul(nt.narrow(x, 1, 0, 1).expand([x.shape[0]!, 5, 4]), nt.ones([4])), // an explicit expand sets the shape
        nt.softmax(nt.tril(x.unsqueeze(1).expand([x.shape[0]!, 3, 3, 4]).reshape([x.shape[0]!, 3, 12]).narrow(2, 0, 3)), -1),
      ];
    }),
    inputs: seeded(13, (b) => [nt.randn([b, 3, 4]), nt.randint(0, 4, [b, 3, 2], { dtype: "int32" })]),
  },
];

const files: string[] = [];
for (const c of cases) {
  test(`onnx export: ${c.name}`, async () => {
    files.push(await exportAndCompare(c));
  });
}

test("onnx.checker (full check) accepts every exported layer case", () => {
  assert.equal(files.length, cases.length, "every case exported");
  checkWithOnnxChecker(files);
});

test("an op without an ONNX form names the module path and the op", () => {
  const model = new nn.Sequential(new nn.Linear(4, 4), new nn.Unflatten(1, [1, 2, 2]), new nn.MaxPool2d(2, { returnIndices: true }));
  assert.throws(() => nt.onnx.exportModel(model, [nt.randn([2, 4])]), /op 'maxPool2dIndices' in module '2' cannot be exported: .*returnIndices/);
  const inPlace = new nn.Sequential(new nn.Linear(2, 2), fn((x) => nt.mul(x, 2).fill_(1)));
  assert.throws(() => nt.onnx.exportModel(inPlace, [nt.randn([1, 2])]), /in-place update .* of a tensor of shape \[1, 2\] in module '1' cannot be exported/);
  const pool = new nn.Sequential(new nn.AvgPool2d(2, { divisorOverride: 3 }));
  assert.throws(() => nt.onnx.exportModel(pool, [nt.randn([1, 1, 4, 4])]), /op 'avgPool2d' in module '0': divisorOverride/);
});

test("tracing leaves the model as it was: training mode, forward methods (own or inherited)", () => {
  class ArrowForward extends nn.Module {
    lin = new nn.Linear(3, 2);
    override forward = (x: Tensor): Tensor => nt.relu(this.lin.forward(x));
  }
  const m = new nn.Sequential(new ArrowForward(), new nn.Dropout(0.5));
  m.train();
  nt.onnx.exportModel(m, [nt.randn([2, 3])], { dynamicAxes: { input_0: [0] } });
  assert.equal(m.training, true);
  assert.ok(m.modules().every((x) => x.training));
  const child = m.children()[0]!;
  assert.ok(Object.getOwnPropertyDescriptor(child, "forward"), "the arrow-function forward is still an own property");
  assert.equal(Object.getOwnPropertyDescriptor(m.children()[1]!, "forward"), undefined, "no leftover wrapper on class-method modules");
  assert.deepEqual((child.forward(nt.ones([1, 3])) as Tensor).shape, [1, 2]);
});

test("bad options are refused with a clear message", () => {
  const m = new nn.Linear(2, 2);
  assert.throws(() => nt.onnx.exportModel(m, [nt.randn([1, 2])], { opsetVersion: 13 }), /opsetVersion 13 is not supported/);
  assert.throws(() => nt.onnx.exportModel(m, [nt.randn([1, 2])], { dynamicAxes: { nope: [0] } }), /'nope', which is neither an input nor an output/);
  assert.throws(() => nt.onnx.exportModel(m, [nt.randn([1, 2])], { inputNames: ["a", "b"] }), /2 inputNames for 1 example inputs/);
  const two = fn((a, b) => nt.add(a, b));
  assert.throws(() => nt.onnx.exportModel(two, [nt.randn([2, 3]), nt.randn([3, 3])], { dynamicAxes: { input_0: [0], input_1: [0] } }), /same batch size; 'input_1' axis 0 has 3, 'input_0' has 2/);
  assert.throws(() => nt.onnx.exportModel(m, [nt.randn([1, 2])], { dynamicAxes: { input_0: [2] } }), /dynamic axis 2 of input 'input_0' is out of range for shape \[1, 2\]/);
});
