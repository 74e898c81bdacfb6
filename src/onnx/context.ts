import type { DType } from "../tensor/dtype.js";
import { GraphBuilder } from "./builder.js";
import type { OnnxElemType } from "./graph.js";
import type { TraceEvent, TracedValue } from "./trace.js";

/** Above this, a slice end is "to the end of the dim" (ONNX clamps it). */
export const SLICE_TO_END = 2 ** 62;

export const onnxType = (dtype: DType): OnnxElemType => dtype;

/**
 * The batch size as an int64 [1] tensor read from a graph input at run time, plus the two
 * batch sizes the model was traced at, so a size seen in both traces can be written as
 * `k * batch + c`.
 */
export interface BatchSymbol {
  input: string;
  axis: number;
  sizes: readonly [number, number];
  /** The dim's name in the graph's inputs and outputs (default "batch"). */
  symbol: string;
}

/** What a converter sees: the builder, and the same op in a second trace at another batch size. */
export class ConvertContext {
  private batchValue: string | null = null;
  private readonly producers = new Map<string, TraceEvent>();

  constructor(
    readonly b: GraphBuilder,
    private readonly batch: BatchSymbol | null,
  ) {}

  noteProducer(name: string, event: TraceEvent): void {
    this.producers.set(name, event);
  }

  producer(name: string): TraceEvent | undefined {
    return this.producers.get(name);
  }

  /** The batch size as int64 [1], computed once per graph. */
  private batchSize(): string {
    if (!this.batch) throw new Error("internal: no dynamic axis");
    this.batchValue ??= this.b.node("Shape", [this.batch.input], { start: { i: this.batch.axis }, end: { i: this.batch.axis + 1 } });
    return this.batchValue;
  }

  /** `k` and `c` with `size = k * batch + c` from the sizes seen in the two traces. */
  private linear(a: number, other: number, what: string): { k: number; c: number } {
    const [b1, b2] = this.batch!.sizes;
    const k = (other - a) / (b2 - b1);
    const c = a - k * b1;
    if (!Number.isInteger(k) || !Number.isInteger(c)) {
      throw new Error(`${what}: a size changes from ${a} to ${other} when the batch goes from ${b1} to ${b2}, which is not k * batch + c; it cannot be exported with a dynamic batch`);
    }
    return { k, c };
  }

  /**
   * An int64 vector of sizes: a constant when the two traces agree, otherwise built from the
   * batch size at run time.
   */
  dims(a: readonly number[], other: readonly number[], what: string): string {
    if (a.length !== other.length) throw new Error(`${what}: rank differs between traces at two batch sizes (${a.length} vs ${other.length})`);
    if (a.every((d, i) => d === other[i])) return this.b.int64(a);
    const pieces: string[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) pieces.push(this.b.int64(run));
      run = [];
    };
    a.forEach((d, i) => {
      if (d === other[i]) return void run.push(d);
      flush();
      const { k, c } = this.linear(d, other[i]!, what);
      let v = k === 1 ? this.batchSize() : this.b.node("Mul", [this.batchSize(), this.b.int64([k])]);
      if (c !== 0) v = this.b.node("Add", [v, this.b.int64([c])]);
      pieces.push(v);
    });
    flush();
    return pieces.length === 1 ? pieces[0]! : this.b.node("Concat", pieces, { axis: { i: 0 } });
  }

  /** Symbolic dims for a value's shape (for graph inputs/outputs): "batch" where it varies. */
  symbolicDims(a: TracedValue, other: TracedValue): (number | string)[] {
    return a.shape.map((d, i) => (d === other.shape[i] ? d : (this.batch?.symbol ?? "batch")));
  }
}
