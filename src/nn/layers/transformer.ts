import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import { full } from "../../ops/creation.js";
import * as ops from "../../ops/index.js";
import { xavierUniform_ } from "../init.js";
import { Linear } from "./linear.js";
import { Dropout } from "./activation.js";
import { ModuleList } from "./container.js";
import { LayerNorm } from "./normalization.js";
import { MultiheadAttention } from "./attention.js";
import { gelu, relu } from "../functional/activation.js";

export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention / feed-forward) instead of PyTorch's default post-norm. */
  normFirst?: boolean;
  bias?: boolean;
  device?: string;
}

function activationFn(a: TransformerActivation | undefined, name: string): (x: Tensor) => Tensor {
  if (a === undefined || a === "relu") return relu;
  if (a === "gelu") return (x) => gelu(x);
  if (typeof a === "function") return a;
  throw new RangeError(`${name}: activation should be 'relu', 'gelu' or a function, not '${a as string}'`);
}

/** Layer options with defaults, shared by encoder and decoder layers. */
function layerParts(dModel: number, nhead: number, o: TransformerLayerOptions) {
  const dev = o.device === undefined ? {} : { device: o.device };
  const dropout = o.dropout ?? 0.1;
  const bias = o.bias ?? true;
  const attn = () => new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst: o.batchFirst ?? false, ...dev });
  const norm = () => new LayerNorm(dModel, { eps: o.layerNormEps ?? 1e-5, bias, ...dev });
  return { dev, dropout, bias, attn, norm, ff: o.dimFeedforward ?? 2048 };
}

