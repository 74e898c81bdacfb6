import { GradNode, type InputMeta } from "../autograd/node.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import type { Tensor } from "../tensor/tensor.js";
import { type DifferentiablePrim, NON_DIFFERENTIABLE, forwardImpls, type Prim, type PrimParams } from "./prims.js";
import { gradRules } from "./grad-rules.js";
import { checkAnomaly } from "../autograd/anomaly.js";
import { asOutOfMemory } from "../memory/out-of-memory.js";
import { shapeToString } from "../tensor/shape.js";
import { opObserver } from "./trace-hook.js";

export interface DispatchOptions {
  /** false: never record a gradient (copies for reading values back, in-place sources). */
  record?: boolean;
  /**
   * Whether an op observer (the ONNX tracer) sees this op; default: when `record` is not false.
   * false when the caller reports the op itself in another form (comparisons report their
   * un-broadcast inputs, since ONNX broadcasts them).
   */
  observe?: boolean;
}

const DEFAULT_OPTIONS: DispatchOptions = Object.freeze({});

/**
 * The one dispatch point: checks the inputs (alive, same backend), runs a primitive's forward
 * (translating out-of-memory errors, checking for anomalies) and, when gradients are being
 * recorded and some input requires them, attaches a GradNode that saves what the gradient rule
 * needs. Every op reaches a backend kernel through here.
 */
export function applyPrim<P extends Prim>(prim: P, inputs: readonly Tensor[], params: PrimParams[P], options: DispatchOptions = DEFAULT_OPTIONS): Tensor {
  // Plain loops, no closures or per-call arrays: this runs for every op (bench/per-op.ts).
  const backend = inputs[0]!.backend;
  let anyRequiresGrad = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i]!;
    t.assertAlive(prim);
    if (t.backend !== backend && t.device !== backend.name) {
      throw new Error(`${prim}: tensors are on different backends ('${backend.name}' and '${t.device}'); move them with .to()`);
    }
    if (t.requiresGrad) anyRequiresGrad = true;
  }
  const device = backend.name;
  let out: Tensor;
  try {
    out = forwardImpls[prim](inputs, params);
  } catch (e) {
    // The message is only built on failure: this is the hot path of every op.
    throw asOutOfMemory(e, prim, device, () => `the output of '${prim}' (inputs ${inputs.map((t) => `${t.dtype} ${shapeToString(t.shape)}`).join(", ")})`);
  }
  checkAnomaly(prim, out);
  if (options.observe ?? options.record !== false) opObserver()?.record(prim, inputs, params, out);
  if (anyRequiresGrad && options.record !== false && !NON_DIFFERENTIABLE.has(prim) && isGradEnabled()) {
    const rule = gradRules[prim as DifferentiablePrim];
    const meta: InputMeta[] = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, requiresGrad: t.requiresGrad }));
    const saveInputs = rule.save === "inputs" || rule.save === "both";
    const saveOutput = rule.save === "output" || rule.save === "both";
    const saved = saveInputs ? inputs.map((t) => t.savedHandle().keep()) : null;
    const savedOut = saveOutput ? out.savedHandle().keep() : null;
    const node = new GradNode(prim, params, inputs, meta, saved, savedOut, out.shape);
    out.setGradFn(node);
    // The saved output stands for `out` in the graph (for gradients of gradients).
    savedOut?.setGradFn(node);
  }
  return out;
}
