import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor/tensor.js";
import { GRU, LSTM, RNN } from "../nn/layers/rnn.js";
import { LayerNorm } from "../nn/layers/normalization.js";
import { convertLayerNorm } from "./norm-converters.js";
import type { ConvertContext } from "./context.js";
import type { ModuleEvent } from "./trace.js";
import { convertRecurrent, recurrentUnsupported } from "./recurrent.js";
import type { Param } from "./module-call.js";

/**
 * Converts a whole module call to ONNX's own op: a recurrent layer unrolled step by step would
 * fix the sequence length, and LayerNormalization is one node runtimes fuse. `param` names a
 * parameter tensor as a graph initializer. (Convolutions and pooling are recorded one level
 * lower, as functional ops: see window-converters.ts.)
 */
export interface ModuleConverter {
  name: string;
  convert(ctx: ConvertContext, ev: ModuleEvent, param: Param): void;
}

const converters: [new (...args: never[]) => Module, ModuleConverter][] = [
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
