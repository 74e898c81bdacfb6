import { promoteTypes, isFloat } from "../tensor/dtype.js";
import type { OpEvent, TracedValue } from "./trace.js";
import { type ConvertContext, onnxType, SLICE_TO_END } from "./context.js";
import { elemTypeCode } from "./encode.js";
import { avgPool2d, conv2d, convTranspose2d, maxPool2d } from "./window-converters.js";

/** Converts one recorded op (and its twin from the second trace) to ONNX nodes. */
export type OpConverter = (ctx: ConvertContext, ev: OpEvent, other: OpEvent) => void;

const out = (ev: OpEvent): string[] => [ev.output.name];

const unary =
  (opType: string): OpConverter =>
  (ctx, ev) =>
    void ctx.b.node(opType, [ev.inputs[0]!.name], {}, out(ev));

/** The value before the reshapes-that-add-leading-1s and expands that produced `v`. */
function broadcastSource(ctx: ConvertContext, v: TracedValue): TracedValue {
  for (;;) {
    const p = ctx.producer(v.name);
    if (!p || p.kind !== "op") return v;
    const src = p.inputs[0]!;
    const lead = p.output.shape.length - src.shape.length;
    const addsLeadingOnes = p.op === "reshape" && lead >= 0 && p.output.shape.every((d, i) => (i < lead ? d === 1 : d === src.shape[i - lead]));
    if (p.op !== "expand" && !addsLeadingOnes) return v;
    v = src;
  }
}

/** Numpy broadcasting of shapes (they are known to be compatible). */
function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/**
 * The operands of an elementwise op. The primitives broadcast explicitly (reshape to add
 * leading 1s, then expand); ONNX broadcasts by itself, so the un-expanded sources are used and
 * the Expands, whose targets may depend on the batch size, are dropped as dead code — unless
 * the sources alone would broadcast to a smaller shape (an explicit user expand).
 */
function operands(ctx: ConvertContext, ev: OpEvent): string[] {
  const sources = ev.inputs.map((v) => broadcastSource(ctx, v));
  const same = broadcastShape(sources.map((v) => v.shape)).join(",") === ev.output.shape.join(",");
  return (same ? sources : ev.inputs).map((v) => v.name);
}

const binary =
  (opType: string): OpConverter =>
  (ctx, ev) =>
    void ctx.b.node(opType, operands(ctx, ev), {}, out(ev));

/** A comparison: neurite promotes mixed operand types; ONNX wants them equal (bool for And/Or). */
const compare =
  (opType: string, negate = false): OpConverter =>
  (ctx, ev) => {
    const logical = opType === "And" || opType === "Or";
    const t = logical ? "bool" : promoteTypes(ev.inputs[0]!.dtype, ev.inputs[1]!.dtype);
    const names = operands(ctx, ev).map((name, i) => (ev.inputs[i]!.dtype === t ? name : ctx.b.node("Cast", [name], { to: { i: elemTypeCode(onnxType(t)) } })));
    if (negate) ctx.b.node("Not", [ctx.b.node(opType, names)], {}, out(ev));
    else ctx.b.node(opType, names, {}, out(ev));
  };

const reduce =
  (opType: string): OpConverter =>
  (ctx, ev) => {
    const axes = (ev.params as { axes: readonly number[] }).axes;
    // ReduceSum takes axes as an input from opset 13; ReduceMax/Min still as an attribute in 17.
    if (opType === "ReduceSum") ctx.b.node(opType, [ev.inputs[0]!.name, ctx.b.int64(axes)], { keepdims: { i: 0 } }, out(ev));
    else ctx.b.node(opType, [ev.inputs[0]!.name], { axes: { ints: axes }, keepdims: { i: 0 } }, out(ev));
  };

/** ONNX's ArgMax/ArgMin give int64; neurite's indices are int32. */
const argReduce =
  (opType: string): OpConverter =>
  (ctx, ev) => {
    const idx = ctx.b.node(opType, [ev.inputs[0]!.name], { axis: { i: (ev.params as { axis: number }).axis }, keepdims: { i: 0 } });
    ctx.b.node("Cast", [idx], { to: { i: elemTypeCode("int32") } }, out(ev));
  };

