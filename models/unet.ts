/**
 * A small U-Net that predicts the noise ε in x_t, for DDPM/DDIM on 28×28 (Fashion-MNIST) or
 * 32×32 images. Levels halve the resolution (28 → 14 → 7); each level has `numResBlocks`
 * ResBlocks (timestep- and class-conditioned), optional self-attention at chosen levels, and a
 * skip connection per block into the mirrored up path. With `numClasses > 0` the label embedding
 * has one extra "null" row (index numClasses) used for unconditional predictions, which is what
 * classifier-free guidance needs.
 *
 *   const unet = new UNet({ numClasses: 10 });
 *   const eps = unet.forward(xt, t, labels);   // xt [B,1,28,28], t [B] int32, labels [B] int32 | null
 */
import type { Tensor } from "../src/tensor/tensor.js";
import * as ops from "../src/ops/index.js";
import { Module } from "../src/nn/module.js";
import { ModuleList } from "../src/nn/layers/container.js";
import { Conv2d } from "../src/nn/layers/conv.js";
import { GroupNorm } from "../src/nn/layers/normalization.js";
import { Embedding } from "../src/nn/layers/embedding.js";
import { silu } from "../src/nn/functional/activation.js";
import { TimestepEmbedder, ResBlock, AttentionBlock, Downsample, Upsample } from "../src/diffusion/blocks.js";

export interface UNetConfig {
  /** Side of the square input images (default 28). */
  imageSize: number;
  inChannels: number;
  outChannels: number;
  /** Channels at the first level (default 32). */
  baseChannels: number;
  /** Channel multiplier per level; its length is the number of levels (default [1, 2, 2]: 28, 14, 7). */
  channelMult: number[];
  /** ResBlocks per level on the way down (and up). */
  numResBlocks: number;
  /** Levels (0-based) that get self-attention after each ResBlock; the middle block gets one when the last level is listed. */
  attentionLevels: number[];
  numHeads: number;
  /** 0 for an unconditional model; otherwise labels 0..numClasses-1 plus the null label numClasses. */
  numClasses: number;
  dropout: number;
  groups: number;
  /**
   * Space-to-depth stem: the image is split into patchSize×patchSize blocks stacked as channels
   * before the first convolution (and folded back at the end), so the first level runs at
   * imageSize / patchSize. 1 (default) = plain U-Net.
   */
  patchSize: number;
}

export const UNET_DEFAULTS: UNetConfig = {
  imageSize: 28,
  inChannels: 1,
  outChannels: 1,
  baseChannels: 32,
  channelMult: [1, 2, 2],
  numResBlocks: 1,
  attentionLevels: [2],
  numHeads: 4,
  numClasses: 0,
  dropout: 0,
  groups: 8,
  patchSize: 1,
};

class DownLevel extends Module {
  resnets: ModuleList<ResBlock>;
  attentions: ModuleList<AttentionBlock> | null;
  downsample: Downsample | null;
  constructor(resnets: ResBlock[], attentions: AttentionBlock[] | null, downsample: Downsample | null) {
    super();
    this.resnets = new ModuleList(resnets);
    this.attentions = attentions ? new ModuleList(attentions) : null;
    this.downsample = downsample;
  }
}

class UpLevel extends Module {
  upsample: Upsample | null;
  resnets: ModuleList<ResBlock>;
  attentions: ModuleList<AttentionBlock> | null;
  constructor(upsample: Upsample | null, resnets: ResBlock[], attentions: AttentionBlock[] | null) {
    super();
    this.upsample = upsample;
    this.resnets = new ModuleList(resnets);
    this.attentions = attentions ? new ModuleList(attentions) : null;
  }
}

class MidBlock extends Module {
  resnet_1: ResBlock;
  attention: AttentionBlock | null;
  resnet_2: ResBlock;
  constructor(ch: number, emb: number, attention: boolean, cfg: UNetConfig) {
    super();
    const o = { groups: cfg.groups, dropout: cfg.dropout };
    this.resnet_1 = new ResBlock(ch, ch, emb, o);
    this.attention = attention ? new AttentionBlock(ch, cfg.numHeads, cfg.groups) : null;
    this.resnet_2 = new ResBlock(ch, ch, emb, o);
  }
}

export function unetConfig(partial: Partial<UNetConfig> = {}): UNetConfig {
  const cfg = { ...UNET_DEFAULTS, ...partial };
  if (cfg.channelMult.length < 1) throw new RangeError("UNet: channelMult needs at least one level");
  if (cfg.imageSize % cfg.patchSize !== 0) throw new RangeError(`UNet: imageSize ${cfg.imageSize} is not divisible by patchSize ${cfg.patchSize}`);
  for (const m of cfg.channelMult) {
    if ((cfg.baseChannels * m) % cfg.groups !== 0) throw new RangeError(`UNet: channels ${cfg.baseChannels * m} are not divisible by ${cfg.groups} groups`);
  }
  return cfg;
}

export class UNet extends Module {
  readonly config: UNetConfig;
  time_embedding: TimestepEmbedder;
  class_embedding: Embedding | null;
  conv_in: Conv2d;
  down_blocks: ModuleList<DownLevel>;
  mid_block: MidBlock;
  up_blocks: ModuleList<UpLevel>;
  conv_norm_out: GroupNorm;
  conv_out: Conv2d;

