import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkOptionKeys, type ParamGroup, type ParamGroupInput } from "./optimizer.js";
import { ADAM_DEFAULTS, adamUpdate, checkAdamHyperParams, initAdamState, type AdamOptions, type AdamState } from "./adam.js";

export type AdamWOptions = AdamOptions;
export type AdamWState = AdamState;

const DEFAULTS: AdamWOptions = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, `p *= 1 - lr * weightDecay`
 * before the Adam step, instead of adding `weightDecay * p` to the gradient. Default
 * weightDecay 0.01, as PyTorch.
 */
export class AdamW extends Optimizer<AdamWOptions, AdamWState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamWOptions>>, options: Partial<AdamWOptions> = {}) {
    checkOptionKeys("AdamW", options, Object.keys(DEFAULTS));
    super("AdamW", params, { ...DEFAULTS, ...options });
  }

  protected override stateTensorsPerParam(group: ParamGroup<AdamWOptions>): number {
    return group.amsgrad ? 3 : 2;
  }

  protected checkHyperParams(g: AdamWOptions, where: string): void {
    checkAdamHyperParams(this.name, g, where);
  }

  protected updateGroup(group: ParamGroup<AdamWOptions>, groupIndex: number): void {
    for (const [p, grad] of this.paramsWithGrad(group, groupIndex)) {
      const s = this.stateOf(p, () => initAdamState(p, group.amsgrad));
      adamUpdate(p, grad, s, group, true, (t) => this.setStateTensor(s, "maxExpAvgSq", t));
    }
  }
}
