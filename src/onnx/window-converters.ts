import type { ConvOptions, ConvTransposeOptions } from "../nn/functional/conv.js";
import type { AvgPoolOptions, MaxPoolOptions } from "../nn/functional/pooling.js";
import type { IntOrTuple } from "../nn/functional/window-utils.js";
import type { ConvertContext } from "./context.js";
import type { OpConverter } from "./op-converters.js";
import type { OpEvent, TracedValue } from "./trace.js";

// neurite's 1-D convs and pools, adaptive pooling and the conv/pool layers all run through the
// four 2-D functions below, which report themselves as one op each (see `recordAsOne`).

const pair = (v: IntOrTuple): number[] => (typeof v === "number" ? [v, v] : v.length === 1 ? [v[0]!, v[0]!] : [...v]);
const where = (ev: OpEvent): string => `op '${ev.op}' in module '${ev.path || "<model>"}'`;

/** Runs `body` on a batched input: [C, H, W] gets a leading 1 and loses it again after. */
function withBatchDim(ctx: ConvertContext, x: TracedValue, outName: string, body: (input: string, output: string) => void): void {
  if (x.shape.length === 4) return body(x.name, outName);
  const zero = ctx.b.int64([0]);
  const result = ctx.b.fresh("batched");
  body(ctx.b.node("Unsqueeze", [x.name, zero]), result);
  ctx.b.node("Squeeze", [result, zero], {}, [outName]);
}

/** ONNX pads [begin_h, begin_w, end_h, end_w] for a conv's padding (numbers, "same" or "valid"). */
function convPads(padding: ConvOptions["padding"], kernel: readonly number[], dilation: readonly number[]): number[] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    // As PyTorch: an odd total puts the extra row/column at the end.
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    const begin = total.map((t) => Math.floor(t / 2));
    return [...begin, ...total.map((t, i) => t - begin[i]!)];
  }
  const p = pair(padding ?? 0);
  return [...p, ...p];
}

const convInputs = (ev: OpEvent): string[] => ev.inputs.slice(1).map((v) => v.name);

export const conv2d: OpConverter = (ctx, ev) => {
  const { options } = ev.params as { options: ConvOptions };
  const kernel = ev.inputs[1]!.shape.slice(2);
  const dilation = pair(options.dilation ?? 1);
  const attrs = {
    kernel_shape: { ints: kernel },
    strides: { ints: pair(options.stride ?? 1) },
    dilations: { ints: dilation },
    group: { i: options.groups ?? 1 },
    pads: { ints: convPads(options.padding, kernel, dilation) },
  };
  withBatchDim(ctx, ev.inputs[0]!, ev.output.name, (x, out) => void ctx.b.node("Conv", [x, ...convInputs(ev)], attrs, [out]));
};

export const convTranspose2d: OpConverter = (ctx, ev) => {
  const { options } = ev.params as { options: ConvTransposeOptions };
  const padding = pair(options.padding ?? 0);
  const attrs = {
    kernel_shape: { ints: ev.inputs[1]!.shape.slice(2) },
    strides: { ints: pair(options.stride ?? 1) },
    dilations: { ints: pair(options.dilation ?? 1) },
    group: { i: options.groups ?? 1 },
    pads: { ints: [...padding, ...padding] },
    output_padding: { ints: pair(options.outputPadding ?? 0) },
  };
  withBatchDim(ctx, ev.inputs[0]!, ev.output.name, (x, out) => void ctx.b.node("ConvTranspose", [x, ...convInputs(ev)], attrs, [out]));
};

function poolAttrs(kernelSize: IntOrTuple, options: MaxPoolOptions & AvgPoolOptions) {
  const padding = pair(options.padding ?? 0);
  return {
    kernel_shape: { ints: pair(kernelSize) },
    strides: { ints: pair(options.stride ?? kernelSize) },
    pads: { ints: [...padding, ...padding] },
    ceil_mode: { i: options.ceilMode ? 1 : 0 },
  };
}

export const maxPool2d: OpConverter = (ctx, ev) => {
  const { kernelSize, options } = ev.params as { kernelSize: IntOrTuple; options: MaxPoolOptions };
  const attrs = { ...poolAttrs(kernelSize, options), dilations: { ints: pair(options.dilation ?? 1) } };
  withBatchDim(ctx, ev.inputs[0]!, ev.output.name, (x, out) => void ctx.b.node("MaxPool", [x], attrs, [out]));
};

export const avgPool2d: OpConverter = (ctx, ev) => {
  const { kernelSize, options } = ev.params as { kernelSize: IntOrTuple; options: AvgPoolOptions };
  if (options.divisorOverride) throw new Error(`onnx export: ${where(ev)}: divisorOverride has no ONNX AveragePool attribute`);
  const attrs = { ...poolAttrs(kernelSize, options), count_include_pad: { i: options.countIncludePad === false ? 0 : 1 } };
  withBatchDim(ctx, ev.inputs[0]!, ev.output.name, (x, out) => void ctx.b.node("AveragePool", [x], attrs, [out]));
};
