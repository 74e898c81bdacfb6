import type { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from "../nn/layers/conv.js";
import { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d } from "../nn/layers/pooling.js";
import type { IntOrTuple } from "../nn/functional/window-utils.js";
import type { ConvertContext } from "./context.js";
import type { ModuleEvent, TracedValue } from "./trace.js";
import { tensorArg, type Param } from "./module-converters.js";

const ints = (v: IntOrTuple, n: number): number[] => (typeof v === "number" ? Array<number>(n).fill(v) : v.length === 1 ? Array<number>(n).fill(v[0]!) : [...v]);
const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);
const where = (ev: ModuleEvent): string => `${ev.module.constructor.name} at '${ev.path || "<model>"}'`;

/**
 * Runs `body` on a batched view of `x` ([C, ...] gets a leading 1, as neurite's layers accept
 * unbatched input) and writes the result to `outName`.
 */
function withBatchDim(ctx: ConvertContext, x: TracedValue, nd: number, outName: string, body: (input: string, output: string) => void): void {
  if (x.shape.length === nd + 2) return body(x.name, outName);
  const zero = ctx.b.int64([0]);
  const batched = ctx.b.node("Unsqueeze", [x.name, zero]);
  const result = ctx.b.fresh("batched");
  body(batched, result);
  ctx.b.node("Squeeze", [result, zero], {}, [outName]);
}

/** Per-dim [begin, end] padding of a conv layer (numbers, "same" or "valid"). */
function convPads(m: Conv1d | Conv2d): { begin: number[]; end: number[] } {
  const nd = m.kernelSize.length;
  if (m.padding === "valid") return { begin: Array<number>(nd).fill(0), end: Array<number>(nd).fill(0) };
  if (m.padding === "same") {
    const total = m.kernelSize.map((k, i) => m.dilation[i]! * (k - 1));
    return { begin: total.map((t) => Math.floor(t / 2)), end: total.map((t) => t - Math.floor(t / 2)) };
  }
  const p = ints(m.padding, nd);
  return { begin: p, end: p };
}

const PAD_MODES: Record<string, string> = { reflect: "reflect", replicate: "edge" };

export function convertConv(ctx: ConvertContext, ev: ModuleEvent, param: Param): void {
  const m = ev.module as Conv1d | Conv2d;
  const nd = m.kernelSize.length;
  const { begin, end } = convPads(m);
  withBatchDim(ctx, tensorArg(ev), nd, ev.outputs[0]!.name, (x, output) => {
    let input = x;
    let pads = [...begin, ...end];
    if (m.paddingMode !== "zeros") {
      const mode = PAD_MODES[m.paddingMode];
      if (!mode) throw new Error(`onnx export: ${where(ev)}: paddingMode '${m.paddingMode}' has no ONNX Pad mode at opset 17 ('wrap' came in opset 19)`);
      input = ctx.b.node("Pad", [x, ctx.b.int64([0, 0, ...begin, 0, 0, ...end])], { mode: { s: mode } });
      pads = pads.map(() => 0);
    }
    const inputs = [input, param(m.weight, join(ev.path, "weight"))];
    if (m.bias) inputs.push(param(m.bias, join(ev.path, "bias")));
    ctx.b.node("Conv", inputs, { kernel_shape: { ints: m.kernelSize }, strides: { ints: m.stride }, dilations: { ints: m.dilation }, group: { i: m.groups }, pads: { ints: pads } }, [output]);
  });
}

export function convertConvTranspose(ctx: ConvertContext, ev: ModuleEvent, param: Param): void {
  const m = ev.module as ConvTranspose1d | ConvTranspose2d;
  const nd = m.kernelSize.length;
  const x = tensorArg(ev);
  const outputSize = ev.args[1] as readonly number[] | null | undefined;
  // PyTorch's forward(x, outputSize) picks the output padding that reaches outputSize.
  const outputPadding = outputSize
    ? outputSize.slice(-nd).map((want, i) => want - ((x.shape[x.shape.length - nd + i]! - 1) * m.stride[i]! - 2 * m.padding[i]! + m.dilation[i]! * (m.kernelSize[i]! - 1) + 1))
    : m.outputPadding;
  withBatchDim(ctx, x, nd, ev.outputs[0]!.name, (input, output) => {
    const inputs = [input, param(m.weight, join(ev.path, "weight"))];
    if (m.bias) inputs.push(param(m.bias, join(ev.path, "bias")));
    ctx.b.node("ConvTranspose", inputs, {
      kernel_shape: { ints: m.kernelSize },
      strides: { ints: m.stride },
      dilations: { ints: m.dilation },
      group: { i: m.groups },
      pads: { ints: [...m.padding, ...m.padding] },
      output_padding: { ints: outputPadding },
    }, [output]);
  });
}

