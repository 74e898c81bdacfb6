import type { Tensor } from "../tensor/tensor.js";
import { zerosLike } from "../ops/index.js";
import { Optimizer, checkOptionKeys, type ParamGroup, type ParamGroupInput } from "./optimizer.js";
import { checkBoolean, checkNonNegative } from "./check.js";
import { kernelConstants, tryFusedStep } from "./fused-step.js";
import { RMSPROP as K } from "../backend/optimizer-kernels.js";

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor; gradAvg?: Tensor };

const DEFAULTS: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/**
 * RMSprop (Hinton's lecture 6e): divides the gradient by a running root mean square, optionally
 * centered (minus the squared running mean) and with momentum; PyTorch's update rule (eps is
 * added after the square root).
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropOptions>>, options: Partial<RMSpropOptions> = {}) {
    checkOptionKeys("RMSprop", options, Object.keys(DEFAULTS));
    super("RMSprop", params, { ...DEFAULTS, ...options });
  }

  protected override stateTensorsPerParam(group: ParamGroup<RMSpropOptions>): number {
    return 1 + (group.momentum > 0 ? 1 : 0) + (group.centered ? 1 : 0);
  }

  protected checkHyperParams(g: RMSpropOptions, where: string): void {
    checkNonNegative(this.name, "learning rate", g.lr, where);
    checkNonNegative(this.name, "epsilon value", g.eps, where);
    checkNonNegative(this.name, "momentum", g.momentum, where);
    checkNonNegative(this.name, "weightDecay", g.weightDecay, where);
    checkNonNegative(this.name, "alpha", g.alpha, where);
    checkBoolean(this.name, "centered", g.centered, where);
    checkBoolean(this.name, "maximize", g.maximize, where);
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>, groupIndex: number): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const [p, grad] of this.paramsWithGrad(group, groupIndex)) {
      const s = this.stateOf(p, () => {
        const init: RMSpropState = { step: 0, squareAvg: zerosLike(p) };
        if (momentum > 0) init.momentumBuffer = zerosLike(p);
        if (centered) init.gradAvg = zerosLike(p);
        return init;
      });
      // Buffers for options switched on after the first step (e.g. momentum cycled by OneCycleLR) start at 0.
      if (momentum > 0 && !s.momentumBuffer) this.setStateTensor(s, "momentumBuffer", zerosLike(p));
      if (centered && !s.gradAvg) this.setStateTensor(s, "gradAvg", zerosLike(p));
      s.step += 1;
      if (this.fusedUpdate(group, p, grad, s)) continue;

      let d = maximize ? grad.neg() : grad;
      if (weightDecay !== 0) d = d.add(p, weightDecay);
      // addcmul_(d, d, value) computes (value * d) * d.
      s.squareAvg.assign(s.squareAvg.mul(alpha).add(d.mul(1 - alpha).mul(d)));
      let avg: Tensor;
      if (centered) {
        const ga = s.gradAvg!;
        ga.assign(ga.mul(alpha).add(d, 1 - alpha));
        avg = s.squareAvg.add(ga.mul(-1).mul(ga)).sqrt();
      } else {
        avg = s.squareAvg.sqrt();
      }
      avg = avg.add(eps);
      if (momentum > 0) {
        const buf = s.momentumBuffer!;
        buf.assign(buf.mul(momentum).add(d.div(avg)));
        p.assign(p.add(buf, -lr));
      } else {
        // addcdiv_(d, avg, value=-lr) computes (-lr * d) / avg.
        p.assign(p.add(d.mul(-lr).div(avg)));
      }
    }
  }

  /** The update above as one in-place kernel (backend/optimizer-kernels.ts); false where it does not apply. */
  private fusedUpdate(group: ParamGroup<RMSpropOptions>, p: Tensor, grad: Tensor, s: RMSpropState): boolean {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const c = kernelConstants({
      [K.sign]: maximize ? -1 : 1,
      [K.l2]: weightDecay,
      [K.alpha]: alpha,
      [K.oneMinusAlpha]: 1 - alpha,
      [K.eps]: eps,
      [K.momentum]: momentum,
      [K.negLr]: -lr,
      [K.centered]: centered,
      [K.hasMomentum]: momentum > 0,
    });
    const state = [s.squareAvg];
    if (centered) state.push(s.gradAvg!);
    if (momentum > 0) state.push(s.momentumBuffer!);
    return tryFusedStep("rmsprop", p, grad, state, c);
  }
}
