import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";

/**
 * Sinusoidal timestep embedding (the Transformer's positional encoding applied to the diffusion
 * step, as in guided-diffusion's `timestep_embedding`):
 *   freqs_i = exp(-ln(maxPeriod) · i / half), i = 0..half-1, half = floor(dim / 2)
 *   emb = [cos(t · freqs), sin(t · freqs)]   (zero-padded by one column when dim is odd)
 * `t` is a [B] tensor of (possibly fractional) timesteps; the result is float32 [B, dim].
 */
export function timestepEmbedding(t: Tensor, dim: number, maxPeriod = 10000): Tensor {
  if (t.ndim !== 1) throw new RangeError(`timestepEmbedding: expected a 1-D tensor of timesteps [B], got ${t.ndim}-D`);
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`timestepEmbedding: dim must be an integer >= 2, got ${dim}`);
  const half = Math.floor(dim / 2);
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(maxPeriod) * i) / half);
  const f = ops.tensor(freqs, { shape: [1, half], device: t.device });
  const args = ops.mul(ops.reshape(t.dtype === "float32" ? t : ops.cast(t, "float32"), [-1, 1]), f);
  let emb = ops.cat([ops.cos(args), ops.sin(args)], 1);
  if (dim % 2 === 1) emb = ops.pad(emb, [0, 0], [0, 1]);
  return emb;
}
