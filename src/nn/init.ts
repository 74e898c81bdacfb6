import type { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { full, rand, randn, tensor } from "../ops/creation.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { numel, shapeToString } from "../tensor/shape.js";

/**
 * Parameter initialisations with PyTorch's formulas (torch.nn.init). All act in place,
 * without recording gradients, and return the tensor.
 */

export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
  }
}

/** fan_in and fan_out as PyTorch computes them (receptive field included for conv weights). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new RangeError(`init: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape ${shapeToString(t.shape)})`);
  }
  const receptive = numel(t.shape.slice(2));
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

function replace(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => {
    const v = make();
    t.copy_(v);
    v.dispose();
  });
  return t;
}

export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  return replace(t, () => {
    const u = rand(t.shape, { dtype: t.dtype, device: t.device, generator });
    const out = u.mul(b - a).add(a);
    u.dispose();
    return out;
  });
}

export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  return replace(t, () => {
    const n = randn(t.shape, { dtype: t.dtype, device: t.device, generator });
    const out = n.mul(std).add(mean);
    n.dispose();
    return out;
  });
}

/** Normal truncated to [a, b] by resampling values outside (PyTorch's trunc_normal_ distribution). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator: Generator = defaultGenerator): Tensor {
  const values = new Float64Array(t.size);
  for (let i = 0; i < values.length; i++) {
    let v: number;
    do v = mean + std * generator.normal();
    while (v < a || v > b);
    values[i] = v;
  }
  return replace(t, () => tensor(values, { shape: t.shape, dtype: t.dtype, device: t.device }));
}

export const constant_ = (t: Tensor, value: number): Tensor => replace(t, () => full(t.shape, value, { dtype: t.dtype, device: t.device }));
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, generator);
}

export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

export interface KaimingOptions {
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fan_in", nonlinearity = "leaky_relu", generator } = options;
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  const bound = Math.sqrt(3) * (calculateGain(nonlinearity, a) / Math.sqrt(fan));
  return uniform_(t, -bound, bound, generator);
}

export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fan_in", nonlinearity = "leaky_relu", generator } = options;
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan), generator);
}
