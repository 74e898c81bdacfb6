import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import { Module, Parameter } from "../module.js";
import { ones, zeros } from "../../ops/creation.js";
import { ones_, zeros_ } from "../init.js";
import { noGrad } from "../../autograd/grad-mode.js";
import * as ops from "../../ops/index.js";
import { batchNorm, groupNorm, instanceNorm, layerNorm, updateInPlace } from "../functional/normalization.js";

export interface BatchNormLayerOptions {
  eps?: number;
  /** null: cumulative moving average (1 / numBatchesTracked), as PyTorch's momentum=None. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  device?: string;
}

/**
 * Shared BatchNorm machinery (PyTorch's _BatchNorm): weight/bias (affine), buffers running_mean,
 * running_var and num_batches_tracked (int32 scalar), training vs eval statistics.
 */
abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    options: BatchNormLayerOptions,
  ) {
    super();
    const device = options.device === undefined ? {} : { device: options.device };
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? Parameter(ones([numFeatures], device)) : null;
    this.bias = this.affine ? Parameter(zeros([numFeatures], device)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], device));
      this.registerBuffer("running_var", ones([numFeatures], device));
      this.registerBuffer("num_batches_tracked", zeros([], { ...device, dtype: "int32" }));
    }
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    zeros_(this.running_mean!);
    ones_(this.running_var!);
    noGrad(() => this.num_batches_tracked!.fill_(0));
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  protected abstract checkInput(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    const name = this.constructor.name;
    if (x.shape[1] !== this.numFeatures) throw new RangeError(`${name}: expected input with ${this.numFeatures} channels, got shape ${shapeToString(x.shape)}`);
    let factor: number | Tensor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const tracked = this.num_batches_tracked;
      noGrad(() => updateInPlace(tracked, ops.add(tracked, 1)));
      // momentum=null: cumulative average, factor 1 / batches seen (kept on the device).
      if (this.momentum === null) factor = noGrad(() => ops.reciprocal(ops.cast(tracked, x.dtype === "float64" ? "float64" : "float32")));
    }
    return batchNorm(x, this.running_mean, this.running_var, {
      weight: this.weight,
      bias: this.bias,
      training: this.training || !this.trackRunningStats,
      momentum: factor,
      eps: this.eps,
    }, name);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }
  protected override checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected a 2-D or 3-D input [N, C] / [N, C, L], got shape ${shapeToString(x.shape)}`);
  }
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }
  protected override checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected a 4-D input [N, C, H, W], got shape ${shapeToString(x.shape)}`);
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
  device?: string;
}

/** Normalises over the trailing `normalizedShape` dims; weight/bias of that shape. */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const device = options.device === undefined ? {} : { device: options.device };
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? Parameter(ones(this.normalizedShape, device)) : null;
    this.bias = this.elementwiseAffine && options.bias !== false ? Parameter(zeros(this.normalizedShape, device)) : null;
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps, "LayerNorm");
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(", ")},), eps=${this.eps}, elementwise_affine=${this.elementwiseAffine}`;
  }
}

export interface GroupNormOptions {
  eps?: number;
  affine?: boolean;
  device?: string;
}

/** Normalises each group of numChannels/numGroups channels; per-channel weight/bias. */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly affine: boolean;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    const device = options.device === undefined ? {} : { device: options.device };
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.weight = this.affine ? Parameter(ones([numChannels], device)) : null;
    this.bias = this.affine ? Parameter(zeros([numChannels], device)) : null;
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: expected input with ${this.numChannels} channels [N, ${this.numChannels}, ...], got shape ${shapeToString(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps, "GroupNorm");
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

/** Instance normalisation over [N, C, H, W] (batch statistics only; no running stats). */
export class InstanceNorm2d extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    options: { eps?: number; affine?: boolean; device?: string } = {},
  ) {
    super();
    const device = options.device === undefined ? {} : { device: options.device };
    this.eps = options.eps ?? 1e-5;
    this.weight = options.affine ? Parameter(ones([numFeatures], device)) : null;
    this.bias = options.affine ? Parameter(zeros([numFeatures], device)) : null;
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) throw new RangeError(`InstanceNorm2d: expected a 4-D input with ${this.numFeatures} channels, got shape ${shapeToString(x.shape)}`);
    return instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps }, "InstanceNorm2d");
  }
}
