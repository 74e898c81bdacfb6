// What module converters share (apart from module-converters.ts, which imports the converters:
// the converters importing it back would be an import cycle).
import type { Tensor } from "../tensor/tensor.js";
import type { ModuleEvent, TracedValue } from "./trace.js";

/** Names a parameter tensor as a graph initializer; returns its name in the graph. */
export type Param = (t: Tensor, name: string) => string;

/** The single tensor input of a module call. */
export function tensorArg(ev: ModuleEvent, i = 0): TracedValue {
  const a = ev.args[i] as TracedValue | undefined;
  if (!a || typeof a !== "object" || !("name" in a)) throw new Error(`onnx export: ${ev.module.constructor.name} at '${ev.path}': expected a tensor as argument ${i}`);
  return a;
}
