/**
 * Character-level GPT: a decoder-only Transformer. Token + learned position embeddings →
 * `numLayers` pre-norm blocks of causal self-attention and a GELU MLP (nn.TransformerEncoderLayer
 * with normFirst and a causal mask) → final LayerNorm → linear head, optionally tied to the token
 * embedding. Weights start from GPT-2's N(0, 0.02) init. State_dict names: `tok_emb.weight`,
 * `pos_emb.weight`, `blocks.{i}.self_attn.in_proj_weight`, ..., `ln_f.weight`, `head.weight`.
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { Module } from "../src/nn/module.js";
import { Dropout, Embedding, LayerNorm, Linear, ModuleList, TransformerEncoderLayer } from "../src/nn/index.js";
import { normal_, zeros_ } from "../src/nn/init.js";
import { noGrad } from "../src/autograd/grad-mode.js";
import { tidy } from "../src/memory/tidy.js";
import { arange, tensor } from "../src/ops/creation.js";
import * as ops from "../src/ops/index.js";
import { shapeToString } from "../src/tensor/shape.js";
import { lastLogits, sampleFromLogits, type GenerateOptions } from "./sampling.js";

export interface CharGptConfig {
  vocabSize: number;
  /** Longest context (number of learned positions). */
  blockSize: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  dropout: number;
  /** Share the token embedding with the output head. */
  tieWeights: boolean;
}

export const charGptConfig: Omit<CharGptConfig, "vocabSize"> = { blockSize: 128, dModel: 128, numHeads: 4, numLayers: 4, dropout: 0.1, tieWeights: true };

export class CharGPT extends Module {
  tok_emb: Embedding;
  pos_emb: Embedding;
  drop: Dropout;
  blocks: ModuleList<TransformerEncoderLayer>;
  ln_f: LayerNorm;
  head: Linear;

  constructor(readonly config: CharGptConfig) {
    super();
    const { vocabSize, blockSize, dModel, numHeads, numLayers, dropout, tieWeights } = config;
    this.tok_emb = new Embedding(vocabSize, dModel);
    this.pos_emb = new Embedding(blockSize, dModel);
    this.drop = new Dropout(dropout);
    this.blocks = new ModuleList(
      Array.from({ length: numLayers }, () => new TransformerEncoderLayer(dModel, numHeads, { dimFeedforward: 4 * dModel, dropout, activation: "gelu", batchFirst: true, normFirst: true })),
    );
    this.ln_f = new LayerNorm(dModel);
    this.head = new Linear(dModel, vocabSize, { bias: false });
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith("bias")) zeros_(p);
      else if (p.ndim >= 2) normal_(p, 0, 0.02);
    }
    if (tieWeights) {
      this.head.weight.dispose();
      this.head.weight = this.tok_emb.weight;
    }
  }

  /** idx: int32 [B, T] with T <= blockSize → logits [B, T, vocabSize]. */
  override forward(idx: Tensor): Tensor {
    if (idx.ndim !== 2) throw new RangeError(`CharGPT: expected token ids [batch, time], got shape ${shapeToString(idx.shape)}`);
    const T = idx.shape[1]!;
    if (T > this.config.blockSize) throw new RangeError(`CharGPT: sequence length ${T} exceeds blockSize ${this.config.blockSize}`);
    const pos = this.pos_emb.forward(arange(T, undefined, 1, { device: idx.device }));
    let x = this.drop.forward(ops.add(this.tok_emb.forward(idx), pos));
    for (const block of this.blocks) x = block.forward(x, { isCausal: true });
    return this.head.forward(this.ln_f.forward(x));
  }
}

export function createCharGpt(config: Partial<CharGptConfig> & { vocabSize: number }): CharGPT {
  return new CharGPT({ ...charGptConfig, ...config });
}

/**
 * Samples `maxNewTokens` tokens after `prompt`, streaming each through `onToken`. The context is
 * cropped to the last blockSize tokens.
 */
export async function generateCharGpt(model: CharGPT, prompt: readonly number[], options: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new RangeError("generateCharGpt: the prompt needs at least one token");
  const wasTraining = model.training;
  model.eval();
  const context = [...prompt];
  const out: number[] = [];
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const window = context.slice(-model.config.blockSize);
      const logits = noGrad(() => tidy(() => model.forward(tensor([window], { dtype: "int32" }))));
      const row = await lastLogits(logits);
      logits.dispose();
      const token = sampleFromLogits(row, options);
      context.push(token);
      out.push(token);
      if ((await options.onToken?.(token, step)) === false) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}
