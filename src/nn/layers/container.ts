import { Tensor } from "../../tensor/tensor.js";
import { isGradEnabled } from "../../autograd/grad-mode.js";
import { flatten } from "../../ops/movement.js";
import { Module } from "../module.js";

/** Runs modules in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): Module {
    const kids = this.children();
    const m = kids[i < 0 ? i + kids.length : i];
    if (!m) throw new RangeError(`Sequential.at: index ${i} out of range for ${kids.length} modules`);
    return m;
  }

  append(m: Module): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  /**
   * Runs the modules in order. The result is typed as a Tensor (what almost every Sequential
   * returns); a Sequential ending in a module with another output names it: `seq.forward<[Tensor, Tensor]>(x)`.
   */
  override forward<Out = Tensor>(x: unknown): Out {
    // Without autograd no intermediate is needed once the next module has consumed it, so each
    // is released at once: inference then holds about two activations at a time instead of the
    // whole network's until the enclosing tidy ends (what made a 1000-image cnn-bn evaluation
    // run out of wasm memory). The caller's input, parameters and pass-through results are kept.
    const release = !isGradEnabled();
    let y = x;
    for (const m of this.children()) {
      const next = m.forward(y);
      if (release && y !== x && y !== next && y instanceof Tensor && !y.requiresGrad) y.dispose();
      y = next;
    }
    return y as Out;
  }
}

/** A list of modules registered under "0", "1", ... (no forward of its own). */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: readonly M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): M {
    const kids = this.children() as M[];
    const m = kids[i < 0 ? i + kids.length : i];
    if (!m) throw new RangeError(`ModuleList.at: index ${i} out of range for ${kids.length} modules`);
    return m;
  }

  append(m: M): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }
}

/** Modules by name. */
export class ModuleDict<M extends Module = Module> extends Module {
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.registerModule(k, m);
  }

  get(name: string): M {
    const m = (this as unknown as Record<string, unknown>)[name];
    if (!(m instanceof Module)) throw new RangeError(`ModuleDict.get: no module named '${name}'`);
    return m as M;
  }

  set(name: string, m: M): this {
    this.registerModule(name, m);
    return this;
  }

  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/** Reshapes dim `dim` into `sizes` (PyTorch's Unflatten). */
export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly sizes: readonly number[],
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    return x.reshape([...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
}
