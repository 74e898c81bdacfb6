import type { Tensor } from "../tensor/tensor.js";
import { GraphBuilder, typedArrayOf } from "./builder.js";
import { ConvertContext, onnxType, type BatchSymbol } from "./context.js";
import type { GraphSpec, NodeSpec } from "./graph.js";
import { OP_CONVERTERS } from "./op-converters.js";
import type { Trace, TracedConstant, TraceEvent } from "./trace.js";

const where = (ev: TraceEvent): string => `module '${ev.path || "<model>"}'`;
const eventName = (ev: TraceEvent): string => (ev.kind === "op" ? ev.op : ev.module.constructor.name);

/** Tensor values as plain numbers for an initializer (bool reads as 0/1). */
const valuesOf = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>, Number);

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * A constant the forward pass built from data. One whose shape follows the batch size must hold
 * a single repeated value (zeros for initial states, a fill): it becomes ConstantOfShape.
 */
function addConstant(ctx: ConvertContext, c: TracedConstant, other: TracedConstant | undefined): void {
  const b = ctx.b;
  const same = other && c.shape.every((d, i) => d === other.shape[i]) && c.shape.length === other.shape.length;
  if (!other || same) {
    if (other && !sameValues(c.data, other.data)) {
      throw new Error(`onnx export: a tensor of shape [${c.shape.join(", ")}] was read as data but its values depend on the input (was it computed outside neurite's ops, e.g. from data() or dataSync()?)`);
    }
    b.addInitializer({ name: c.name, type: onnxType(c.dtype), dims: c.shape, data: typedArrayOf(onnxType(c.dtype), Array.from(c.data, Number)) });
    return;
  }
  const first = c.data[0] ?? 0;
  const uniform = (d: ArrayLike<number>): boolean => Array.prototype.every.call(d, (v: number) => v === first);
  if (!uniform(c.data) || !uniform(other.data)) {
    throw new Error(`onnx export: a constant of shape [${c.shape.join(", ")}] (shape [${other.shape.join(", ")}] at another batch size) varies with the batch size and is not a single repeated value; build it with neurite ops from the input instead`);
  }
  const value = { name: `${c.name}_value`, type: onnxType(c.dtype), dims: [1], data: typedArrayOf(onnxType(c.dtype), [first]) };
  b.node("ConstantOfShape", [ctx.dims(c.shape, other.shape, `constant ${c.name}`)], { value: { t: value } }, [c.name]);
}

/** Keeps only the nodes and initializers the outputs depend on. */
function prune(nodes: NodeSpec[], outputs: readonly string[]): { nodes: NodeSpec[]; used: Set<string> } {
  const needed = new Set(outputs);
  const kept: NodeSpec[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) if (x) needed.add(x);
  }
  return { nodes: kept.reverse(), used: needed };
}

export interface GraphNames {
  graphName: string;
  outputNames: readonly string[];
}

/**
 * Converts trace `a` to an ONNX graph. `other` is the same forward pass traced at a second
 * batch size (or `a` itself for a static graph): sizes that differ between the two are
 * computed from the batch size at run time.
 */
export function buildGraph(a: Trace, other: Trace, batch: BatchSymbol | null, names: GraphNames): GraphSpec {
  if (a.events.length !== other.events.length || a.events.some((ev, i) => eventName(ev) !== eventName(other.events[i]!))) {
    throw new Error("onnx export: the forward pass runs different ops at two batch sizes; export it without dynamic axes");
  }
  const b = new GraphBuilder();
  const ctx = new ConvertContext(b, batch);
  const paramDone = new Set<string>();
  const param = (t: Tensor, name: string): string => {
    if (!paramDone.has(name)) {
      paramDone.add(name);
      b.addInitializer({ name, type: onnxType(t.dtype), dims: [...t.shape], data: typedArrayOf(onnxType(t.dtype), valuesOf(t)) });
    }
    return name;
  };
  for (const [name, p] of a.parameters) param(p.tensor, name);
  for (const [name, c] of a.constants) addConstant(ctx, c, other.constants.get(name));

  a.events.forEach((ev, i) => {
    const twin = other.events[i]!;
    b.label = `${ev.path}/${eventName(ev)}`;
    if (ev.kind === "module") {
      ev.converter.convert(ctx, ev, param);
      for (const o of ev.outputs) ctx.noteProducer(o.name, ev);
      return;
    }
    const convert = OP_CONVERTERS[ev.op];
    if (!convert) throw new Error(`onnx export: op '${ev.op}' in ${where(ev)} has no ONNX conversion`);
    try {
      convert(ctx, ev, twin as typeof ev);
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith("onnx export")) e.message = `onnx export: op '${ev.op}' in ${where(ev)}: ${e.message}`;
      throw e;
    }
    ctx.noteProducer(ev.output.name, ev);
  });

  // Graph outputs get the requested names through Identity (a value may be an input, a
  // parameter, or returned twice).
  b.label = "outputs";
  a.outputs.forEach((v, i) => b.node("Identity", [v.name], {}, [names.outputNames[i]!]));
  const { nodes, used } = prune(b.nodes, names.outputNames);
  return {
    name: names.graphName,
    nodes,
    initializers: [...b.initializers.values()].filter((t) => used.has(t.name)),
    inputs: a.inputs.map((v, i) => ({ name: v.name, type: onnxType(v.dtype), dims: ctx.symbolicDims(v, other.inputs[i]!) })),
    outputs: a.outputs.map((v, i) => ({ name: names.outputNames[i]!, type: onnxType(v.dtype), dims: ctx.symbolicDims(v, other.outputs[i]!) })),
  };
}
