/**
 * A recurrent image classifier ("sequential Fashion-MNIST"): each 28×28 image is read as a
 * sequence of 28 rows of 28 pixels by a GRU, and the last layer's final hidden state (both
 * directions when bidirectional) is classified by a Linear layer. A real sequence task on the
 * bundled data, trainable with `neurite train --model row-gru`.
 *
 *   [N, 1, H, W] → [N, H, W] → GRU(W, hidden, batchFirst) → h_T → Linear(hidden·dirs, classes)
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { Module } from "../src/nn/module.js";
import { GRU, Linear } from "../src/nn/index.js";
import * as ops from "../src/ops/index.js";

export interface RowGruConfig {
  /** Pixels per row (the GRU's input size). */
  rowSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  numClasses: number;
}

export const rowGruConfig: RowGruConfig = { rowSize: 28, hiddenSize: 128, numLayers: 1, bidirectional: false, numClasses: 10 };

export class RowGru extends Module {
  gru: GRU;
  head: Linear;

  constructor(readonly config: RowGruConfig) {
    super();
    const { rowSize, hiddenSize, numLayers, bidirectional, numClasses } = config;
    this.gru = new GRU(rowSize, hiddenSize, { numLayers, batchFirst: true, bidirectional });
    this.head = new Linear((bidirectional ? 2 : 1) * hiddenSize, numClasses);
  }

  /** images [N, 1, H, W] (or [N, H, W]) → logits [N, numClasses]. */
  override forward(images: Tensor): Tensor {
    const { rowSize, bidirectional } = this.config;
    const seq = images.ndim === 4 && images.shape[1] === 1 ? images.reshape([images.shape[0]!, images.shape[2]!, images.shape[3]!]) : images;
    if (seq.ndim !== 3 || seq.shape[2] !== rowSize) {
      throw new RangeError(`RowGru.forward: expected images [N, 1, H, ${rowSize}] or rows [N, H, ${rowSize}], got shape [${images.shape.join(", ")}]`);
    }
    const [, h] = this.gru.forward(seq);
    const L = h.shape[0]!;
    const last = bidirectional ? ops.cat([h.index(L - 2), h.index(L - 1)], 1) : h.index(L - 1);
    return this.head.forward(last);
  }
}

export function createRowGru(config: Partial<RowGruConfig> = {}): RowGru {
  return new RowGru({ ...rowGruConfig, ...config });
}
