/**
 * U-Net building blocks for diffusion models (names follow diffusers' UNet2DModel where one
 * exists, so a state_dict reads naturally to a PyTorch user):
 * - TimestepEmbedder: sinusoidal embedding → Linear → SiLU → Linear
 * - ResBlock: GroupNorm → SiLU → Conv3x3 → + Linear(SiLU(emb)) → GroupNorm → SiLU → Dropout → Conv3x3, plus a skip
 * - AttentionBlock: GroupNorm → multi-head self-attention over the H·W positions → Linear, residual
 * - Downsample (stride-2 Conv3x3) and Upsample (nearest ×2 → Conv3x3)
 */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/layers/linear.js";
import { SiLU, Dropout } from "../nn/layers/activation.js";
import { Conv2d } from "../nn/layers/conv.js";
import { GroupNorm } from "../nn/layers/normalization.js";
import { zeros_ } from "../nn/init.js";
import { silu } from "../nn/functional/activation.js";
import { interpolate } from "../nn/functional/interpolate.js";
import { scaledDotProductAttention } from "../nn/functional/attention.js";
import { timestepEmbedding } from "./embedding.js";

/** Sinusoidal timestep features followed by a two-layer MLP. */
export class TimestepEmbedder extends Module {
  linear_1: Linear;
  act: SiLU;
  linear_2: Linear;
  constructor(
    readonly frequencyDim: number,
    readonly embedDim: number,
  ) {
    super();
    this.linear_1 = new Linear(frequencyDim, embedDim);
    this.act = new SiLU();
    this.linear_2 = new Linear(embedDim, embedDim);
  }
  override forward(t: Tensor): Tensor {
    return this.linear_2.forward(this.act.forward(this.linear_1.forward(timestepEmbedding(t, this.frequencyDim))));
  }
}

/** Residual block conditioned on an embedding vector (timestep and, optionally, class). */
export class ResBlock extends Module {
  norm1: GroupNorm;
  conv1: Conv2d;
  time_emb_proj: Linear;
  norm2: GroupNorm;
  dropout: Dropout;
  conv2: Conv2d;
  conv_shortcut: Conv2d | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    embDim: number,
    options: { groups?: number; dropout?: number } = {},
  ) {
    super();
    const groups = options.groups ?? 8;
    this.norm1 = new GroupNorm(Math.min(groups, inChannels), inChannels);
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { padding: 1 });
    this.time_emb_proj = new Linear(embDim, outChannels);
    this.norm2 = new GroupNorm(Math.min(groups, outChannels), outChannels);
    this.dropout = new Dropout(options.dropout ?? 0);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1 });
    // Zero-initialised last conv: each block starts as the identity, which steadies early training.
    zeros_(this.conv2.weight);
    if (this.conv2.bias) zeros_(this.conv2.bias);
    this.conv_shortcut = inChannels === outChannels ? null : new Conv2d(inChannels, outChannels, 1);
  }

  override forward(x: Tensor, emb: Tensor): Tensor {
    let h = this.conv1.forward(silu(this.norm1.forward(x)));
    const e = this.time_emb_proj.forward(silu(emb));
    h = ops.add(h, ops.reshape(e, [e.shape[0]!, e.shape[1]!, 1, 1]));
    h = this.conv2.forward(this.dropout.forward(silu(this.norm2.forward(h))) as Tensor);
    const skip = this.conv_shortcut ? this.conv_shortcut.forward(x) : x;
    return ops.add(skip, h);
  }
}

/** Multi-head self-attention over spatial positions, with a residual connection. */
export class AttentionBlock extends Module {
  group_norm: GroupNorm;
  to_qkv: Linear;
  to_out: Linear;
  constructor(
    readonly channels: number,
    readonly numHeads = 4,
    groups = 8,
  ) {
    super();
    if (channels % numHeads !== 0) throw new RangeError(`AttentionBlock: channels (${channels}) must be divisible by numHeads (${numHeads})`);
    this.group_norm = new GroupNorm(Math.min(groups, channels), channels);
    this.to_qkv = new Linear(channels, 3 * channels);
    this.to_out = new Linear(channels, channels);
    zeros_(this.to_out.weight);
    if (this.to_out.bias) zeros_(this.to_out.bias);
  }

  override forward(x: Tensor): Tensor {
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const L = H * W;
    const heads = this.numHeads;
    const d = C / heads;
    const tokens = ops.transpose(ops.reshape(this.group_norm.forward(x), [B, C, L]), 1, 2); // [B, L, C]
    const qkv = ops.permute(ops.reshape(this.to_qkv.forward(tokens), [B, L, 3, heads, d]), [2, 0, 3, 1, 4]); // [3, B, h, L, d]
    const [q, k, v] = [0, 1, 2].map((i) => ops.squeeze(ops.narrow(qkv, 0, i, 1), 0)) as [Tensor, Tensor, Tensor];
    const a = scaledDotProductAttention(q, k, v); // [B, h, L, d]
    const merged = ops.reshape(ops.permute(a, [0, 2, 1, 3]), [B, L, C]);
    const out = ops.reshape(ops.transpose(this.to_out.forward(merged), 1, 2), [B, C, H, W]);
    return ops.add(x, out);
  }
}

/** Halves the resolution with a stride-2 3×3 convolution. */
export class Downsample extends Module {
  conv: Conv2d;
  constructor(channels: number) {
    super();
    this.conv = new Conv2d(channels, channels, 3, { stride: 2, padding: 1 });
  }
  override forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

/** Doubles the resolution (nearest neighbour) and mixes with a 3×3 convolution. */
export class Upsample extends Module {
  conv: Conv2d;
  constructor(inChannels: number, outChannels = inChannels) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, 3, { padding: 1 });
  }
  /** `size`: the target [H, W] (the matching skip's size; 7 → 14 → 28 works as well as 8 → 16 → 32). */
  override forward(x: Tensor, size?: readonly [number, number]): Tensor {
    const up = size ? interpolate(x, { size, mode: "nearest" }) : interpolate(x, { scaleFactor: 2, mode: "nearest" });
    return this.conv.forward(up);
  }
}