export interface EncoderLayerForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/**
 * Self-attention + feed-forward block (PyTorch's TransformerEncoderLayer, submodules `self_attn`,
 * `linear1`, `dropout`, `linear2`, `norm1`, `norm2`, `dropout1`, `dropout2`), post-norm by default.
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    private readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const p = layerParts(dModel, nhead, options);
    this.self_attn = p.attn();
    this.linear1 = new Linear(dModel, p.ff, { bias: p.bias, ...p.dev });
    this.dropout = new Dropout(p.dropout);
    this.linear2 = new Linear(p.ff, dModel, { bias: p.bias, ...p.dev });
    this.norm1 = p.norm();
    this.norm2 = p.norm();
    this.dropout1 = new Dropout(p.dropout);
    this.dropout2 = new Dropout(p.dropout);
    this.normFirst = options.normFirst ?? false;
    this.activation = activationFn(options.activation, "TransformerEncoderLayer");
  }

  /** A copy with the same options and parameter values (PyTorch's deepcopy in _get_clones). */
  clone(): TransformerEncoderLayer {
    const c = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    c.loadStateDict(this.stateDict());
    return c.train(this.training);
  }

  private selfAttention(x: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }

  private feedForward(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }

  override forward(src: Tensor, options: EncoderLayerForwardOptions = {}): Tensor {
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    let x = src;
    if (this.normFirst) {
      x = ops.add(x, this.selfAttention(this.norm1.forward(x), srcMask, srcKeyPaddingMask, isCausal));
      x = ops.add(x, this.feedForward(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(ops.add(x, this.selfAttention(x, srcMask, srcKeyPaddingMask, isCausal)));
      x = this.norm2.forward(ops.add(x, this.feedForward(x)));
    }
    return x;
  }
}

export interface DecoderLayerForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/**
 * Self-attention + cross-attention over `memory` + feed-forward (PyTorch's
 * TransformerDecoderLayer: `self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`,
 * `norm1..3`, `dropout1..3`).
 */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly normFirst: boolean;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    private readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const p = layerParts(dModel, nhead, options);
    this.self_attn = p.attn();
    this.multihead_attn = p.attn();
    this.linear1 = new Linear(dModel, p.ff, { bias: p.bias, ...p.dev });
    this.dropout = new Dropout(p.dropout);
    this.linear2 = new Linear(p.ff, dModel, { bias: p.bias, ...p.dev });
    this.norm1 = p.norm();
    this.norm2 = p.norm();
    this.norm3 = p.norm();
    this.dropout1 = new Dropout(p.dropout);
    this.dropout2 = new Dropout(p.dropout);
    this.dropout3 = new Dropout(p.dropout);
    this.normFirst = options.normFirst ?? false;
    this.activation = activationFn(options.activation, "TransformerDecoderLayer");
  }

  clone(): TransformerDecoderLayer {
    const c = new TransformerDecoderLayer(this.dModel, this.nhead, this.options);
    c.loadStateDict(this.stateDict());
    return c.train(this.training);
  }

  private selfAttention(x: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }

  private crossAttention(x: Tensor, mem: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.multihead_attn.forward(x, mem, mem, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout2.forward(y);
  }

  private feedForward(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }

  override forward(tgt: Tensor, memory: Tensor, options: DecoderLayerForwardOptions = {}): Tensor {
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null, tgtIsCausal = false, memoryIsCausal = false } = options;
    let x = tgt;
    if (this.normFirst) {
      x = ops.add(x, this.selfAttention(this.norm1.forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
      x = ops.add(x, this.crossAttention(this.norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
      x = ops.add(x, this.feedForward(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(ops.add(x, this.selfAttention(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
      x = this.norm2.forward(ops.add(x, this.crossAttention(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal)));
      x = this.norm3.forward(ops.add(x, this.feedForward(x)));
    }
    return x;
  }
}

export interface EncoderForwardOptions {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/** `numLayers` copies of an encoder layer (`layers.0`, `layers.1`, ...) and an optional final `norm`. */
export class TransformerEncoder extends Module {
  layers: ModuleList<TransformerEncoderLayer>;
  norm: Module | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    options: { norm?: Module | null } = {},
  ) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = options.norm ?? null;
  }

  override forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, { srcMask: options.mask ?? null, srcKeyPaddingMask: options.srcKeyPaddingMask ?? null, isCausal: options.isCausal ?? false });
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}

/** `numLayers` copies of a decoder layer and an optional final `norm`. */
export class TransformerDecoder extends Module {
  layers: ModuleList<TransformerDecoderLayer>;
  norm: Module | null;

  constructor(
    decoderLayer: TransformerDecoderLayer,
    readonly numLayers: number,
    options: { norm?: Module | null } = {},
  ) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => decoderLayer.clone()));
    this.norm = options.norm ?? null;
  }

  override forward(tgt: Tensor, memory: Tensor, options: DecoderLayerForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
}

/** Encoder-decoder Transformer (PyTorch's nn.Transformer: `encoder`, `decoder`, each with a final norm). */
export class Transformer extends Module {
  encoder: TransformerEncoder;
  decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(options: TransformerOptions = {}) {
    super();
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, ...layerOptions } = options;
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOptions.batchFirst ?? false;
    const dev = layerOptions.device === undefined ? {} : { device: layerOptions.device };
    const norm = () => new LayerNorm(dModel, { eps: layerOptions.layerNormEps ?? 1e-5, bias: layerOptions.bias ?? true, ...dev });
    this.encoder = new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layerOptions), numEncoderLayers, { norm: norm() });
    this.decoder = new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layerOptions), numDecoderLayers, { norm: norm() });
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
  }

  override forward(
    src: Tensor,
    tgt: Tensor,
    options: { srcMask?: Tensor | null; tgtMask?: Tensor | null; memoryMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; tgtKeyPaddingMask?: Tensor | null; memoryKeyPaddingMask?: Tensor | null; srcIsCausal?: boolean; tgtIsCausal?: boolean; memoryIsCausal?: boolean } = {},
  ): Tensor {
    const memory = this.encoder.forward(src, { mask: options.srcMask ?? null, srcKeyPaddingMask: options.srcKeyPaddingMask ?? null, isCausal: options.srcIsCausal ?? false });
    return this.decoder.forward(tgt, memory, {
      tgtMask: options.tgtMask ?? null,
      memoryMask: options.memoryMask ?? null,
      tgtKeyPaddingMask: options.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: options.memoryKeyPaddingMask ?? null,
      tgtIsCausal: options.tgtIsCausal ?? false,
      memoryIsCausal: options.memoryIsCausal ?? false,
    });
  }

  /** Float [sz, sz] mask: 0 on and below the diagonal, -inf above (PyTorch's generate_square_subsequent_mask). */
  static generateSquareSubsequentMask(sz: number, options: { device?: string } = {}): Tensor {
    return ops.triu(full([sz, sz], -Infinity, options), 1);
  }
}
