/**
 * A small sequence classifier: Embedding (padding index 0) → bidirectional GRU (batch-first) →
 * Linear on the last layer's final forward and backward hidden states. Pad sequences on the left
 * with 0 so the forward direction ends on real tokens.
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { Module } from "../src/nn/module.js";
import { Dropout, Embedding, GRU, Linear } from "../src/nn/index.js";
import * as ops from "../src/ops/index.js";

export interface SeqClassifierConfig {
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  numLayers: number;
  numClasses: number;
  dropout: number;
}

export const seqClassifierConfig: Omit<SeqClassifierConfig, "vocabSize"> = { embedDim: 32, hiddenSize: 64, numLayers: 1, numClasses: 2, dropout: 0.1 };

export class SeqClassifier extends Module {
  embed: Embedding;
  gru: GRU;
  drop: Dropout;
  head: Linear;

  constructor(readonly config: SeqClassifierConfig) {
    super();
    const { vocabSize, embedDim, hiddenSize, numLayers, numClasses, dropout } = config;
    this.embed = new Embedding(vocabSize, embedDim, { paddingIdx: 0 });
    this.gru = new GRU(embedDim, hiddenSize, { numLayers, batchFirst: true, bidirectional: true, dropout: numLayers > 1 ? dropout : 0 });
    this.drop = new Dropout(dropout);
    this.head = new Linear(2 * hiddenSize, numClasses);
  }

  /** idx: int32 [B, T] → logits [B, numClasses]. */
  override forward(idx: Tensor): Tensor {
    const [, h] = this.gru.forward(this.embed.forward(idx));
    const L = h.shape[0]!;
    const last = ops.cat([h.index(L - 2), h.index(L - 1)], 1);
    return this.head.forward(this.drop.forward(last));
  }
}

export function createSeqClassifier(config: Partial<SeqClassifierConfig> & { vocabSize: number }): SeqClassifier {
  return new SeqClassifier({ ...seqClassifierConfig, ...config });
}
