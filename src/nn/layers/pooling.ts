import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  maxPool1d,
  maxPool2d,
  type AdaptiveSize,
  type AvgPoolOptions,
  type MaxPoolOptions,
} from "../functional/pooling.js";
import type { IntOrTuple } from "../functional/window-utils.js";

/** Max over 2-D windows; stride defaults to the kernel size. With returnIndices, forward returns [values, indices]. */
export class MaxPool2d extends Module {
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly dilation: IntOrTuple;
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;

  constructor(
    readonly kernelSize: IntOrTuple,
    options: MaxPoolOptions = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = options.returnIndices ?? false;
  }

  private opts(): MaxPoolOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  override forward(x: Tensor): Tensor {
    if (this.returnIndices) return maxPool2d(x, this.kernelSize, { ...this.opts(), returnIndices: true }, "MaxPool2d") as unknown as Tensor;
    return maxPool2d(x, this.kernelSize, this.opts(), "MaxPool2d");
  }

  /** Values and flat H*W indices of the maxima. */
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return maxPool2d(x, this.kernelSize, { ...this.opts(), returnIndices: true }, "MaxPool2d");
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** Average over 2-D windows (countIncludePad, ceilMode, divisorOverride as in PyTorch). */
export class AvgPool2d extends Module {
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: IntOrTuple,
    options: AvgPoolOptions = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    }, "AvgPool2d");
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** Average pooling to a fixed output size (entries may be null: keep the input size). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize, "AdaptiveAvgPool2d");
  }
  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}

export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize, "AdaptiveMaxPool2d");
  }
}

export class MaxPool1d extends Module {
  constructor(
    readonly kernelSize: IntOrTuple,
    readonly options: Omit<MaxPoolOptions, "returnIndices"> = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.options, "MaxPool1d");
  }
}

export class AvgPool1d extends Module {
  constructor(
    readonly kernelSize: IntOrTuple,
    readonly options: Omit<AvgPoolOptions, "divisorOverride"> = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options, "AvgPool1d");
  }
}

export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize, "AdaptiveAvgPool1d");
  }
}
