import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor/tensor.js";
import { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from "../nn/layers/conv.js";
import { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d } from "../nn/layers/pooling.js";
import { GRU, LSTM, RNN } from "../nn/layers/rnn.js";
import { LayerNorm } from "../nn/layers/normalization.js";
import { convertLayerNorm } from "./norm-converters.js";
import type { ConvertContext } from "./context.js";
import type { ModuleEvent, TracedValue } from "./trace.js";
import { convertRecurrent, recurrentUnsupported } from "./recurrent.js";
import { convertConv, convertConvTranspose, convertPool, convertAdaptivePool } from "./window-converters.js";

/**
 * Converts a whole module call to ONNX's own op: the primitives a neurite conv or pool runs
 * (im2col + matmul) have no ONNX counterpart, and a recurrent layer unrolled step by step would
 * fix the sequence length. `param` names a parameter tensor as a graph initializer.
 */
export interface ModuleConverter {
  name: string;
  convert(ctx: ConvertContext, ev: ModuleEvent, param: (t: Tensor, name: string) => string): void;
}

export type Param = (t: Tensor, name: string) => string;

/** The single tensor input of a module call. */
export function tensorArg(ev: ModuleEvent, i = 0): TracedValue {
  const a = ev.args[i] as TracedValue | undefined;
  if (!a || typeof a !== "object" || !("name" in a)) throw new Error(`onnx export: ${ev.module.constructor.name} at '${ev.path}': expected a tensor as argument ${i}`);
  return a;
}

const converters: [new (...args: never[]) => Module, ModuleConverter][] = [
  [Conv1d, { name: "Conv", convert: convertConv }],
  [Conv2d, { name: "Conv", convert: convertConv }],
  [ConvTranspose1d, { name: "ConvTranspose", convert: convertConvTranspose }],
  [ConvTranspose2d, { name: "ConvTranspose", convert: convertConvTranspose }],
  [MaxPool1d, { name: "MaxPool", convert: convertPool }],
  [MaxPool2d, { name: "MaxPool", convert: convertPool }],
  [AvgPool1d, { name: "AveragePool", convert: convertPool }],
  [AvgPool2d, { name: "AveragePool", convert: convertPool }],
  [AdaptiveAvgPool1d, { name: "AveragePool", convert: convertAdaptivePool }],
  [AdaptiveAvgPool2d, { name: "AveragePool", convert: convertAdaptivePool }],
  [AdaptiveMaxPool2d, { name: "MaxPool", convert: convertAdaptivePool }],
  [LayerNorm, { name: "LayerNormalization", convert: convertLayerNorm }],
  [LSTM, { name: "LSTM", convert: convertRecurrent }],
  [GRU, { name: "GRU", convert: convertRecurrent }],
  [RNN, { name: "RNN", convert: convertRecurrent }],
];

/**
 * The converter for `m`, or null to trace its forward op by op. Recurrent layers that ONNX's
 * ops cannot express (LSTM with projSize) are traced op by op: correct, at the traced length.
 */
export function moduleConverterFor(m: Module): ModuleConverter | null {
  for (const [cls, conv] of converters) {
    if (m.constructor === cls) return (m instanceof LSTM || m instanceof GRU || m instanceof RNN) && recurrentUnsupported(m) ? null : conv;
  }
  return null;
}