function reshape(ctx: ConvertContext, ev: OpEvent, other: OpEvent): void {
  const a = ev.output.shape;
  const b = other.output.shape;
  const varying = a.map((d, i) => d !== b[i]).filter(Boolean).length;
  // One varying dim is inferred by Reshape itself (-1), which keeps the shape a constant.
  const shape = varying === 1 ? ctx.b.int64(a.map((d, i) => (d === b[i] ? d : -1))) : ctx.dims(a, b, `reshape at ${ev.path || "<model>"}`);
  ctx.b.node("Reshape", [ev.inputs[0]!.name, shape], {}, out(ev));
}

function expand(ctx: ConvertContext, ev: OpEvent, other: OpEvent): void {
  const inA = ev.inputs[0]!.shape;
  const inB = other.inputs[0]!.shape;
  // Expand broadcasts both ways: a 1 in the target keeps the input's own size there.
  const keep = (i: number): boolean => inA[i] === ev.output.shape[i] && inB[i] === other.output.shape[i];
  const a = ev.output.shape.map((d, i) => (keep(i) ? 1 : d));
  const b = other.output.shape.map((d, i) => (keep(i) ? 1 : d));
  ctx.b.node("Expand", [ev.inputs[0]!.name, ctx.dims(a, b, `expand at ${ev.path || "<model>"}`)], {}, out(ev));
}

function slice(ctx: ConvertContext, ev: OpEvent, other: OpEvent): void {
  const p = ev.params as { starts: readonly number[]; ends: readonly number[] };
  const q = other.params as typeof p;
  const shapeA = ev.inputs[0]!.shape;
  const shapeB = other.inputs[0]!.shape;
  const axes: number[] = [];
  p.starts.forEach((s, i) => {
    if (s !== 0 || q.starts[i] !== 0 || p.ends[i] !== shapeA[i] || q.ends[i] !== shapeB[i]) axes.push(i);
  });
  if (axes.length === 0) return void ctx.b.node("Identity", [ev.inputs[0]!.name], {}, out(ev));
  const toEnd = (i: number): boolean => p.ends[i] === shapeA[i] && q.ends[i] === shapeB[i];
  const what = `slice at ${ev.path || "<model>"}`;
  const starts = ctx.dims(axes.map((i) => p.starts[i]!), axes.map((i) => q.starts[i]!), what);
  const ends = ctx.dims(axes.map((i) => (toEnd(i) ? SLICE_TO_END : p.ends[i]!)), axes.map((i) => (toEnd(i) ? SLICE_TO_END : q.ends[i]!)), what);
  ctx.b.node("Slice", [ev.inputs[0]!.name, starts, ends, ctx.b.int64(axes)], {}, out(ev));
}

function pad(ctx: ConvertContext, ev: OpEvent): void {
  const { before, after, value } = ev.params as { before: readonly number[]; after: readonly number[]; value: number };
  const x = ev.inputs[0]!;
  const fill = ctx.b.constant(onnxType(x.dtype), [value], []);
  ctx.b.node("Pad", [x.name, ctx.b.int64([...before, ...after]), fill], { mode: { s: "constant" } }, out(ev));
}

function scatterAdd(ctx: ConvertContext, ev: OpEvent, other: OpEvent): void {
  const { dim, shape } = ev.params as { dim: number; shape: readonly number[] };
  const [index, src] = ev.inputs as [TracedValue, TracedValue];
  const zero = ctx.b.node("ConstantOfShape", [ctx.dims(shape, (other.params as { shape: readonly number[] }).shape, "scatterAdd")], {
    value: { t: { name: "zero", type: onnxType(src.dtype), dims: [1], data: isFloat(src.dtype) ? new Float32Array(1) : new Int32Array(1) } },
  });
  ctx.b.node("ScatterElements", [zero, index.name, src.name], { axis: { i: dim }, reduction: { s: "add" } }, out(ev));
}

