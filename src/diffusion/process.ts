/**
 * The forward (noising) process and the ε-prediction training objective.
 *   q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I)   →   x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε
 *   L = E_{t, x_0, ε} ‖ε - ε_θ(x_t, t, y)‖²   (Ho et al. 2020, "simple" loss)
 * Timesteps are host-side integer arrays: per-sample coefficients become a [B, 1, 1, 1] tensor.
 */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import type { NoiseSchedule } from "./schedule.js";

/** A noise-prediction network: ε_θ(x_t, t, y). `labels` null = unconditional. */
export interface Denoiser {
  forward(x: Tensor, t: Tensor, labels?: Tensor | null): Tensor;
}

/** values[t_i] for each sample, as a float32 tensor of shape [B, 1, ..., 1] (ndim dims) on `device`. */
export function extract(values: Float64Array, t: ArrayLike<number>, ndim: number, device: string): Tensor {
  const out = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = values[t[i]!]!;
  return ops.tensor(out, { shape: [t.length, ...Array<number>(ndim - 1).fill(1)], device });
}

/** Uniform random timesteps in [0, T). */
export function sampleTimesteps(batch: number, T: number, generator: Generator = defaultGenerator): Int32Array {
  const t = new Int32Array(batch);
  for (let i = 0; i < batch; i++) t[i] = generator.int(0, T);
  return t;
}

/** x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε for per-sample timesteps t (length B). */
export function qSample(schedule: NoiseSchedule, x0: Tensor, t: ArrayLike<number>, noise: Tensor): Tensor {
  if (t.length !== x0.shape[0]) throw new RangeError(`qSample: ${t.length} timesteps for a batch of ${x0.shape[0]}`);
  schedule.checkTimesteps(t, "qSample");
  const a = extract(schedule.sqrtAlphasCumprod, t, x0.ndim, x0.device);
  const s = extract(schedule.sqrtOneMinusAlphasCumprod, t, x0.ndim, x0.device);
  return ops.add(ops.mul(x0, a), ops.mul(noise, s));
}

/** x_0 predicted from x_t and ε: (x_t - √(1-ᾱ_t) ε) / √ᾱ_t. */
export function predictX0(schedule: NoiseSchedule, xt: Tensor, t: ArrayLike<number>, eps: Tensor): Tensor {
  const a = extract(schedule.sqrtAlphasCumprod, t, xt.ndim, xt.device);
  const s = extract(schedule.sqrtOneMinusAlphasCumprod, t, xt.ndim, xt.device);
  return ops.div(ops.sub(xt, ops.mul(eps, s)), a);
}

export interface DiffusionLossOptions {
  /** Class labels [B] int32, or null for an unconditional model. */
  labels?: Tensor | null;
  /** Probability of replacing a label by the null label (classifier-free guidance training; default 0.1). */
  pUncond?: number;
  /** The null label (the model's numClasses). Needed when labels are given and pUncond > 0. */
  nullLabel?: number;
  generator?: Generator;
  /** Fixed timesteps/noise (tests); drawn from `generator` when omitted. */
  timesteps?: ArrayLike<number>;
  noise?: Tensor;
}

/**
 * The ε-prediction error ε_θ(q_sample(x_0, t, ε), t, y) - ε for random t and ε (and labels
 * dropped to the null label with probability pUncond): what the simple loss squares.
 */
export function noisePredictionError(model: Denoiser, schedule: NoiseSchedule, x0: Tensor, options: DiffusionLossOptions = {}): Tensor {
  const B = x0.shape[0]!;
  const g = options.generator ?? defaultGenerator;
  const t = options.timesteps ?? sampleTimesteps(B, schedule.T, g);
  const noise = options.noise ?? ops.randn(x0.shape, { device: x0.device, generator: g });
  const xt = qSample(schedule, x0, t, noise);
  let labels = options.labels ?? null;
  const p = options.pUncond ?? 0.1;
  if (labels && p > 0) {
    if (options.nullLabel === undefined) throw new RangeError("diffusionLoss: nullLabel is required to drop labels (pUncond > 0)");
    const drop = new Uint8Array(B);
    for (let i = 0; i < B; i++) drop[i] = g.random() < p ? 1 : 0;
    const mask = ops.tensor(drop, { shape: [B], dtype: "bool", device: x0.device });
    labels = ops.where(mask, ops.full([B], options.nullLabel, { dtype: "int32", device: x0.device }), labels);
  }
  const tt = ops.tensor(Int32Array.from(t), { shape: [B], dtype: "int32", device: x0.device });
  return ops.sub(model.forward(xt, tt, labels), noise);
}

/** The mean square of an ε-prediction error: the loss `fit` trains a DDPM with (the targets are not used). */
export function noisePredictionLoss(error: Tensor, _targets?: Tensor): Tensor {
  return ops.mean(ops.mul(error, error));
}

/** The simple ε-prediction loss: mean((ε - ε_θ(q_sample(x_0, t, ε), t, y))²). */
export function diffusionLoss(model: Denoiser, schedule: NoiseSchedule, x0: Tensor, options: DiffusionLossOptions = {}): Tensor {
  return noisePredictionLoss(noisePredictionError(model, schedule, x0, options));
}
