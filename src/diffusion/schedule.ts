/**
 * Noise schedules for DDPM-style diffusion. Every quantity is a host-side Float64Array indexed by
 * the timestep t = 0..T-1 (t = 0 is the first noising step), so samplers and the training
 * objective read them without touching a device; tensors are built per batch from these values.
 */

export type BetaScheduleName = "linear" | "cosine";

/** Ho et al. (2020): betas evenly spaced from betaStart to betaEnd (PyTorch: torch.linspace in float64). */
export function linearBetaSchedule(T: number, betaStart = 1e-4, betaEnd = 0.02): Float64Array {
  checkSteps(T);
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = T === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * i) / (T - 1);
  return out;
}

/**
 * Nichol & Dhariwal (2021): alphaBar(t) = cos²((t/T + s)/(1 + s) · π/2) / cos²(s/(1+s) · π/2),
 * beta_t = 1 - alphaBar(t+1)/alphaBar(t), clipped to maxBeta.
 */
export function cosineBetaSchedule(T: number, s = 0.008, maxBeta = 0.999): Float64Array {
  checkSteps(T);
  const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = Math.min(1 - f(i + 1) / f(i), maxBeta);
  return out;
}

function checkSteps(T: number): void {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`beta schedule: T must be a positive integer, got ${T}`);
}

export interface NoiseScheduleOptions {
  /** "linear" (default) or "cosine". */
  schedule?: BetaScheduleName;
  /** Number of diffusion steps T (default 1000). */
  timesteps?: number;
  betaStart?: number;
  betaEnd?: number;
}

/** Precomputed schedule quantities (float64), as in the DDPM/DDIM papers. */
export class NoiseSchedule {
  readonly T: number;
  readonly name: BetaScheduleName;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  /** alphaBar_t = Π_{s≤t} alpha_s. */
  readonly alphasCumprod: Float64Array;
  /** alphaBar_{t-1}, with alphaBar_{-1} = 1. */
  readonly alphasCumprodPrev: Float64Array;
  readonly sqrtAlphasCumprod: Float64Array;
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** Variance of q(x_{t-1} | x_t, x_0): beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t). */
  readonly posteriorVariance: Float64Array;

  constructor(betas: Float64Array, name: BetaScheduleName = "linear") {
    if (betas.length < 1) throw new RangeError("NoiseSchedule: need at least one beta");
    for (const b of betas) if (!(b > 0 && b < 1)) throw new RangeError(`NoiseSchedule: betas must lie in (0, 1), got ${b}`);
    const T = betas.length;
    this.T = T;
    this.name = name;
    this.betas = betas;
    this.alphas = betas.map((b) => 1 - b);
    this.alphasCumprod = new Float64Array(T);
    let p = 1;
    for (let i = 0; i < T; i++) this.alphasCumprod[i] = p *= this.alphas[i]!;
    this.alphasCumprodPrev = new Float64Array(T);
    for (let i = 0; i < T; i++) this.alphasCumprodPrev[i] = i === 0 ? 1 : this.alphasCumprod[i - 1]!;
    this.sqrtAlphasCumprod = this.alphasCumprod.map(Math.sqrt);
    this.sqrtOneMinusAlphasCumprod = this.alphasCumprod.map((a) => Math.sqrt(1 - a));
    this.posteriorVariance = betas.map((b, i) => (b * (1 - this.alphasCumprodPrev[i]!)) / (1 - this.alphasCumprod[i]!));
  }

  static create(options: NoiseScheduleOptions = {}): NoiseSchedule {
    const T = options.timesteps ?? 1000;
    const name = options.schedule ?? "linear";
    if (name === "linear") return new NoiseSchedule(linearBetaSchedule(T, options.betaStart, options.betaEnd), name);
    if (name === "cosine") return new NoiseSchedule(cosineBetaSchedule(T), name);
    throw new RangeError(`NoiseSchedule: unknown schedule '${name as string}' (expected linear or cosine)`);
  }

  /** Checks that every timestep lies in [0, T). */
  checkTimesteps(t: ArrayLike<number>, op: string): void {
    for (let i = 0; i < t.length; i++) {
      const v = t[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.T) throw new RangeError(`${op}: timestep ${v} is outside [0, ${this.T})`);
    }
  }
}
