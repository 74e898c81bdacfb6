import type { Tensor } from "../../tensor/tensor.js";
import { Module, Parameter } from "../module.js";
import { empty } from "../empty.js";
import { normal_ } from "../init.js";
import { embedding } from "../functional/embedding.js";
import * as ops from "../../ops/index.js";
import { noGrad } from "../../autograd/grad-mode.js";

/** A lookup table [num, dim], initialised N(0, 1); the paddingIdx row is zero and gets no gradient. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { paddingIdx?: number | null; device?: string } = {},
  ) {
    super();
    const p = options.paddingIdx ?? null;
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    if (this.paddingIdx !== null && (this.paddingIdx < 0 || this.paddingIdx >= numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx ${p} must be within [-${numEmbeddings}, ${numEmbeddings})`);
    }
    this.weight = Parameter(empty([numEmbeddings, embeddingDim], options.device));
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const idx = this.paddingIdx;
      noGrad(() => {
        const mask = ops.ne(ops.arange(numEmbeddings, undefined, 1, { device: this.weight.device }), idx);
        const zeroed = ops.where(ops.unsqueeze(mask, 1), this.weight, 0);
        this.weight.copy_(zeroed);
      });
    }
  }

  override forward(indices: Tensor): Tensor {
    const out = embedding(indices, this.weight);
    if (this.paddingIdx === null) return out;
    // Rows looked up at the padding index pass values but no gradient.
    const isPad = ops.unsqueeze(ops.eq(indices, this.paddingIdx), -1);
    return ops.where(isPad, out.detach(), out);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ""}`;
  }
}
