import { addBackwardHook, addForwardHook, addForwardPreHook, type BackwardHook, type ForwardHook, type ForwardPreHook, type HookHandle } from "./hooks.js";
import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { shapeToString, shapesEqual } from "../tensor/shape.js";
import { readyBackend } from "../backend/registry.js";

/** Marks a tensor as a learnable parameter (requires grad, never freed by tidy). */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  t.keep();
  t.isParameter = true;
  t.requiresGrad = requiresGrad;
  return t;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of every layer. Children (Module fields) and parameters (fields holding an
 * `nn.Parameter`) are found by walking the instance's own fields in definition order, so
 * `stateDict()` keys are the field names joined by dots — PyTorch's names when fields are named
 * as in PyTorch. Buffers are registered explicitly with `registerBuffer`.
 */
export class Module {
  training = true;
  private readonly bufferNames = new Map<string, boolean>();

  /** Subclasses implement the computation. */
  forward(..._inputs: unknown[]): unknown {
    throw new Error(`${this.constructor.name}.forward is not implemented`);
  }

  /**
   * Calls `hook(module, inputs)` before every forward of this module; an array it returns
   * replaces the inputs. PyTorch's register_forward_pre_hook; `handle.remove()` unregisters.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): HookHandle {
    return addForwardPreHook(this, hook as ForwardPreHook);
  }

  /**
   * Calls `hook(module, inputs, output)` after every forward of this module (e.g. to record
   * activations); a value it returns replaces the output. PyTorch's register_forward_hook.
   */
  registerForwardHook(hook: ForwardHook<this>): HookHandle {
    return addForwardHook(this, hook as ForwardHook);
  }

  /**
   * Calls `hook(module, gradOutput, outputIndex)` during backward with the gradient of the loss
   * with respect to each tensor output of this module's forward calls made while the hook is
   * registered (PyTorch's register_full_backward_hook, grad_output only: for gradients with
   * respect to inputs, register the hook on the module before). The gradient is lent: read it,
   * do not dispose or keep it.
   */
  registerFullBackwardHook(hook: BackwardHook<this>): HookHandle {
    return addBackwardHook(this, hook as BackwardHook);
  }

  /** Sets a parameter field (for names computed at run time, like `weight_ih_l0`). */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    (this as unknown as Record<string, unknown>)[name] = t === null ? null : Parameter(t);
    return t;
  }

  /** Registers a tensor that is state but not a parameter (e.g. BatchNorm's running mean). */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    t?.keep();
    this.bufferNames.set(name, persistent);
    (this as unknown as Record<string, unknown>)[name] = t;
    return t;
  }

  registerModule<M extends Module>(name: string, m: M): M {
    (this as unknown as Record<string, unknown>)[name] = m;
    return m;
  }

  private fields(): [string, unknown][] {
    return Object.entries(this).filter(([k]) => k !== "bufferNames" && k !== "training");
  }

  namedChildren(): [string, Module][] {
    return this.fields().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, with dotted names ("" for this one). */
  namedModules(prefix = "", seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own parameter fields, including null placeholders (e.g. bias = null). */
  private ownParameters(): [string, Tensor][] {
    return this.fields().filter((e): e is [string, Tensor] => e[1] instanceof Tensor && e[1].isParameter && !this.bufferNames.has(e[0]));
  }

  private ownBuffers(persistentOnly: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, persistent] of this.bufferNames) {
      const t = (this as unknown as Record<string, unknown>)[name];
      if (t instanceof Tensor && (persistent || !persistentOnly)) out.push([name, t]);
    }
    return out;
  }

  /** Parameters with dotted names; shared parameters appear once (first name wins). */
  namedParameters(prefix = "", recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modName, m] of mods) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([modName ? `${modName}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    return mods.flatMap(([modName, m]) => m.ownBuffers(false).map(([n, b]): [string, Tensor] => [modName ? `${modName}.${n}` : n, b]));
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  /**
   * Parameters and persistent buffers by PyTorch's dotted names. Unlike `namedParameters`,
   * tied parameters appear under every name (as in PyTorch).
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string, seen: Set<Module>) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [k, v] of m.fields()) {
        if (v instanceof Tensor && v.isParameter && !m.bufferNames.has(k)) out.set(prefix + k, v);
      }
      for (const [k, b] of m.ownBuffers(true)) out.set(prefix + k, b);
      for (const [k, child] of m.namedChildren()) visit(child, `${prefix}${k}.`, seen);
    };
    visit(this, "", new Set());
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers (in place). With `strict`, missing
   * or unexpected keys are an error; shape mismatches always are. Dtypes are converted.
   */
  loadStateDict(stateDict: Map<string, Tensor> | Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    const { strict = true } = options;
    const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, target] of own) {
      const value = source.get(k);
      if (!value) continue;
      if (!shapesEqual(value.shape, target.shape)) {
        problems.push(`size mismatch for ${k}: copying a param with shape ${shapeToString(value.shape)} from checkpoint, the shape in current model is ${shapeToString(target.shape)}`);
      }
    }
    if (strict) {
      if (unexpectedKeys.length) problems.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
      if (missingKeys.length) problems.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
    }
    if (problems.length) {
      throw new Error(`loadStateDict: error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join("\n\t")}`);
    }
    noGrad(() => {
      for (const [k, target] of own) {
        const value = source.get(k);
        if (!value) continue;
        const moved = value.device === target.device ? value : value.to(target.device);
        target.copy_(moved);
        if (moved !== value) moved.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears gradients (sets them to null, freeing their memory, like PyTorch's default). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Moves parameters and buffers to another (initialised) backend, in place. */
  to(device: string): this {
    readyBackend(device, "Module.to");
    for (const m of this.modules()) {
      const record = m as unknown as Record<string, unknown>;
      for (const [k, v] of m.fields()) {
        if (v instanceof Tensor && v.device !== device && (v.isParameter || m.bufferNames.has(k))) {
          const moved = v.to(device).keep();
          moved.isParameter = v.isParameter;
          if (v.isParameter) moved.requiresGrad = v.requiresGrad;
          v.dispose();
          record[k] = moved;
        }
      }
    }
    return this;
  }

  /** Applies `fn` to every module (children first), as PyTorch's `apply`. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  /** Extra text for `toString`, e.g. `in_features=784, out_features=256`. */
  extraRepr(): string {
    return "";
  }

  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, "\n  ")}`).join("\n");
    return `${head}${this.extraRepr() ? "" : ""}\n${body}\n)`;
  }
}
