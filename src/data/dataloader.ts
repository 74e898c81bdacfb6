import type { Tensor } from "../tensor/tensor.js";
import { stack } from "../ops/movement.js";
import { Generator, defaultGenerator } from "../tensor/random.js";
import type { Dataset, Sample } from "./dataset.js";

export interface DataLoaderOptions<S extends Sample> {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Seed for a private shuffling generator (reproducible regardless of other draws). */
  seed?: number;
  /** Or an explicit generator (default: the global one, as PyTorch). */
  generator?: Generator;
  /** Combines samples into a batch (default: stack each tuple position). */
  collate?: (samples: S[]) => S;
  /**
   * Moves every batch to this device (e.g. "webgpu") as it is made. With the dataset on the
   * host ("cpu"), only one batch at a time is on the device: a whole data set need not fit in
   * one GPU buffer. The host device must be readable synchronously (cpu, wasm).
   */
  device?: string;
}

/** Resumable position: the generator state at the start of the epoch and the next batch. */
export interface DataLoaderState {
  epoch: number;
  batchIndex: number;
  epochGeneratorState: number[] | null;
}

function defaultCollate<S extends Sample>(samples: S[]): S {
  const first = samples[0]!;
  if (Array.isArray(first)) {
    return first.map((_, i) => stack(samples.map((s) => (s as Tensor[])[i]!))) as S;
  }
  return stack(samples as Tensor[]) as S;
}

/**
 * Batches a dataset, optionally shuffled with a seeded generator. Iterate with `for` or
 * `for await`; every full iteration is one epoch. `stateDict()` / `loadStateDict()` capture
 * the position inside an epoch so an interrupted run resumes on exactly the same batches.
 */
export class DataLoader<S extends Sample = Sample> implements Iterable<S>, AsyncIterable<S> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator: Generator;
  private readonly collate: (samples: S[]) => S;
  private readonly device: string | undefined;
  private epoch = 0;
  private batchIndex = 0;
  private epochState: number[] | null = null;
  private order: number[] | null = null;

  constructor(
    readonly dataset: Dataset<S>,
    options: DataLoaderOptions<S> = {},
  ) {
    const { batchSize = 1, shuffle = false, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator);
    this.collate = options.collate ?? defaultCollate;
    this.device = options.device;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private startEpoch(): void {
    const n = this.dataset.length;
    this.epochState = this.generator.getState();
    const order = [...Array(n).keys()];
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.generator.int(0, i + 1);
        const tmp = order[i]!;
        order[i] = order[j]!;
        order[j] = tmp;
      }
    }
    this.order = order;
  }

  private batchAt(b: number): S {
    const idx = this.order!.slice(b * this.batchSize, Math.min((b + 1) * this.batchSize, this.order!.length));
    const batch = this.dataset.getBatch ? this.dataset.getBatch(idx) : this.collate(idx.map((i) => this.dataset.get(i)));
    return this.device === undefined ? batch : this.toDevice(batch, this.device);
  }

  private toDevice(batch: S, device: string): S {
    const move = (t: Tensor): Tensor => {
      if (t.device === device) return t;
      const moved = t.to(device);
      t.dispose();
      return moved;
    };
    return (Array.isArray(batch) ? batch.map(move) : move(batch as Tensor)) as S;
  }

  *[Symbol.iterator](): Iterator<S> {
    if (this.order === null || this.batchIndex === 0) this.startEpoch();
    const total = this.length;
    while (this.batchIndex < total) {
      const b = this.batchIndex++;
      yield this.batchAt(b);
    }
    this.epoch++;
    this.batchIndex = 0;
    this.order = null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<S> {
    for (const batch of this) yield batch;
  }

  stateDict(): DataLoaderState {
    return { epoch: this.epoch, batchIndex: this.batchIndex, epochGeneratorState: this.batchIndex > 0 ? this.epochState : null };
  }

  /** Restores a position; the next iteration continues the interrupted epoch. */
  loadStateDict(state: DataLoaderState): void {
    this.epoch = state.epoch;
    this.batchIndex = state.batchIndex;
    if (state.epochGeneratorState && state.batchIndex > 0) {
      this.generator.setState(state.epochGeneratorState);
      this.startEpoch();
    } else {
      this.order = null;
    }
  }

  /** The generator used for shuffling (its state belongs in checkpoints). */
  get rng(): Generator {
    return this.generator;
  }
}
