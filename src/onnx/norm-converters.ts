import type { LayerNorm } from "../nn/layers/normalization.js";
import type { ConvertContext } from "./context.js";
import type { ModuleEvent } from "./trace.js";
import { tensorArg, type Param } from "./module-call.js";

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/**
 * LayerNorm as ONNX's LayerNormalization (opset 17): one node that runtimes fuse and name, rather
 * than the mean/variance arithmetic neurite runs. Without affine parameters the scale is ones.
 */
export function convertLayerNorm(ctx: ConvertContext, ev: ModuleEvent, param: Param): void {
  const m = ev.module as LayerNorm;
  const x = tensorArg(ev);
  if (x.dtype !== "float32") throw new Error(`onnx export: LayerNorm at '${ev.path || "<model>"}': expected a float32 input, got ${x.dtype}`);
  const size = m.normalizedShape.reduce((a, b) => a * b, 1);
  const scale = m.weight ? param(m.weight, join(ev.path, "weight")) : ctx.b.constant("float32", Array<number>(size).fill(1), m.normalizedShape);
  const inputs = [x.name, scale];
  if (m.bias) inputs.push(param(m.bias, join(ev.path, "bias")));
  ctx.b.node("LayerNormalization", inputs, { axis: { i: -m.normalizedShape.length }, epsilon: { f: m.eps } }, [ev.outputs[0]!.name]);
}
