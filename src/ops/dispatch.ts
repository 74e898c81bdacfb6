import { GradNode, type InputMeta } from "../autograd/node.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import type { Tensor } from "../tensor/tensor.js";
import { forwardImpls, type Prim, type PrimParams } from "./prims.js";
import { gradRules } from "./grad-rules.js";
import { checkAnomaly } from "../autograd/anomaly.js";
import { asOutOfMemory } from "../memory/out-of-memory.js";
import { shapeToString } from "../tensor/shape.js";
import { opObserver } from "./trace-hook.js";

/**
 * The one dispatch point: runs a primitive's forward and, when gradients are being recorded
 * and some input requires them, attaches a GradNode that saves what the gradient rule needs.
 */
export function applyPrim<P extends Prim>(prim: P, inputs: readonly Tensor[], params: PrimParams[P]): Tensor {
  const device = inputs[0]!.device;
  for (const t of inputs) {
    t.assertAlive(prim);
    if (t.device !== device) {
      throw new Error(`${prim}: tensors are on different backends ('${device}' and '${t.device}'); move them with .to()`);
    }
  }
  let out: Tensor;
  try {
    out = forwardImpls[prim](inputs, params);
  } catch (e) {
    // The message is only built on failure: this is the hot path of every op.
    throw asOutOfMemory(e, prim, device, () => `the output of '${prim}' (inputs ${inputs.map((t) => `${t.dtype} ${shapeToString(t.shape)}`).join(", ")})`);
  }
  checkAnomaly(prim, out);
  opObserver()?.record(prim, inputs, params, out);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const rule = gradRules[prim];
    const meta: InputMeta[] = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, requiresGrad: t.requiresGrad }));
    const saveInputs = rule.save === "inputs" || rule.save === "both";
    const saveOutput = rule.save === "output" || rule.save === "both";
    const saved = saveInputs ? inputs.map((t) => t.shareView().keep()) : null;
    const savedOut = saveOutput ? out.shareView().keep() : null;
    out.setGradFn(new GradNode(prim, params, inputs, meta, saved, savedOut, out.shape));
  }
  return out;
}
