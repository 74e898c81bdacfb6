/**
 * Reverse-process samplers built from small steps:
 * - `guidedEps`: ε with classifier-free guidance, ε = ε_u + s (ε_c - ε_u) (one batched forward)
 * - `ddpmStep`: ancestral step x_t → x_{t-1} from the posterior q(x_{t-1} | x_t, x̂_0) (Ho et al. 2020)
 * - `ddimStep`: x_t → x_{t'} for any earlier t' with stochasticity η (Song et al. 2021; η = 0 deterministic,
 *   η = 1 with consecutive steps equals DDPM with σ² = β̃_t)
 * - `sample`: the full loop (DDPM over all T steps, or DDIM over a `steps`-long subsequence)
 * Everything runs with gradients off and frees its intermediates per step.
 */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import type { NoiseSchedule } from "./schedule.js";
import type { Denoiser } from "./process.js";
import { yieldToEventLoop } from "../platform/yield.js";

export type SamplerName = "ddpm" | "ddim";

export interface GuidanceOptions {
  /** Class labels per sample (null entries / no array = unconditional). */
  labels?: readonly (number | null)[] | null;
  /** The model's null label (numClasses); required with labels. */
  nullLabel?: number;
  /** Guidance scale s: 1 = plain conditional, > 1 sharpens towards the class (default 1). */
  guidanceScale?: number;
}

/** ε_θ(x, t, y) with classifier-free guidance; t is one timestep for the whole batch. */
export function guidedEps(model: Denoiser, x: Tensor, t: number, options: GuidanceOptions = {}): Tensor {
  const B = x.shape[0]!;
  const tt = (n: number) => ops.full([n], t, { dtype: "int32", device: x.device });
  const labels = options.labels ?? null;
  if (!labels) return model.forward(x, tt(B), null);
  if (labels.length !== B) throw new RangeError(`guidedEps: ${labels.length} labels for a batch of ${B}`);
  const nullLabel = options.nullLabel;
  if (nullLabel === undefined) throw new RangeError("guidedEps: nullLabel is required with labels");
  const cond = Int32Array.from(labels, (l) => (l === null ? nullLabel : l));
  const s = options.guidanceScale ?? 1;
  if (s === 1) return model.forward(x, tt(B), ops.tensor(cond, { shape: [B], dtype: "int32", device: x.device }));
  const both = new Int32Array(2 * B).fill(nullLabel);
  both.set(cond, 0);
  const eps = model.forward(ops.cat([x, x], 0), tt(2 * B), ops.tensor(both, { shape: [2 * B], dtype: "int32", device: x.device }));
  const [ec, eu] = ops.split(eps, B, 0) as [Tensor, Tensor];
  return ops.add(eu, ops.mul(ops.sub(ec, eu), s));
}

export interface StepOptions {
  /** Clamp the predicted x_0 to [-1, 1] (default true: images live in [-1, 1]). */
  clipDenoised?: boolean;
  generator?: Generator;
  /** Explicit noise for the step (tests); drawn from `generator` when omitted. */
  noise?: Tensor;
}

function clipX0(schedule: NoiseSchedule, xt: Tensor, t: number, eps: Tensor, clip: boolean): Tensor {
  const ab = schedule.alphasCumprod[t]!;
  const x0 = ops.div(ops.sub(xt, ops.mul(eps, Math.sqrt(1 - ab))), Math.sqrt(ab));
  return clip ? ops.clamp(x0, -1, 1) : x0;
}

/** One ancestral DDPM step x_t → x_{t-1} (no noise is added at t = 0). */
export function ddpmStep(schedule: NoiseSchedule, xt: Tensor, t: number, eps: Tensor, options: StepOptions = {}): Tensor {
  schedule.checkTimesteps([t], "ddpmStep");
  const x0 = clipX0(schedule, xt, t, eps, options.clipDenoised ?? true);
  const ab = schedule.alphasCumprod[t]!;
  const abPrev = schedule.alphasCumprodPrev[t]!;
  const beta = schedule.betas[t]!;
  const c0 = (beta * Math.sqrt(abPrev)) / (1 - ab);
  const ct = ((1 - abPrev) * Math.sqrt(schedule.alphas[t]!)) / (1 - ab);
  const mean = ops.add(ops.mul(x0, c0), ops.mul(xt, ct));
  if (t === 0) return mean;
  const noise = options.noise ?? ops.randn(xt.shape, { device: xt.device, generator: options.generator ?? defaultGenerator });
  return ops.add(mean, ops.mul(noise, Math.sqrt(schedule.posteriorVariance[t]!)));
}

