import onnxProto from "onnx-proto";
import type { Dim } from "./graph.js";

const TYPE_NAMES: Record<number, string> = { 1: "float32", 6: "int32", 7: "int64", 9: "bool", 10: "float16", 11: "float64" };

export interface OnnxValueSummary {
  name: string;
  dtype: string;
  shape: Dim[];
}

/** The graph inputs and outputs of ONNX bytes (names, element types, dims with symbolic names). */
export function describeModel(bytes: Uint8Array): { inputs: OnnxValueSummary[]; outputs: OnnxValueSummary[]; opset: number } {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const summarize = (v: onnxProto.onnx.IValueInfoProto): OnnxValueSummary => {
    const tt = v.type?.tensorType;
    return {
      name: v.name ?? "",
      dtype: TYPE_NAMES[tt?.elemType ?? 0] ?? `onnx type ${tt?.elemType}`,
      shape: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
    };
  };
  const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  return { inputs: (model.graph?.input ?? []).map(summarize), outputs: (model.graph?.output ?? []).map(summarize), opset };
}
