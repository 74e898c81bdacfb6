import type { Attr, NodeSpec, OnnxElemType, TensorValue } from "./graph.js";

/**
 * Collects nodes and initializers, hands out fresh value names, and deduplicates small
 * constants (shape vectors, axes, scalars) so a graph does not hold hundreds of copies.
 */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers = new Map<string, TensorValue>();
  private counter = 0;
  private readonly constants = new Map<string, string>();
  /** Label of the op being converted, stamped on the nodes it adds. */
  label = "";

  fresh(prefix: string): string {
    return `_${prefix}_${this.counter++}`;
  }

  /** Adds a node; returns its first output's name (`outputs` named, or fresh ones). */
  node(opType: string, inputs: readonly string[], attributes: Record<string, Attr> = {}, outputs?: readonly string[] | number): string {
    const outs = typeof outputs === "number" || outputs === undefined ? Array.from({ length: outputs ?? 1 }, () => this.fresh(opType)) : [...outputs];
    this.nodes.push({ opType, inputs: [...inputs], outputs: outs, attributes, name: `${this.label}#${this.nodes.length}` });
    return outs[0]!;
  }

  /** Like `node` but returns every output name. */
  nodeMulti(opType: string, inputs: readonly string[], attributes: Record<string, Attr>, count: number): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(opType));
    this.node(opType, inputs, attributes, outs);
    return outs;
  }

  addInitializer(value: TensorValue): string {
    if (this.initializers.has(value.name)) throw new Error(`onnx export: initializer '${value.name}' defined twice`);
    this.initializers.set(value.name, value);
    return value.name;
  }

  /** An int64 constant: a 1-D vector, or a scalar when `scalar` is set. */
  int64(values: readonly number[], scalar = false): string {
    if (scalar && values.length !== 1) throw new Error("onnx export: an int64 scalar needs exactly one value");
    return this.constant("int64", values, scalar ? [] : [values.length]);
  }

  /** A float or int scalar/vector constant of element type `type`. */
  constant(type: OnnxElemType, values: readonly number[], dims: readonly number[]): string {
    const key = `${type}|${dims.join(",")}|${values.join(",")}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.fresh("const");
    this.addInitializer({ name, type, dims, data: typedArrayOf(type, values) });
    this.constants.set(key, name);
    return name;
  }
}

export function typedArrayOf(type: OnnxElemType, values: readonly number[]): TensorValue["data"] {
  switch (type) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int32":
      return Int32Array.from(values);
    case "int64":
      return BigInt64Array.from(values.map((v) => BigInt(v)));
    case "bool":
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
    case "float16":
      throw new Error("onnx export: float16 constants are not supported; cast the model to float32 first");
  }
}
