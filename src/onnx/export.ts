import { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { noGrad } from "../autograd/grad-mode.js";
import * as ops from "../ops/index.js";
import { shapeToString } from "../tensor/shape.js";
import { traceForward } from "./trace.js";
import { buildGraph } from "./build-graph.js";
import type { BatchSymbol } from "./context.js";
import { encodeModel } from "./encode.js";
import type { GraphSpec } from "./graph.js";

/** Axes of an input or output that vary at run time: a list, or axis → symbolic name. */
export type DynamicAxes = Record<string, readonly number[] | Record<number, string>>;

export interface ExportOptions {
  /** Graph input names (default input_0, input_1, …). */
  inputNames?: readonly string[];
  /** Graph output names (default output_0, …). */
  outputNames?: readonly string[];
  /** Per input/output name, the axes that vary (one symbol, the batch, shared by all). */
  dynamicAxes?: DynamicAxes;
  /** ONNX opset; 17 (the default) is the one written. */
  opsetVersion?: number;
}

export const DEFAULT_OPSET = 17;
/** Protobuf messages cannot exceed 2 GiB; larger weights need ONNX's external-data format. */
const MAX_INLINE_BYTES = 2 ** 31 - 1;
const PRODUCER_VERSION = "0.1.0";

const axesOf = (spec: readonly number[] | Record<number, string>): number[] => (Array.isArray(spec) ? [...spec] : Object.keys(spec).map(Number));

/** A copy of `x` `extra` elements longer along each of `axes` (its first element repeated). */
function growAlong(x: Tensor, axes: readonly number[], extra: number): Tensor {
  let y = x;
  for (const axis of axes) for (let i = 0; i < extra; i++) y = ops.cat([y, ops.narrow(y, axis, 0, 1)], axis);
  return y;
}

/** The one varying size the dynamic axes share (the batch), or null for a static graph. */
function batchSymbol(inputs: readonly Tensor[], inputNames: readonly string[], inputAxes: readonly number[][], dynamic: DynamicAxes): BatchSymbol | null {
  let batch: BatchSymbol | null = null;
  let exampleBatch = 0;
  for (let i = 0; i < inputs.length; i++) {
    const name = inputNames[i]!;
    for (const axis of inputAxes[i]!) {
      const size = inputs[i]!.shape[axis];
      if (size === undefined) throw new RangeError(`onnx.exportModel: dynamic axis ${axis} of input '${name}' is out of range for shape ${shapeToString(inputs[i]!.shape)}`);
      if (batch) {
        if (exampleBatch !== size) throw new RangeError(`onnx.exportModel: dynamic axes must all be the same batch size; '${name}' axis ${axis} has ${size}, '${batch.input}' has ${exampleBatch}`);
        continue;
      }
      exampleBatch = size;
      const spec = dynamic[name]!;
      const symbol = Array.isArray(spec) ? "batch" : ((spec as Record<number, string>)[axis] ?? "batch");
      // Both traces run at a batch of 2 or more: at 1, some ops skip a broadcast and the two
      // traces would not line up.
      const first = Math.max(size, 2);
      batch = { input: name, axis, sizes: [first, first + 1], symbol };
    }
  }
  return batch;
}

/**
 * Exports `model`'s forward pass on `exampleInputs` as an ONNX model (opset 17). The forward
 * pass is traced once (twice with dynamic axes, at two batch sizes, so sizes that follow the
 * batch are computed at run time). Parameters and buffers become initializers
 * named as in `stateDict()`; convolutions, pooling and recurrent layers become ONNX's own ops.
 */
export function exportModel(model: Module, exampleInputs: Tensor | readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const graph = traceToGraph(model, exampleInputs, options);
  const bytes = graph.initializers.reduce((s, t) => s + t.data.byteLength, 0);
  if (bytes > MAX_INLINE_BYTES) {
    throw new RangeError(`onnx.exportModel: the weights take ${bytes} bytes, more than a protobuf message holds (2 GiB); use onnx.exportModelWithExternalData`);
  }
  return encodeModel(graph, { opsetVersion: options.opsetVersion ?? DEFAULT_OPSET, producerVersion: PRODUCER_VERSION }).model;
}

export interface ExternalDataOptions extends ExportOptions {
  /** File name of the weights, next to the model file (e.g. "model.onnx.data"). */
  location: string;
  /** Initializers of at least this many bytes go to the external file (default 1024). */
  sizeThreshold?: number;
}

/**
 * Like `exportModel`, with the weights in ONNX's external-data format, for models over 2 GiB:
 * `model` refers to `location` for every initializer of `sizeThreshold` bytes or more, whose
 * bytes are in `data`. Save `data` under `location` in the model file's folder.
 */
export function exportModelWithExternalData(model: Module, exampleInputs: Tensor | readonly Tensor[], options: ExternalDataOptions): { model: Uint8Array; data: Uint8Array } {
  if (!options.location || /[\\/]/.test(options.location)) throw new RangeError(`onnx.exportModelWithExternalData: location must be a plain file name (it is resolved next to the model file), got '${options.location}'`);
  const graph = traceToGraph(model, exampleInputs, options);
  const threshold = options.sizeThreshold ?? 1024;
  const encoded = encodeModel(graph, { opsetVersion: options.opsetVersion ?? DEFAULT_OPSET, producerVersion: PRODUCER_VERSION, externalData: { location: options.location, threshold } });
  return { model: encoded.model, data: encoded.data! };
}

/** Traces `model` and converts the trace(s) to a graph (shared by both export forms). */
function traceToGraph(model: Module, exampleInputs: Tensor | readonly Tensor[], options: ExportOptions): GraphSpec {
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  if (inputs.length === 0 || inputs.some((t) => !(t instanceof Tensor))) throw new TypeError("onnx.exportModel: exampleInputs must be a tensor or a non-empty array of tensors");
  for (const t of [...inputs, ...model.parameters()]) {
    // The exporter reads weights and constants synchronously while it traces.
    if (!t.backend.canReadSync) throw new Error(`onnx.exportModel: tensors on '${t.device}' cannot be read synchronously; export from the cpu or wasm backend (model.to("cpu") and cpu inputs)`);
  }
  const opset = options.opsetVersion ?? DEFAULT_OPSET;
  if (opset !== DEFAULT_OPSET) throw new RangeError(`onnx.exportModel: opsetVersion ${opset} is not supported; neurite writes opset ${DEFAULT_OPSET}`);
  const inputNames = options.inputNames ?? inputs.map((_, i) => `input_${i}`);
  if (inputNames.length !== inputs.length) throw new RangeError(`onnx.exportModel: ${inputNames.length} inputNames for ${inputs.length} example inputs`);

  const dynamic = options.dynamicAxes ?? {};
  for (const name of Object.keys(dynamic)) {
    if (!inputNames.includes(name) && !(options.outputNames ?? []).includes(name)) {
      throw new RangeError(`onnx.exportModel: dynamicAxes names '${name}', which is neither an input nor an output name (inputs: ${inputNames.join(", ")})`);
    }
  }
  const inputAxes = inputNames.map((n) => (dynamic[n] ? axesOf(dynamic[n]) : []));
  const batch = batchSymbol(inputs, inputNames, inputAxes, dynamic);

  const tracedAt = (target: number): ReturnType<typeof traceForward> => {
    const grown = noGrad(() => inputs.map((t, i) => (inputAxes[i]!.length ? growAlong(t, inputAxes[i]!, target - t.shape[inputAxes[i]![0]!]!) : t)));
    try {
      return traceForward(model, grown, inputNames);
    } finally {
      grown.forEach((t, i) => t !== inputs[i] && t.dispose());
    }
  };
  const trace = batch ? tracedAt(batch.sizes[0]) : traceForward(model, inputs, inputNames);
  const other = batch ? tracedAt(batch.sizes[1]) : trace;
  const outputNames = options.outputNames ?? trace.outputs.map((_, i) => `output_${i}`);
  if (outputNames.length !== trace.outputs.length) throw new RangeError(`onnx.exportModel: ${outputNames.length} outputNames for ${trace.outputs.length} outputs of the forward pass`);
  return buildGraph(trace, other, batch, { graphName: model.constructor.name, outputNames });
}
