import type { Tensor } from "../tensor/tensor.js";
import { shapeToString } from "../tensor/shape.js";
import { indexSelect } from "../ops/indexing.js";
import { tensor } from "../ops/creation.js";

/** A sample is one tensor or a tuple of tensors (e.g. [image, label]). */
export type Sample = Tensor | Tensor[];

/** Map-style dataset, as torch.utils.data.Dataset: a length and random access. */
export abstract class Dataset<S extends Sample = Sample> {
  abstract get length(): number;
  abstract get(index: number): S;
  /**
   * Optional fast path: a whole batch at once (already collated). TensorDataset uses one
   * indexSelect per tensor instead of stacking `batchSize` single samples.
   */
  getBatch?(indices: readonly number[]): S;
}

/** Wraps tensors that share their first dim; sample i is [t0[i], t1[i], ...]. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new RangeError("TensorDataset: expected at least one tensor");
    const n = tensors[0]!.shape[0];
    for (const [i, t] of tensors.entries()) {
      if (t.ndim === 0 || t.shape[0] !== n) {
        throw new RangeError(`TensorDataset: tensor ${i} has shape ${shapeToString(t.shape)}; all tensors need the same first dim (${n})`);
      }
      t.keep();
    }
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  get(index: number): Tensor[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`TensorDataset.get: index ${index} is out of range for ${this.length} samples`);
    }
    return this.tensors.map((t) => t.index(index));
  }

  override getBatch(indices: readonly number[]): Tensor[] {
    const idx = tensor([...indices], { dtype: "int32", device: this.tensors[0]!.device });
    const out = this.tensors.map((t) => indexSelect(t, 0, idx));
    idx.dispose();
    return out;
  }
}

/** A view of a dataset restricted to some indices (torch.utils.data.Subset). */
export class Subset<S extends Sample> extends Dataset<S> {
  constructor(
    readonly dataset: Dataset<S>,
    readonly indices: readonly number[],
  ) {
    super();
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number): S {
    const j = this.indices[i];
    if (j === undefined) throw new RangeError(`Subset.get: index ${i} is out of range for ${this.indices.length} samples`);
    return this.dataset.get(j);
  }
  override getBatch(indices: readonly number[]): S {
    const mapped = indices.map((i) => this.indices[i]!);
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped);
    throw new Error("Subset.getBatch: the underlying dataset has no getBatch");
  }
}
