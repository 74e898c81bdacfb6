/**
 * A plain, protobuf-free description of an ONNX graph. The tracer and the converters build
 * it; `encode.ts` turns it into ONNX bytes with the onnx-proto schema.
 */

/** Element types the exporter writes (names as neurite's dtypes, plus ONNX's int64). */
export type OnnxElemType = "float32" | "float64" | "float16" | "int32" | "int64" | "bool";

export interface TensorValue {
  name: string;
  type: OnnxElemType;
  dims: readonly number[];
  /** float16 data as raw uint16 bits. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;
}

export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
  | { t: TensorValue };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attr>;
  /** Module path and op that produced the node (kept in the ONNX node's name, for debugging). */
  name: string;
}

/** A dim is a size, or a symbolic name for a dim that varies (e.g. "batch"). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: OnnxElemType;
  dims: readonly Dim[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: TensorValue[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}
