import { Tensor } from "../tensor/tensor.js";
import type { DType } from "../tensor/dtype.js";
import { shapeToString } from "../tensor/shape.js";
import type { Storage } from "../memory/storage.js";
import { Module } from "../nn/module.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import { setOpObserver, type OpObserver } from "../ops/trace-hook.js";
import { moduleConverterFor, type ModuleConverter } from "./module-converters.js";

/** What the trace knows about a value: its name in the graph, shape and dtype at trace time. */
export interface TracedValue {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

/** One op recorded at the dispatch point: a primitive, a gradient-free op, or a composite reported as one (conv2d, softmax). */
export interface OpEvent {
  kind: "op";
  op: string;
  inputs: TracedValue[];
  params: object;
  output: TracedValue;
  /** Dotted path of the innermost module running the op ("" for the model itself). */
  path: string;
}

/** A whole module call exported as ONNX's own op (LSTM, LayerNormalization, …) instead of its ops. */
export interface ModuleEvent {
  kind: "module";
  module: Module;
  converter: ModuleConverter;
  /** The forward arguments, tensors replaced by their traced values. */
  args: unknown[];
  outputs: TracedValue[];
  path: string;
}

export type TraceEvent = OpEvent | ModuleEvent;

/** A tensor the forward pass made from data (arange, a mask, a scalar) rather than by an op. */
export interface TracedConstant extends TracedValue {
  data: ArrayLike<number>;
}

export interface Trace {
  events: TraceEvent[];
  inputs: TracedValue[];
  outputs: TracedValue[];
  /** Parameters and buffers the forward pass read, by state_dict name. */
  parameters: Map<string, { value: TracedValue; tensor: Tensor }>;
  constants: Map<string, TracedConstant>;
}

const describe = (t: Tensor, name: string): TracedValue => ({ name, shape: [...t.shape], dtype: t.dtype });

/**
 * Runs `model.forward(...inputs)` once in eval mode without gradients and records every op.
 * Tensors are named by identity; a new handle on the same view of a known tensor (detach,
 * shareView) is the same value. Any other tensor the ops read is a constant.
 */
export function traceForward(model: Module, inputs: readonly Tensor[], inputNames: readonly string[]): Trace {
  const trace: Trace = { events: [], inputs: [], outputs: [], parameters: new Map(), constants: new Map() };
  const byTensor = new Map<Tensor, TracedValue>();
  const byStorage = new Map<Storage, Tensor[]>();
  const paramNames = new Map<Tensor, string>();
  for (const [name, p] of [...model.namedParameters(), ...model.namedBuffers()]) if (!paramNames.has(p)) paramNames.set(p, name);
  let counter = 0;
  const pathStack: string[] = [""];
  let suspended = 0;

  const bind = (t: Tensor, name: string): TracedValue => {
    const v = describe(t, name);
    byTensor.set(t, v);
    const list = byStorage.get(t.storage);
    if (list) list.push(t);
    else byStorage.set(t.storage, [t]);
    return v;
  };
  const sameView = (a: Tensor, b: Tensor): boolean =>
    a.offset === b.offset && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);

  const resolve = (t: Tensor): TracedValue => {
    const known = byTensor.get(t);
    if (known) return known;
    const alias = byStorage.get(t.storage)?.find((o) => sameView(o, t));
    if (alias) return bind(t, byTensor.get(alias)!.name);
    const param = paramNames.get(t);
    if (param !== undefined) {
      const v = bind(t, param);
      trace.parameters.set(param, { value: v, tensor: t });
      return v;
    }
    const v = bind(t, `data_${trace.constants.size}`);
    trace.constants.set(v.name, { ...v, data: t.dataSync() as ArrayLike<number> });
    return v;
  };
  const produced = (t: Tensor, op: string): TracedValue => bind(t, `${op}_${counter++}`);

  const observer: OpObserver = {
    mutation(target) {
      if (suspended > 0) return;
      const path = pathStack[pathStack.length - 1]!;
      throw new Error(`onnx export: an in-place update (assign, copy_ or fill_) of a tensor of shape ${shapeToString(target.shape)} in module '${path || "<model>"}' cannot be exported: an ONNX graph has no mutation; compute a new tensor instead`);
    },
    suspend: () => void suspended++,
    resume: () => void suspended--,
    record(op, opInputs, params, output) {
      if (suspended > 0) return;
      const ins = opInputs.map(resolve);
      trace.events.push({ kind: "op", op, inputs: ins, params, output: produced(output, op), path: pathStack[pathStack.length - 1]! });
    },
  };

  const resolveArg = (a: unknown): unknown => (a instanceof Tensor ? resolve(a) : Array.isArray(a) ? a.map(resolveArg) : a);
  const restore: (() => void)[] = [];
  for (const [path, m] of model.namedModules()) {
    const original = m.forward;
    const ownDescriptor = Object.getOwnPropertyDescriptor(m, "forward");
    const converter = moduleConverterFor(m);
    // An own property shadows the class's forward for this trace only; removed in `finally`.
    Object.defineProperty(m, "forward", {
      configurable: true,
      writable: true,
      enumerable: false,
      value: (...args: unknown[]): unknown => {
        pathStack.push(path);
        try {
          if (!converter || suspended > 0) return original.apply(m, args);
          const tracedArgs = args.map(resolveArg);
          suspended++;
          let result: unknown;
          try {
            result = original.apply(m, args);
          } finally {
            suspended--;
          }
          const outputs = flattenTensors(result).map((t) => produced(t, converter.name));
          trace.events.push({ kind: "module", module: m, converter, args: tracedArgs, outputs, path });
          return result;
        } finally {
          pathStack.pop();
        }
      },
    });
    // A forward defined on the instance itself (an arrow-function field) is put back as it was.
    restore.push(() => (ownDescriptor ? Object.defineProperty(m, "forward", ownDescriptor) : delete (m as unknown as Record<string, unknown>).forward));
  }

  const wasTraining = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  const previous = setOpObserver(observer);
  try {
    trace.inputs = inputs.map((t, i) => bind(t, inputNames[i]!));
    // tidy frees every tensor of the traced pass: only names, shapes and constants' data are kept.
    noGrad(() =>
      tidy(() => {
        trace.outputs = flattenTensors(model.forward(...inputs)).map(resolve);
      }),
    );
  } finally {
    setOpObserver(previous);
    for (const r of restore) r();
    for (const [m, mode] of wasTraining) m.training = mode;
  }
  return trace;
}

/** The tensors of a forward result: a tensor, or (nested) arrays of tensors and nulls. */
export function flattenTensors(result: unknown): Tensor[] {
  if (result instanceof Tensor) return [result];
  if (Array.isArray(result)) return result.flatMap(flattenTensors);
  if (result === null || result === undefined) return [];
  throw new TypeError(`onnx export: forward returned ${typeof result === "object" ? (result as object).constructor.name : typeof result}; expected tensors (or arrays of them)`);
}
