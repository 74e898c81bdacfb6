import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import { Module, Parameter } from "../module.js";
import { empty } from "../empty.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.js";
import { conv1d, conv2d, convTranspose1d, convTranspose2d, convTransposeOutputSize, type ConvPadding } from "../functional/conv.js";
import { pad as fpad } from "../functional/pad.js";
import { expandInts, type IntOrTuple } from "../functional/window-utils.js";

export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

export interface ConvLayerOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  device?: string;
}

export interface ConvTransposeLayerOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  dilation?: IntOrTuple;
  device?: string;
}

/** Shared parameters and checks of Conv1d/Conv2d/ConvTranspose (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntOrTuple,
    nd: number,
    transposed: boolean,
    options: { stride?: IntOrTuple; dilation?: IntOrTuple; groups?: number; bias?: boolean; device?: string },
  ) {
    super();
    const name = this.constructor.name;
    this.kernelSize = expandInts(kernelSize, nd, name, "kernelSize");
    this.stride = expandInts(options.stride ?? 1, nd, name, "stride");
    this.dilation = expandInts(options.dilation ?? 1, nd, name, "dilation");
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1) throw new RangeError(`${name}: groups must be a positive integer, got ${this.groups}`);
    if (inChannels % this.groups !== 0) throw new RangeError(`${name}: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new RangeError(`${name}: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    const shape = transposed ? [inChannels, outChannels / this.groups, ...this.kernelSize] : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = Parameter(empty(shape, options.device));
    this.bias = options.bias === false ? null : Parameter(empty([outChannels], options.device));
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

  protected checkInput(x: Tensor, nd: number): void {
    const name = this.constructor.name;
    if (x.ndim !== nd + 2 && x.ndim !== nd + 1) {
      const layout = nd === 2 ? "[N, C, H, W] (or [C, H, W])" : "[N, C, L] (or [C, L])";
      throw new RangeError(`${name}: expected a ${nd + 2}-D input ${layout}, got shape ${shapeToString(x.shape)}`);
    }
    const c = x.shape[x.ndim - nd - 1];
    if (c !== this.inChannels) throw new RangeError(`${name}: expected input with ${this.inChannels} channels, got shape ${shapeToString(x.shape)}`);
  }
}

/** Padding for Conv layers, applied by F.pad for non-zero padding modes. */
function explicitPadding(padding: ConvPadding, kernel: number[], dilation: number[]): number[] {
  // F.pad order: last dim first, (before, after) pairs.
  const nd = kernel.length;
  const per = (i: number): [number, number] => {
    if (padding === "valid") return [0, 0];
    if (padding === "same") {
      const total = dilation[i]! * (kernel[i]! - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    const p = expandInts(padding, nd, "Conv", "padding", 0)[i]!;
    return [p, p];
  };
  const out: number[] = [];
  for (let i = nd - 1; i >= 0; i--) out.push(...per(i));
  return out;
}

abstract class ConvLayer extends ConvNd {
  readonly padding: ConvPadding;
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, nd: number, options: ConvLayerOptions) {
    super(inChannels, outChannels, kernelSize, nd, false, options);
    const name = this.constructor.name;
    this.padding = options.padding ?? 0;
    this.paddingMode = options.paddingMode ?? "zeros";
    if (!["zeros", "reflect", "replicate", "circular"].includes(this.paddingMode)) {
      throw new RangeError(`${name}: paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got '${this.paddingMode}'`);
    }
    if (this.padding === "same" && this.stride.some((s) => s !== 1)) throw new RangeError(`${name}: padding='same' is not supported for strided convolutions`);
  }

  /** Applies non-zero padding modes up front; returns the input and the padding left for the conv. */
  protected padInput(x: Tensor): [Tensor, ConvPadding] {
    if (this.paddingMode === "zeros") return [x, this.padding];
    return [fpad(x, explicitPadding(this.padding, this.kernelSize, this.dilation), { mode: this.paddingMode }), 0];
  }

  override extraRepr(): string {
    const k = this.kernelSize.join(", ");
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${k}), stride=(${this.stride.join(", ")})` +
      (this.padding !== 0 ? `, padding=${JSON.stringify(this.padding)}` : "") +
      (this.groups !== 1 ? `, groups=${this.groups}` : "") +
      (this.bias ? "" : ", bias=False");
  }
}

/** 2-D convolution over [N, C, H, W]; weight [out, in/groups, kh, kw]. */
export class Conv2d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, options);
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x, 2);
    const [xp, padding] = this.padInput(x);
    return conv2d(xp, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups }, "Conv2d");
  }
}

/** 1-D convolution over [N, C, L]; weight [out, in/groups, k]. */
export class Conv1d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, options);
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x, 1);
    const [xp, padding] = this.padInput(x);
    return conv1d(xp, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups }, "Conv1d");
  }
}

abstract class ConvTransposeLayer extends ConvNd {
  readonly padding: number[];
  readonly outputPadding: number[];

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, nd: number, options: ConvTransposeLayerOptions) {
    super(inChannels, outChannels, kernelSize, nd, true, options);
    const name = this.constructor.name;
    this.padding = expandInts(options.padding ?? 0, nd, name, "padding", 0);
    this.outputPadding = expandInts(options.outputPadding ?? 0, nd, name, "outputPadding", 0);
  }

  /** outputPadding that yields `outputSize` (PyTorch's _output_padding), or the configured one. */
  protected resolveOutputPadding(x: Tensor, outputSize: readonly number[] | null | undefined, nd: number): number[] {
    if (!outputSize) return this.outputPadding;
    const name = this.constructor.name;
    const want = outputSize.slice(-nd);
    const spatial = x.shape.slice(-nd);
    return want.map((w, i) => {
      const min = convTransposeOutputSize(spatial[i]!, this.kernelSize[i]!, this.stride[i]!, this.padding[i]!, this.dilation[i]!, 0);
      const extra = w - min;
      if (extra < 0 || extra >= Math.max(this.stride[i]!, this.dilation[i]!)) {
        throw new RangeError(`${name}: requested output size ${JSON.stringify(outputSize)} is not reachable from input of shape ${shapeToString(x.shape)} (dim ${i} must be in [${min}, ${min + Math.max(this.stride[i]!, this.dilation[i]!) - 1}])`);
      }
      return extra;
    });
  }
}

/** Transposed 2-D convolution; weight [in, out/groups, kh, kw]. `forward(x, outputSize?)`. */
export class ConvTranspose2d extends ConvTransposeLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, options);
  }

  override forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    this.checkInput(x, 2);
    const outputPadding = this.resolveOutputPadding(x, outputSize, 2);
    return convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding, dilation: this.dilation, groups: this.groups }, "ConvTranspose2d");
  }
}

/** Transposed 1-D convolution; weight [in, out/groups, k]. */
export class ConvTranspose1d extends ConvTransposeLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, options);
  }

  override forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    this.checkInput(x, 1);
    const outputPadding = this.resolveOutputPadding(x, outputSize, 1);
    return convTranspose1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding, dilation: this.dilation, groups: this.groups }, "ConvTranspose1d");
  }
}
