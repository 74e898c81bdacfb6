import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";

/**
 * One time step of each recurrent cell, given the input projection `gi = x W_ihᵀ + b_ih`
 * (computed for all time steps at once by the layers) and the transposed recurrent weight
 * `wHhT = W_hhᵀ` (transposed once per sequence, not per step). Gate order is PyTorch's.
 */

/** h' = act(gi + h W_hhᵀ + b_hh). */
export function rnnStep(gi: Tensor, h: Tensor, wHhT: Tensor, bHh: Tensor | null, nonlinearity: "tanh" | "relu"): Tensor {
  let pre = ops.add(gi, ops.matmul(h, wHhT));
  if (bHh) pre = ops.add(pre, bHh);
  return nonlinearity === "tanh" ? ops.tanh(pre) : ops.relu(pre);
}

/**
 * LSTM (gates i, f, g, o): one sigmoid over all four gate blocks and one tanh over g, then
 * c' = f c + i g and h' = o tanh(c'). `gi` already includes b_hh when `bHh` is null.
 */
export function lstmStep(gi: Tensor, h: Tensor, c: Tensor, wHhT: Tensor, bHh: Tensor | null, wHrT: Tensor | null = null): [Tensor, Tensor] {
  const H = c.shape[c.ndim - 1]!;
  let gates = ops.add(gi, ops.matmul(h, wHhT));
  if (bHh) gates = ops.add(gates, bHh);
  const d = gates.ndim - 1;
  const sig = ops.sigmoid(gates);
  const i = ops.narrow(sig, d, 0, H);
  const f = ops.narrow(sig, d, H, H);
  const o = ops.narrow(sig, d, 3 * H, H);
  const g = ops.tanh(ops.narrow(gates, d, 2 * H, H));
  const c2 = ops.add(ops.mul(f, c), ops.mul(i, g));
  let h2 = ops.mul(o, ops.tanh(c2));
  if (wHrT) h2 = ops.matmul(h2, wHrT);
  return [h2, c2];
}

/**
 * GRU (gates r, z, n): r, z = σ(gi_rz + gh_rz); n = tanh(gi_n + r (W_hn h + b_hn));
 * h' = n + z (h - n).
 */
export function gruStep(gi: Tensor, h: Tensor, wHhT: Tensor, bHh: Tensor | null): Tensor {
  const H = h.shape[h.ndim - 1]!;
  let gh = ops.matmul(h, wHhT);
  if (bHh) gh = ops.add(gh, bHh);
  const d = gh.ndim - 1;
  const rz = ops.sigmoid(ops.add(ops.narrow(gi, d, 0, 2 * H), ops.narrow(gh, d, 0, 2 * H)));
  const r = ops.narrow(rz, d, 0, H);
  const z = ops.narrow(rz, d, H, H);
  const n = ops.tanh(ops.add(ops.narrow(gi, d, 2 * H, H), ops.mul(r, ops.narrow(gh, d, 2 * H, H))));
  return ops.add(n, ops.mul(z, ops.sub(h, n)));
}
