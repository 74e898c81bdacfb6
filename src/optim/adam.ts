import type { Tensor } from "../tensor/tensor.js";
import { zerosLike, maximum } from "../ops/index.js";
import { Optimizer, checkOptionKeys, type ParamGroup, type ParamGroupInput } from "./optimizer.js";
import { checkBetas, checkBoolean, checkNonNegative } from "./check.js";
import { kernelConstants, tryFusedStep } from "./fused-step.js";
import { ADAM } from "../backend/optimizer-kernels.js";

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

/** Checks shared by Adam and AdamW. */
export function checkAdamHyperParams(name: string, g: AdamOptions, where: string): void {
  checkNonNegative(name, "learning rate", g.lr, where);
  checkNonNegative(name, "epsilon value", g.eps, where);
  checkBetas(name, g.betas, where);
  checkNonNegative(name, "weightDecay", g.weightDecay, where);
  checkBoolean(name, "amsgrad", g.amsgrad, where);
  checkBoolean(name, "maximize", g.maximize, where);
}

export function initAdamState(p: Tensor, amsgrad: boolean): AdamState {
  const s: AdamState = { step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p) };
  if (amsgrad) s.maxExpAvgSq = zerosLike(p);
  return s;
}

/**
 * One Adam update of `p` (PyTorch 1.13's single-tensor `_single_tensor_adam`/`_adamw`, with the
 * same operation order so float32 results agree to rounding). `decoupled` selects AdamW's weight
 * decay (shrink the parameter) instead of Adam's L2 term (added to the gradient).
 */
export function adamUpdate(p: Tensor, grad: Tensor, s: AdamState, g: AdamOptions, decoupled: boolean, setMax: (t: Tensor) => void): void {
  s.step += 1;
  if (fusedAdamUpdate(p, grad, s, g, decoupled, setMax)) return;
  const { lr, eps, weightDecay, amsgrad, maximize } = g;
  const [beta1, beta2] = g.betas;
  let d = maximize ? grad.neg() : grad;
  if (decoupled) p.assign(p.mul(1 - lr * weightDecay));
  else if (weightDecay !== 0) d = d.add(p, weightDecay);

  s.expAvg.assign(s.expAvg.mul(beta1).add(d, 1 - beta1));
  // addcmul_(d, d, value) computes (value * d) * d.
  s.expAvgSq.assign(s.expAvgSq.mul(beta2).add(d.mul(1 - beta2).mul(d)));

  const { stepSize, bc2Sqrt } = biasCorrections(g, s.step);
  let second = s.expAvgSq;
  if (amsgrad) {
    // The buffer is missing when amsgrad was switched on after the first step.
    if (s.maxExpAvgSq) s.maxExpAvgSq.assign(maximum(s.maxExpAvgSq, s.expAvgSq));
    else setMax(s.expAvgSq.clone());
    second = s.maxExpAvgSq!;
  }
  const denom = second.sqrt().div(bc2Sqrt).add(eps);
  // addcdiv_(expAvg, denom, value) computes (value * expAvg) / denom.
  p.assign(p.add(s.expAvg.mul(-stepSize).div(denom)));
}

function biasCorrections(g: AdamOptions, step: number): { stepSize: number; bc2Sqrt: number } {
  const [beta1, beta2] = g.betas;
  return { stepSize: g.lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step) };
}

/** The same update as one in-place kernel (backend/optimizer-kernels.ts); false where it does not apply. */
function fusedAdamUpdate(p: Tensor, grad: Tensor, s: AdamState, g: AdamOptions, decoupled: boolean, setMax: (t: Tensor) => void): boolean {
  const [beta1, beta2] = g.betas;
  const { stepSize, bc2Sqrt } = biasCorrections(g, s.step);
  const c = kernelConstants({
    [ADAM.sign]: g.maximize ? -1 : 1,
    [ADAM.decay]: decoupled ? 1 - g.lr * g.weightDecay : 1,
    [ADAM.l2]: decoupled ? 0 : g.weightDecay,
    [ADAM.beta1]: beta1,
    [ADAM.oneMinusBeta1]: 1 - beta1,
    [ADAM.beta2]: beta2,
    [ADAM.oneMinusBeta2]: 1 - beta2,
    [ADAM.bc2Sqrt]: bc2Sqrt,
    [ADAM.eps]: g.eps,
    [ADAM.negStepSize]: -stepSize,
    [ADAM.amsgrad]: g.amsgrad,
  });
  const state = [s.expAvg, s.expAvgSq];
  if (g.amsgrad) {
    // Switched on after the first step: max(0, expAvgSq) is expAvgSq, what the composed path copies.
    if (!s.maxExpAvgSq) setMax(zerosLike(p));
    state.push(s.maxExpAvgSq!);
  }
  return tryFusedStep("adam", p, grad, state, c);
}

/**
 * Adam (Kingma & Ba) with optional L2 weight decay, AMSGrad and maximization.
 *
 *   const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    checkOptionKeys("Adam", options, Object.keys(ADAM_DEFAULTS));
    super("Adam", params, { ...ADAM_DEFAULTS, ...options });
  }

  protected override stateTensorsPerParam(group: ParamGroup<AdamOptions>): number {
    return group.amsgrad ? 3 : 2;
  }

  protected checkHyperParams(g: AdamOptions, where: string): void {
    checkAdamHyperParams(this.name, g, where);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>, groupIndex: number): void {
    for (const [p, grad] of this.paramsWithGrad(group, groupIndex)) {
      const s = this.stateOf(p, () => initAdamState(p, group.amsgrad));
      adamUpdate(p, grad, s, group, false, (t) => this.setStateTensor(s, "maxExpAvgSq", t));
    }
  }
}