/** One DDIM step x_t → x_{tPrev} (tPrev = -1 means "to x_0", where ᾱ = 1). */
export function ddimStep(schedule: NoiseSchedule, xt: Tensor, t: number, tPrev: number, eps: Tensor, eta = 0, options: StepOptions = {}): Tensor {
  schedule.checkTimesteps([t], "ddimStep");
  if (!(tPrev < t && tPrev >= -1)) throw new RangeError(`ddimStep: tPrev (${tPrev}) must lie in [-1, t) for t = ${t}`);
  const clip = options.clipDenoised ?? true;
  const ab = schedule.alphasCumprod[t]!;
  const abPrev = tPrev >= 0 ? schedule.alphasCumprod[tPrev]! : 1;
  const x0 = clipX0(schedule, xt, t, eps, clip);
  // With a clipped x̂_0, re-derive ε so that the step stays consistent with it.
  const e = clip ? ops.div(ops.sub(xt, ops.mul(x0, Math.sqrt(ab))), Math.sqrt(1 - ab)) : eps;
  const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
  const dir = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
  let out = ops.add(ops.mul(x0, Math.sqrt(abPrev)), ops.mul(e, dir));
  if (sigma > 0) {
    const noise = options.noise ?? ops.randn(xt.shape, { device: xt.device, generator: options.generator ?? defaultGenerator });
    out = ops.add(out, ops.mul(noise, sigma));
  }
  return out;
}

/** Evenly spaced timesteps T-1 → 0, `steps` of them (descending, distinct). */
export function ddimTimesteps(T: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new RangeError(`ddimTimesteps: steps must be an integer in [1, ${T}], got ${steps}`);
  const out: number[] = [];
  for (let i = steps - 1; i >= 0; i--) out.push(steps === 1 ? T - 1 : Math.round((i * (T - 1)) / (steps - 1)));
  return out;
}

export interface SampleOptions extends GuidanceOptions {
  /** Output shape [B, C, H, W]. */
  shape: readonly number[];
  sampler?: SamplerName;
  /** DDIM steps (default 50); DDPM always uses all T. */
  steps?: number;
  /** DDIM stochasticity (default 0). */
  eta?: number;
  clipDenoised?: boolean;
  generator?: Generator;
  device?: string;
  /** Starting noise x_T (default: drawn from `generator`). */
  xT?: Tensor;
  /**
   * Called after every denoising step (i = 1..n) with the current x (valid during the call;
   * `keep()` a copy to hold it), e.g. for a progress bar or to show the denoising step by step.
   */
  onStep?: (i: number, n: number, x: Tensor) => void | Promise<void>;
}

/** Draws samples x_0 from the model; returns [B, C, H, W] in roughly [-1, 1]. */
export async function sample(model: Denoiser, schedule: NoiseSchedule, options: SampleOptions): Promise<Tensor> {
  const sampler = options.sampler ?? "ddim";
  const g = options.generator ?? defaultGenerator;
  const device = options.device ?? options.xT?.device;
  const stepOpts: StepOptions = { clipDenoised: options.clipDenoised ?? true, generator: g };
  const guidance: GuidanceOptions = {
    labels: options.labels ?? null,
    ...(options.nullLabel !== undefined ? { nullLabel: options.nullLabel } : {}),
    guidanceScale: options.guidanceScale ?? 1,
  };
  const ts = sampler === "ddpm" ? ddimTimesteps(schedule.T, schedule.T) : ddimTimesteps(schedule.T, options.steps ?? 50);
  if (sampler !== "ddpm" && sampler !== "ddim") throw new RangeError(`sample: unknown sampler '${sampler as string}' (expected ddpm or ddim)`);
  let x = options.xT ? ops.contiguousCopy(options.xT).keep() : ops.randn(options.shape, { generator: g, ...(device ? { device } : {}) }).keep();
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const tPrev = i + 1 < ts.length ? ts[i + 1]! : -1;
    const next = tidy(() =>
      noGrad(() => {
        const eps = guidedEps(model, x, t, guidance);
        return sampler === "ddpm" ? ddpmStep(schedule, x, t, eps, stepOpts) : ddimStep(schedule, x, t, tPrev, eps, options.eta ?? 0, stepOpts);
      }),
    );
    x.dispose();
    x = next.keep();
    await options.onStep?.(i + 1, ts.length, x);
    // Let timers, I/O (progress output) and a page's rendering run between steps.
    await yieldToEventLoop();
  }
  return x;
}
