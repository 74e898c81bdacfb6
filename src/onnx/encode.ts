import onnxProto from "onnx-proto";
import type { Attr, Dim, GraphSpec, OnnxElemType, TensorValue, ValueInfo } from "./graph.js";

const { onnx } = onnxProto;

/** ONNX IR version 8 is the first that carries opset 17 (ONNX 1.12). */
const IR_VERSION = 8;

const ELEM_TYPE: Record<OnnxElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export const elemTypeCode = (type: OnnxElemType): number => ELEM_TYPE[type];

// raw_data is little-endian; typed arrays are in the platform's order, which is little-endian
// on every platform Node and browsers run on.
const bytesOf = (t: TensorValue): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function tensorProto(t: TensorValue): onnxProto.onnx.ITensorProto {
  return { name: t.name, dataType: ELEM_TYPE[t.type], dims: [...t.dims], rawData: bytesOf(t) };
}

/** Offsets in the external-data file are aligned so readers may map tensors in place. */
const EXTERNAL_ALIGN = 64;

/** Moves initializers of `threshold` bytes or more into one external-data buffer. */
function externalize(initializers: readonly TensorValue[], location: string, threshold: number): { protos: onnxProto.onnx.ITensorProto[]; data: Uint8Array } {
  let size = 0;
  const offsets = initializers.map((t) => {
    if (t.data.byteLength < threshold) return -1;
    size = Math.ceil(size / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
    const at = size;
    size += t.data.byteLength;
    return at;
  });
  const data = new Uint8Array(size);
  const protos = initializers.map((t, i) => {
    const offset = offsets[i]!;
    if (offset < 0) return tensorProto(t);
    data.set(bytesOf(t), offset);
    return {
      name: t.name,
      dataType: ELEM_TYPE[t.type],
      dims: [...t.dims],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: location },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(t.data.byteLength) },
      ],
    };
  });
  return { protos, data };
}

function attributeProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("i" in a) return { name, type: T.INT, i: a.i };
  if ("f" in a) return { name, type: T.FLOAT, f: a.f };
  if ("s" in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ("ints" in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ("strings" in a) return { name, type: T.STRINGS, strings: a.strings.map((v) => new TextEncoder().encode(v)) };
  return { name, type: T.TENSOR, t: tensorProto(a.t) };
}

function dimProto(d: Dim): onnxProto.onnx.TensorShapeProto.IDimension {
  return typeof d === "number" ? { dimValue: d } : { dimParam: d };
}

function valueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return { name: v.name, type: { tensorType: { elemType: ELEM_TYPE[v.type], shape: { dim: v.dims.map(dimProto) } } } };
}

export interface EncodeOptions {
  opsetVersion: number;
  producerVersion: string;
  docString?: string;
  /** Initializers of `threshold` bytes or more go to a separate file named `location`. */
  externalData?: { location: string; threshold: number };
}

/** Serialises a graph as an ONNX ModelProto (and the external-data bytes, when asked for). */
export function encodeModel(graph: GraphSpec, options: EncodeOptions): { model: Uint8Array; data: Uint8Array | null } {
  const ext = options.externalData ? externalize(graph.initializers, options.externalData.location, options.externalData.threshold) : null;
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: "neurite",
    producerVersion: options.producerVersion,
    docString: options.docString ?? "",
    opsetImport: [{ domain: "", version: options.opsetVersion }],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        opType: n.opType,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, a]) => attributeProto(k, a)),
      })),
      initializer: ext ? ext.protos : graph.initializers.map(tensorProto),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`onnx export: internal error, the model does not match the ONNX schema: ${err}`);
  return { model: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), data: ext ? ext.data : null };
}