  constructor(partial: Partial<UNetConfig> = {}) {
    super();
    const cfg = unetConfig(partial);
    this.config = cfg;
    const base = cfg.baseChannels;
    const emb = base * 4;
    const p2 = cfg.patchSize * cfg.patchSize;
    const o = { groups: cfg.groups, dropout: cfg.dropout };
    const levels = cfg.channelMult.length;
    this.time_embedding = new TimestepEmbedder(base, emb);
    this.class_embedding = cfg.numClasses > 0 ? new Embedding(cfg.numClasses + 1, emb) : null;
    this.conv_in = new Conv2d(cfg.inChannels * p2, base, 3, { padding: 1 });

    const down: DownLevel[] = [];
    const skipChannels: number[] = [];
    let ch = base;
    for (let l = 0; l < levels; l++) {
      const out = base * cfg.channelMult[l]!;
      const attn = cfg.attentionLevels.includes(l);
      const res: ResBlock[] = [];
      const att: AttentionBlock[] = [];
      for (let r = 0; r < cfg.numResBlocks; r++) {
        res.push(new ResBlock(ch, out, emb, o));
        if (attn) att.push(new AttentionBlock(out, cfg.numHeads, cfg.groups));
        ch = out;
        skipChannels.push(ch);
      }
      down.push(new DownLevel(res, attn ? att : null, l < levels - 1 ? new Downsample(ch) : null));
    }
    this.down_blocks = new ModuleList(down);
    this.mid_block = new MidBlock(ch, emb, cfg.attentionLevels.includes(levels - 1), cfg);

    const up: UpLevel[] = [];
    for (let l = levels - 1; l >= 0; l--) {
      const out = base * cfg.channelMult[l]!;
      const attn = cfg.attentionLevels.includes(l);
      const upsample = l < levels - 1 ? new Upsample(ch) : null;
      const res: ResBlock[] = [];
      const att: AttentionBlock[] = [];
      for (let r = 0; r < cfg.numResBlocks; r++) {
        res.push(new ResBlock(ch + skipChannels.pop()!, out, emb, o));
        if (attn) att.push(new AttentionBlock(out, cfg.numHeads, cfg.groups));
        ch = out;
      }
      up.push(new UpLevel(upsample, res, attn ? att : null));
    }
    this.up_blocks = new ModuleList(up);
    this.conv_norm_out = new GroupNorm(Math.min(cfg.groups, ch), ch);
    this.conv_out = new Conv2d(ch, cfg.outChannels * p2, 3, { padding: 1 });
  }

  /**
   * x [B, C, H, W], t [B] timesteps (int32 or float32), classLabels [B] int32 (use numClasses
   * for "no label") or null/undefined (all unconditional). Returns the ε prediction, shaped as x.
   */
  override forward(x: Tensor, t: Tensor, classLabels?: Tensor | null): Tensor {
    const cfg = this.config;
    const B = x.shape[0]!;
    let emb = this.time_embedding.forward(t);
    if (this.class_embedding) {
      const labels = classLabels ?? ops.full([B], cfg.numClasses, { dtype: "int32", device: x.device });
      emb = ops.add(emb, this.class_embedding.forward(labels) as Tensor);
    } else if (classLabels) {
      throw new RangeError("UNet: class labels given to an unconditional model (numClasses = 0)");
    }
    let h = this.conv_in.forward(cfg.patchSize > 1 ? spaceToDepth(x, cfg.patchSize) : x);
    const skips: Tensor[] = [];
    for (const level of this.down_blocks.children() as DownLevel[]) {
      const res = level.resnets.children() as ResBlock[];
      const att = level.attentions?.children() as AttentionBlock[] | undefined;
      res.forEach((rb, i) => {
        h = rb.forward(h, emb);
        if (att) h = att[i]!.forward(h);
        skips.push(h);
      });
      if (level.downsample) h = level.downsample.forward(h);
    }
    h = this.mid_block.resnet_1.forward(h, emb);
    if (this.mid_block.attention) h = this.mid_block.attention.forward(h);
    h = this.mid_block.resnet_2.forward(h, emb);
    for (const level of this.up_blocks.children() as UpLevel[]) {
      const res = level.resnets.children() as ResBlock[];
      const att = level.attentions?.children() as AttentionBlock[] | undefined;
      if (level.upsample) {
        const target = skips[skips.length - 1]!;
        h = level.upsample.forward(h, [target.shape[2]!, target.shape[3]!]);
      }
      res.forEach((rb, i) => {
        h = rb.forward(ops.cat([h, skips.pop()!], 1), emb);
        if (att) h = att[i]!.forward(h);
      });
    }
    const out = this.conv_out.forward(silu(this.conv_norm_out.forward(h)));
    return cfg.patchSize > 1 ? depthToSpace(out, cfg.patchSize) : out;
  }
}

/** [B, C, H, W] → [B, C·p·p, H/p, W/p] (PyTorch's pixel_unshuffle). */
export function spaceToDepth(x: Tensor, p: number): Tensor {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  return ops.reshape(ops.permute(ops.reshape(x, [B, C, H / p, p, W / p, p]), [0, 1, 3, 5, 2, 4]), [B, C * p * p, H / p, W / p]);
}

/** [B, C·p·p, h, w] → [B, C, h·p, w·p] (PyTorch's pixel_shuffle). */
export function depthToSpace(x: Tensor, p: number): Tensor {
  const [B, Cp, h, w] = x.shape as [number, number, number, number];
  const C = Cp / (p * p);
  return ops.reshape(ops.permute(ops.reshape(x, [B, C, p, p, h, w]), [0, 1, 4, 2, 5, 3]), [B, C, h * p, w * p]);
}

export function countParameters(m: Module): number {
  return m.parameters().reduce((s, p) => s + p.size, 0);
}
