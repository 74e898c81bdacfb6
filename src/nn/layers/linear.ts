import type { Tensor } from "../../tensor/tensor.js";
import { Module, Parameter } from "../module.js";
import { empty } from "../empty.js";
import { kaimingUniform_, uniform_, calculateFanInAndFanOut } from "../init.js";
import { linear } from "../functional/linear.js";

/** y = x Wᵀ + b. Weight [out, in] and bias initialised as PyTorch does. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; device?: string } = {},
  ) {
    super();
    this.weight = Parameter(empty([outFeatures, inFeatures], options.device));
    this.bias = options.bias === false ? null : Parameter(empty([outFeatures], options.device));
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Placeholder that passes its input through. */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}