/** log1p(x) = Log(1 + x) and expm1(x) = Exp(x) - 1: ONNX has neither as one op. */
function log1p(ctx: ConvertContext, ev: OpEvent): void {
  const x = ev.inputs[0]!;
  ctx.b.node("Log", [ctx.b.node("Add", [x.name, ctx.b.constant(onnxType(x.dtype), [1], [])])], {}, out(ev));
}

function expm1(ctx: ConvertContext, ev: OpEvent): void {
  const x = ev.inputs[0]!;
  ctx.b.node("Sub", [ctx.b.node("Exp", [x.name]), ctx.b.constant(onnxType(x.dtype), [1], [])], {}, out(ev));
}

/**
 * atan2(y, x) (ONNX has no Atan2): Atan(y / x), plus π where x < 0 and y ≥ 0, minus π where
 * x < 0 and y < 0; 0 where both are 0 (as PyTorch), where y / x would be NaN.
 */
function atan2(ctx: ConvertContext, ev: OpEvent): void {
  const [y, x] = operands(ctx, ev) as [string, string];
  const type = onnxType(ev.output.dtype);
  const zero = ctx.b.constant(type, [0], []);
  const pi = ctx.b.constant(type, [Math.PI], []);
  const minusPi = ctx.b.constant(type, [-Math.PI], []);
  const base = ctx.b.node("Atan", [ctx.b.node("Div", [y, x])]);
  const shift = ctx.b.node("Where", [ctx.b.node("Less", [x, zero]), ctx.b.node("Where", [ctx.b.node("Less", [y, zero]), minusPi, pi]), zero]);
  const bothZero = ctx.b.node("And", [ctx.b.node("Equal", [x, zero]), ctx.b.node("Equal", [y, zero])]);
  ctx.b.node("Where", [bothZero, zero, ctx.b.node("Add", [base, shift])], {}, out(ev));
}

function notExportable(why: string): OpConverter {
  return (_ctx, ev) => {
    throw new Error(`onnx export: op '${ev.op}' in module '${ev.path || "<model>"}' cannot be exported: ${why}`);
  };
}