interface PoolSettings {
  kernel: IntOrTuple;
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
  returnIndices?: boolean;
}

function poolSettings(m: ModuleEvent["module"]): PoolSettings {
  if (m instanceof MaxPool1d || m instanceof AvgPool1d) return { kernel: m.kernelSize, ...m.options };
  if (m instanceof MaxPool2d) return { kernel: m.kernelSize, stride: m.stride, padding: m.padding, dilation: m.dilation, ceilMode: m.ceilMode, returnIndices: m.returnIndices };
  if (m instanceof AvgPool2d) return { kernel: m.kernelSize, stride: m.stride, padding: m.padding, ceilMode: m.ceilMode, countIncludePad: m.countIncludePad, divisorOverride: m.divisorOverride };
  throw new Error(`internal: ${m.constructor.name} is not a pooling layer`);
}

export function convertPool(ctx: ConvertContext, ev: ModuleEvent): void {
  const m = ev.module;
  const isMax = m instanceof MaxPool1d || m instanceof MaxPool2d;
  const nd = m instanceof MaxPool1d || m instanceof AvgPool1d ? 1 : 2;
  const s = poolSettings(m);
  if (s.returnIndices) throw new Error(`onnx export: ${where(ev)}: returnIndices is not supported (ONNX MaxPool's indices are flat over N*C*H*W, PyTorch's over H*W)`);
  if (s.divisorOverride) throw new Error(`onnx export: ${where(ev)}: divisorOverride has no ONNX AveragePool attribute`);
  const kernel = ints(s.kernel, nd);
  const padding = ints(s.padding ?? 0, nd);
  const attrs = {
    kernel_shape: { ints: kernel },
    strides: { ints: ints(s.stride ?? s.kernel, nd) },
    pads: { ints: [...padding, ...padding] },
    ceil_mode: { i: s.ceilMode ? 1 : 0 },
    ...(isMax ? { dilations: { ints: ints(s.dilation ?? 1, nd) } } : { count_include_pad: { i: s.countIncludePad === false ? 0 : 1 } }),
  };
  withBatchDim(ctx, tensorArg(ev), nd, ev.outputs[0]!.name, (x, output) => void ctx.b.node(isMax ? "MaxPool" : "AveragePool", [x], attrs, [output]));
}

/** Adaptive pooling is a plain pool when every output size divides its input size. */
export function convertAdaptivePool(ctx: ConvertContext, ev: ModuleEvent): void {
  const m = ev.module as AdaptiveAvgPool1d | AdaptiveAvgPool2d | AdaptiveMaxPool2d;
  const nd = m instanceof AdaptiveAvgPool1d ? 1 : 2;
  const isMax = m instanceof AdaptiveMaxPool2d;
  const x = tensorArg(ev);
  const spatial = x.shape.slice(-nd);
  const requested = typeof m.outputSize === "number" ? Array<number | null>(nd).fill(m.outputSize) : [...m.outputSize];
  const outSize = requested.map((o, i) => o ?? spatial[i]!);
  withBatchDim(ctx, x, nd, ev.outputs[0]!.name, (input, output) => {
    if (outSize.every((o) => o === 1)) return void ctx.b.node(isMax ? "GlobalMaxPool" : "GlobalAveragePool", [input], {}, [output]);
    if (outSize.some((o, i) => spatial[i]! % o !== 0)) {
      throw new Error(`onnx export: ${where(ev)}: output size ${JSON.stringify(outSize)} does not divide the input size ${JSON.stringify(spatial)}; ONNX has no adaptive pooling with uneven windows`);
    }
    const kernel = spatial.map((d, i) => d / outSize[i]!);
    ctx.b.node(isMax ? "MaxPool" : "AveragePool", [input], { kernel_shape: { ints: kernel }, strides: { ints: kernel } }, [output]);
  });
}
