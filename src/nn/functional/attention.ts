import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";
import type { Generator } from "../../tensor/random.js";
import { dropout } from "./activation.js";
import { recordAsOne } from "../../ops/trace-hook.js";

export interface ScaledDotProductAttentionOptions {
  /**
   * Bool: true where a query MAY attend (PyTorch's F.scaled_dot_product_attention convention);
   * float: added to the scores. Broadcasts to [..., L, S].
   */
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** Defaults to 1/sqrt(E). */
  scale?: number | null;
  generator?: Generator;
}

/** Bool [L, S] mask, true strictly above the diagonal (positions a causal query may not see). */
export function causalMask(L: number, S: number, device: string): Tensor {
  const data = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) data[i * S + j] = 1;
  return ops.tensor(data, { shape: [L, S], dtype: "bool", device });
}

/**
 * Softmax over the last dim that stays finite: rows whose scores are all -inf give zeros
 * (instead of NaN), and the max shift keeps exp from overflowing.
 */
export function safeSoftmax(scores: Tensor): Tensor {
  // A tracer (the ONNX exporter) sees one op: a Softmax whose fully masked rows are zeroed.
  return recordAsOne("safeSoftmax", [scores], {}, () => {
    const m = ops.amax(scores, -1, true).detach();
    const finite = ops.lt(ops.abs(m), Infinity);
    const e = ops.exp(ops.sub(scores, ops.where(finite, m, 0)));
    const s = ops.sum(e, -1, true);
    return ops.div(e, ops.where(ops.gt(s, 0), s, 1));
  });
}

/** Core of attention: returns the output and the (post-dropout) weights. `notAllowed`: bool, true = masked out. */
export function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: { notAllowed?: Tensor | null; additive?: Tensor | null; dropoutP?: number; scale?: number | null; generator?: Generator },
): { output: Tensor; weights: Tensor } {
  const E = q.shape[q.ndim - 1]!;
  const scale = options.scale ?? 1 / Math.sqrt(E);
  let scores = ops.matmul(ops.mul(q, scale), ops.transpose(k, -2, -1));
  if (options.additive) scores = ops.add(scores, options.additive);
  if (options.notAllowed) scores = ops.maskedFill(scores, options.notAllowed, -Infinity);
  let weights = safeSoftmax(scores);
  const p = options.dropoutP ?? 0;
  if (p > 0) weights = dropout(weights, { p, training: true, ...(options.generator ? { generator: options.generator } : {}) });
  return { output: ops.matmul(weights, v), weights };
}

/**
 * softmax(q kᵀ · scale + mask) v over the last two dims: q [..., L, E], k [..., S, E], v [..., S, Ev].
 * Numerically stable (max-shifted softmax; fully masked rows give zeros). Dropout on the
 * weights applies whenever dropoutP > 0, as in PyTorch's functional form.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = "scaledDotProductAttention";
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new RangeError(`${op}: q, k, v need at least 2 dims, got ${shapeToString(q.shape)}, ${shapeToString(k.shape)}, ${shapeToString(v.shape)}`);
  const E = q.shape[q.ndim - 1]!;
  const L = q.shape[q.ndim - 2]!;
  const S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: key's last dim ${k.shape[k.ndim - 1]} does not match query's ${E} (q ${shapeToString(q.shape)}, k ${shapeToString(k.shape)})`);
  if (v.shape[v.ndim - 2] !== S) throw new RangeError(`${op}: value has ${v.shape[v.ndim - 2]} positions but key has ${S} (k ${shapeToString(k.shape)}, v ${shapeToString(v.shape)})`);
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null } = options;
  if (isCausal && attnMask) throw new RangeError(`${op}: give either attnMask or isCausal, not both`);
  let notAllowed: Tensor | null = null;
  let additive: Tensor | null = null;
  if (isCausal) notAllowed = causalMask(L, S, q.device);
  else if (attnMask) {
    if (attnMask.dtype === "bool") notAllowed = ops.logicalNot(attnMask);
    else additive = attnMask;
  }
  return attend(q, k, v, { notAllowed, additive, dropoutP, scale, ...(options.generator ? { generator: options.generator } : {}) }).output;
}