/** One entry per op the dispatch point and the gradient-free ops report. */
export const OP_CONVERTERS: Record<string, OpConverter> = {
  reshape,
  permute: (ctx, ev) => void ctx.b.node("Transpose", [ev.inputs[0]!.name], { perm: { ints: (ev.params as { dims: readonly number[] }).dims } }, out(ev)),
  expand,
  slice,
  contiguous: unary("Identity"),
  cast: (ctx, ev) => void ctx.b.node("Cast", [ev.inputs[0]!.name], { to: { i: elemTypeCode(onnxType(ev.output.dtype)) } }, out(ev)),
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  rsqrt: (ctx, ev) => void ctx.b.node("Reciprocal", [ctx.b.node("Sqrt", [ev.inputs[0]!.name])], {}, out(ev)),
  abs: unary("Abs"),
  sin: unary("Sin"),
  cos: unary("Cos"),
  tanh: unary("Tanh"),
  sigmoid: unary("Sigmoid"),
  erf: unary("Erf"),
  log1p,
  expm1,
  atan2,
  hardswish: unary("HardSwish"),
  relu: unary("Relu"),
  reciprocal: unary("Reciprocal"),
  sign: unary("Sign"),
  floor: unary("Floor"),
  ceil: unary("Ceil"),
  round: unary("Round"),
  logicalNot: unary("Not"),
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  maximum: binary("Max"),
  minimum: binary("Min"),
  eq: compare("Equal"),
  ne: compare("Equal", true),
  lt: compare("Less"),
  le: compare("LessOrEqual"),
  gt: compare("Greater"),
  ge: compare("GreaterOrEqual"),
  logicalAnd: compare("And"),
  logicalOr: compare("Or"),
  where: (ctx, ev) => {
    const [c, a, b] = operands(ctx, ev) as [string, string, string];
    const cond = ev.inputs[0]!.dtype === "bool" ? c : ctx.b.node("Cast", [c], { to: { i: elemTypeCode("bool") } });
    // ONNX Runtime has no bool Where: (c and a) or (not c and b).
    if (ev.output.dtype === "bool") {
      const pick = ctx.b.node("And", [cond, a]);
      const other = ctx.b.node("And", [ctx.b.node("Not", [cond]), b]);
      return void ctx.b.node("Or", [pick, other], {}, out(ev));
    }
    ctx.b.node("Where", [cond, a, b], {}, out(ev));
  },
  sum: reduce("ReduceSum"),
  prod: reduce("ReduceProd"),
  argmax: argReduce("ArgMax"),
  argmin: argReduce("ArgMin"),
  max: reduce("ReduceMax"),
  min: reduce("ReduceMin"),
  softmax: (ctx, ev) => void ctx.b.node("Softmax", [ev.inputs[0]!.name], { axis: { i: (ev.params as { dim: number }).dim } }, out(ev)),
  // Softmax gives NaN where a whole row is -inf (fully masked); neurite's attention gives zeros.
  safeSoftmax: (ctx, ev) => {
    const y = ctx.b.node("Softmax", [ev.inputs[0]!.name], { axis: { i: -1 } });
    ctx.b.node("Where", [ctx.b.node("IsNaN", [y]), ctx.b.constant(onnxType(ev.output.dtype), [0], []), y], {}, out(ev));
  },
  logSoftmax: (ctx, ev) => void ctx.b.node("LogSoftmax", [ev.inputs[0]!.name], { axis: { i: (ev.params as { dim: number }).dim } }, out(ev)),
  matmul: (ctx, ev) => void ctx.b.node("MatMul", ev.inputs.map((v) => v.name), {}, out(ev)),
  gather: (ctx, ev) => void ctx.b.node("GatherElements", ev.inputs.map((v) => v.name), { axis: { i: (ev.params as { dim: number }).dim } }, out(ev)),
  indexSelect: (ctx, ev) => void ctx.b.node("Gather", ev.inputs.map((v) => v.name), { axis: { i: (ev.params as { dim: number }).dim } }, out(ev)),
  scatterAdd,
  cat: (ctx, ev) => void ctx.b.node("Concat", ev.inputs.map((v) => v.name), { axis: { i: (ev.params as { dim: number }).dim } }, out(ev)),
  pad,
  conv2d,
  convTranspose2d,
  maxPool2d,
  avgPool2d,
  // Only reached from code that builds windows itself: neurite's convs and pools record one op.
  im2col: notExportable("sliding windows (im2col) have no ONNX op; convolutions and pooling export as ONNX Conv/MaxPool/AveragePool"),
  // Only reached with returnIndices (F.maxPool2d records one maxPool2d op otherwise).
  maxPool2dValues: notExportable("max pooling with returnIndices has no ONNX export (ONNX MaxPool's indices count differently); export the layer without returnIndices"),
  maxPool2dBackward: notExportable("it only appears in gradients; export the forward pass in eval mode"),
  matmulSumBatch: notExportable("it only appears in gradients; export the forward pass in eval mode"),
  // Only reached outside F.conv2d (which records one conv2d op).
  convolution: notExportable("call F.conv2d or nn.Conv2d, which export as ONNX Conv"),
  convolutionInputGrad: notExportable("it only appears in gradients; export the forward pass in eval mode"),
  convolutionWeightGrad: notExportable("it only appears in gradients; export the forward pass in eval mode"),
  reluBackward: notExportable("it only appears in gradients; export the forward pass in eval mode"),
  maxPool2dIndices: notExportable("max pooling with returnIndices has no ONNX export (ONNX MaxPool's indices count differently); export the layer without returnIndices"),
  col2im: notExportable("col2im has no ONNX op; use F.convTranspose2d or nn.ConvTranspose2d"),
  indexAdd: notExportable("it only appears in gradients; export the forward pass in eval mode"),
};
