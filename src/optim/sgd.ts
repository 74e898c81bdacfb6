import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkOptionKeys, type ParamGroup, type ParamGroupInput } from "./optimizer.js";
import { checkBoolean, checkNonNegative, checkNumber } from "./check.js";
import { zerosLike } from "../ops/index.js";
import { kernelConstants, tryFusedStep } from "./fused-step.js";
import { SGD as K } from "../backend/optimizer-kernels.js";

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export type SGDState = { momentumBuffer: Tensor | null };

const DEFAULTS: Omit<SGDOptions, "lr"> = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, L2 weight
 * decay and maximization; PyTorch's update rule (the momentum buffer starts as the first
 * gradient, and `lr` multiplies the buffer rather than entering it).
 *
 *   const opt = new nt.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  /** `lr` is required, here or in every parameter group (as PyTorch). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> = {}) {
    checkOptionKeys("SGD", options, ["lr", ...Object.keys(DEFAULTS)]);
    super("SGD", params, { ...DEFAULTS, ...options });
  }

  protected override stateTensorsPerParam(group: ParamGroup<SGDOptions>): number {
    return group.momentum > 0 ? 1 : 0;
  }

  protected checkHyperParams(g: SGDOptions, where: string): void {
    checkNonNegative(this.name, "learning rate", g.lr, where);
    checkNonNegative(this.name, "momentum", g.momentum, where);
    checkNumber(this.name, "dampening", g.dampening, where);
    checkNonNegative(this.name, "weightDecay", g.weightDecay, where);
    checkBoolean(this.name, "nesterov", g.nesterov, where);
    checkBoolean(this.name, "maximize", g.maximize, where);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError(`${this.name}: Nesterov momentum requires momentum > 0 and dampening 0 (got momentum ${g.momentum}, dampening ${g.dampening}) in ${where}`);
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>, groupIndex: number): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const [p, grad] of this.paramsWithGrad(group, groupIndex)) {
      if (this.fusedUpdate(group, p, grad)) continue;
      let d = maximize ? grad.neg() : grad;
      if (weightDecay !== 0) d = d.add(p, weightDecay);
      const state = this.stateOf(p, () => ({ momentumBuffer: null }));
      if (momentum !== 0) {
        const buf = state.momentumBuffer;
        if (buf === null) {
          this.setStateTensor(state, "momentumBuffer", d.clone());
        } else {
          buf.assign(buf.mul(momentum).add(d, 1 - dampening));
        }
        const b = state.momentumBuffer!;
        d = nesterov ? d.add(b, momentum) : b;
      }
      p.assign(p.add(d, -lr));
    }
  }

  /** The update above as one in-place kernel (backend/optimizer-kernels.ts); false where it does not apply. */
  private fusedUpdate(group: ParamGroup<SGDOptions>, p: Tensor, grad: Tensor): boolean {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    const state = this.stateOf(p, () => ({ momentumBuffer: null }));
    const hasMomentum = momentum !== 0;
    const init = hasMomentum && state.momentumBuffer === null;
    const c = kernelConstants({
      [K.sign]: maximize ? -1 : 1,
      [K.l2]: weightDecay,
      [K.momentum]: momentum,
      [K.oneMinusDampening]: 1 - dampening,
      [K.nesterov]: nesterov,
      [K.negLr]: -lr,
      [K.init]: init,
      [K.hasMomentum]: hasMomentum,
    });
    const buffers: Tensor[] = [];
    if (hasMomentum) {
      // The first step copies the gradient into a new buffer, as PyTorch's clone().
      const buf = state.momentumBuffer ?? zerosLike(p);
      buffers.push(buf);
      if (!tryFusedStep("sgd", p, grad, buffers, c)) {
        if (buf !== state.momentumBuffer) buf.dispose();
        return false;
      }
      if (buf !== state.momentumBuffer) this.setStateTensor(state, "momentumBuffer", buf);
      return true;
    }
    return tryFusedStep("sgd", p, grad, buffers, c);
  }
}
