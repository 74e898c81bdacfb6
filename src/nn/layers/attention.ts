import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import { Module, Parameter } from "../module.js";
import { empty } from "../empty.js";
import { constant_, xavierNormal_, xavierUniform_ } from "../init.js";
import { zeros } from "../../ops/creation.js";
import * as ops from "../../ops/index.js";
import { Linear } from "./linear.js";
import { linear } from "../functional/linear.js";
import { attend, causalMask } from "../functional/attention.js";

export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  batchFirst?: boolean;
  device?: string;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S]: bool true = ignore that key; float = added to the scores. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** [L, S] or [N*numHeads, L, S]: bool true = NOT allowed; float = added. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** Applies a causal mask when no attnMask is given. */
  isCausal?: boolean;
}

/**
 * Multi-head attention with PyTorch's parameters (`in_proj_weight` [3E, E] and `in_proj_bias`,
 * or `q/k/v_proj_weight` when kdim/vdim differ; `out_proj`; optional `bias_k`/`bias_v`).
 * `forward(query, key, value, options)` returns [output, weights | null]; weights are averaged
 * over heads unless averageAttnWeights is false.
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Tensor | null = null;
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  bias_k: Tensor | null = null;
  bias_v: Tensor | null = null;
  out_proj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    const dev = options.device;
    if (!Number.isInteger(embedDim) || embedDim < 1 || !Number.isInteger(numHeads) || numHeads < 1) {
      throw new RangeError(`MultiheadAttention: embedDim and numHeads must be positive integers, got ${embedDim} and ${numHeads}`);
    }
    if (embedDim % numHeads !== 0) throw new RangeError(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    this.addZeroAttn = options.addZeroAttn ?? false;
    const bias = options.bias ?? true;
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.in_proj_weight = Parameter(empty([3 * embedDim, embedDim], dev));
    } else {
      this.q_proj_weight = Parameter(empty([embedDim, embedDim], dev));
      this.k_proj_weight = Parameter(empty([embedDim, this.kdim], dev));
      this.v_proj_weight = Parameter(empty([embedDim, this.vdim], dev));
    }
    if (bias) this.in_proj_bias = Parameter(empty([3 * embedDim], dev));
    if (options.addBiasKv) {
      this.bias_k = Parameter(empty([1, 1, embedDim], dev));
      this.bias_v = Parameter(empty([1, 1, embedDim], dev));
    }
    this.out_proj = new Linear(embedDim, embedDim, { bias, ...(dev === undefined ? {} : { device: dev }) });
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.in_proj_weight) xavierUniform_(this.in_proj_weight);
    else for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) xavierUniform_(w!);
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
    if (this.bias_k) xavierNormal_(this.bias_k);
    if (this.bias_v) xavierNormal_(this.bias_v);
  }

  private projections(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const b = this.in_proj_bias;
    const bias = (i: number) => (b ? ops.narrow(b, 0, i * E, E) : null);
    if (this.in_proj_weight) {
      if (query === key && key === value) {
        // Self-attention: one matmul for q, k and v.
        const qkv = linear(query, this.in_proj_weight, b);
        return ops.chunk(qkv, 3, -1) as [Tensor, Tensor, Tensor];
      }
      const w = (i: number) => ops.narrow(this.in_proj_weight!, 0, i * E, E);
      if (key === value) {
        const kv = linear(key, ops.narrow(this.in_proj_weight, 0, E, 2 * E), b ? ops.narrow(b, 0, E, 2 * E) : null);
        const [k, v] = ops.chunk(kv, 2, -1) as [Tensor, Tensor];
        return [linear(query, w(0), bias(0)), k, v];
      }
      return [linear(query, w(0), bias(0)), linear(key, w(1), bias(1)), linear(value, w(2), bias(2))];
    }
    return [linear(query, this.q_proj_weight!, bias(0)), linear(key, this.k_proj_weight!, bias(1)), linear(value, this.v_proj_weight!, bias(2))];
  }

  override forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const name = "MultiheadAttention";
    const { needWeights = true, averageAttnWeights = true, isCausal = false } = options;
    let { keyPaddingMask = null, attnMask = null } = options;
    const batched = query.ndim === 3;
    if ((query.ndim !== 3 && query.ndim !== 2) || key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(`${name}: expected query, key and value all 3-D ${this.batchFirst ? "[N, L, E]" : "[L, N, E]"} or all 2-D [L, E], got ${shapeToString(query.shape)}, ${shapeToString(key.shape)}, ${shapeToString(value.shape)}`);
    }
    for (const [what, t, want] of [["query", query, this.embedDim], ["key", key, this.kdim], ["value", value, this.vdim]] as const) {
      if (t.shape[t.ndim - 1] !== want) throw new RangeError(`${name}: expected ${what} with ${want} features in the last dim, got shape ${shapeToString(t.shape)}`);
    }
    const same = [query === key, key === value];
    let q = query;
    let k = key;
    let v = value;
    if (!batched) {
      q = ops.unsqueeze(q, 1);
      k = same[0] ? q : ops.unsqueeze(k, 1);
      v = same[1] ? k : ops.unsqueeze(v, 1);
      if (keyPaddingMask) keyPaddingMask = ops.unsqueeze(keyPaddingMask, 0);
    } else if (this.batchFirst) {
      q = ops.transpose(q, 0, 1);
      k = same[0] ? q : ops.transpose(k, 0, 1);
      v = same[1] ? k : ops.transpose(v, 0, 1);
    }
    const [L, N] = q.shape as [number, number];
    const S0 = k.shape[0]!;
    if (k.shape[1] !== N || v.shape[1] !== N || v.shape[0] !== S0) {
      throw new RangeError(`${name}: query, key and value disagree on batch or key length: ${shapeToString(query.shape)}, ${shapeToString(key.shape)}, ${shapeToString(value.shape)}`);
    }
    const h = this.numHeads;
    const hd = this.headDim;
    const E = this.embedDim;
    let [qp, kp, vp] = this.projections(q, k, v);
    const padLast = (m: Tensor | null) => (m ? ops.pad(m, m.shape.map(() => 0), m.shape.map((_, i) => (i === m.ndim - 1 ? 1 : 0)), 0) : null);
    if (this.bias_k && this.bias_v) {
      kp = ops.cat([kp, ops.expand(this.bias_k, [1, N, E])], 0);
      vp = ops.cat([vp, ops.expand(this.bias_v, [1, N, E])], 0);
      attnMask = padLast(attnMask);
      keyPaddingMask = padLast(keyPaddingMask);
    }
    const heads = (t: Tensor, len: number) => ops.permute(ops.reshape(t, [len, N, h, hd]), [1, 2, 0, 3]); // [N, h, len, hd]
    let qh = heads(qp, L);
    let kh = heads(kp, kp.shape[0]!);
    let vh = heads(vp, vp.shape[0]!);
    if (this.addZeroAttn) {
      const z = zeros([N, h, 1, hd], { device: qh.device, dtype: qh.dtype });
      kh = ops.cat([kh, z], 2);
      vh = ops.cat([vh, z], 2);
      attnMask = padLast(attnMask);
      keyPaddingMask = padLast(keyPaddingMask);
    }
    const S = kh.shape[2]!;
    let notAllowed: Tensor | null = null;
    let additive: Tensor | null = null;
    const addMask = (m: Tensor) => {
      if (m.dtype === "bool") notAllowed = notAllowed ? ops.logicalOr(notAllowed, m) : m;
      else additive = additive ? ops.add(additive, m) : m;
    };
    if (attnMask) {
      if (attnMask.ndim === 2) {
        if (attnMask.shape[0] !== L || attnMask.shape[1] !== S) throw new RangeError(`${name}: expected a 2-D attnMask of shape [${L}, ${S}], got ${shapeToString(attnMask.shape)}`);
        addMask(attnMask);
      } else if (attnMask.ndim === 3) {
        if (attnMask.shape[0] !== N * h || attnMask.shape[1] !== L || attnMask.shape[2] !== S) {
          throw new RangeError(`${name}: expected a 3-D attnMask of shape [${N * h}, ${L}, ${S}], got ${shapeToString(attnMask.shape)}`);
        }
        addMask(ops.reshape(attnMask, [N, h, L, S]));
      } else {
        throw new RangeError(`${name}: attnMask must be 2-D or 3-D, got shape ${shapeToString(attnMask.shape)}`);
      }
    } else if (isCausal) {
      addMask(causalMask(L, S, qh.device));
    }
    if (keyPaddingMask) {
      if (keyPaddingMask.ndim !== 2 || keyPaddingMask.shape[0] !== N || keyPaddingMask.shape[1] !== S) {
        throw new RangeError(`${name}: expected keyPaddingMask of shape [${N}, ${S}], got ${shapeToString(keyPaddingMask.shape)}`);
      }
      addMask(ops.reshape(keyPaddingMask, [N, 1, 1, S]));
    }
    const { output, weights } = attend(qh, kh, vh, { notAllowed, additive, dropoutP: this.training ? this.dropout : 0 });
    const merged = ops.reshape(ops.permute(output, [2, 0, 1, 3]), [L, N, E]);
    let out = this.out_proj.forward(merged);
    let w: Tensor | null = needWeights ? (averageAttnWeights ? ops.mean(weights, 1) : weights) : null;
    if (!batched) {
      out = ops.squeeze(out, 1);
      if (w) w = ops.squeeze(w, 0);
    } else if (this.batchFirst) {
      out = ops.transpose(out, 0, 1);
    }
    return [out, w];
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}${this.batchFirst ? ", batch_first=True" : ""}`;
  }
}
