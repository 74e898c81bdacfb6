import type { Prim, PrimParams } from "../ops/prims.js";
import type { Tensor } from "../tensor/tensor.js";

/** Shape and dtype of an op's input, remembered even when the input itself is not saved. */
export interface InputMeta {
  shape: readonly number[];
  dtype: Tensor["dtype"];
  requiresGrad: boolean;
}

/**
 * One recorded primitive application. `parents` are the input handles (to walk the graph);
 * `saved` are separate handles that keep the storages a gradient rule needs alive, so a user
 * (or `tidy`) disposing an intermediate does not break `backward()`. They keep the saved
 * tensor's place in the graph (Tensor.savedHandle), so rules run with createGraph can be
 * differentiated again. They are released as soon as the node's gradient has been computed
 * (unless retainGraph).
 */
export class GradNode<P extends Prim = Prim> {
  private savedInputs: (Tensor | null)[] | null;
  private savedOutput: Tensor | null;

  constructor(
    readonly prim: P,
    readonly params: PrimParams[P],
    readonly parents: readonly Tensor[],
    readonly inputMeta: readonly InputMeta[],
    savedInputs: (Tensor | null)[] | null,
    savedOutput: Tensor | null,
    readonly outputShape: readonly number[],
  ) {
    this.savedInputs = savedInputs;
    this.savedOutput = savedOutput;
  }

  /**
   * Called with the gradient of this node's output during backward, before it flows on (module
   * backward hooks). Observers only: they must not dispose or keep the gradient.
   */
  gradHooks: ((grad: Tensor) => void)[] | null = null;

  get released(): boolean {
    return this.savedInputs === null && this.savedOutput === null && this.wasReleased;
  }
  private wasReleased = false;

  input(i: number): Tensor {
    const t = this.savedInputs?.[i];
    if (!t) throw new Error(`backward: the input ${i} of '${this.prim}' was not saved or was already released (call backward() only once per graph, or pass retainGraph)`);
    return t;
  }

  output(): Tensor {
    if (!this.savedOutput) throw new Error(`backward: the output of '${this.prim}' was not saved or was already released (call backward() only once per graph, or pass retainGraph)`);
    return this.savedOutput;
  }

  /** Frees the saved tensors. */
  release(): void {
    for (const t of this.savedInputs ?? []) t?.dispose();
    this.savedOutput?.dispose();
    this.savedInputs = null;
    this.savedOutput = null;
    this.wasReleased = true;
  }
}
