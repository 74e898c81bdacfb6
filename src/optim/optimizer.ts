import { Tensor } from "../tensor/tensor.js";
import { isFloat, itemSize } from "../tensor/dtype.js";
import type { Backend } from "../backend/backend.js";
import { OutOfMemoryError, formatBytes } from "../memory/out-of-memory.js";
import { shapeToString, shapesEqual } from "../tensor/shape.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import { copyJson, toCamel, toSnake, type JsonValue } from "./state-keys.js";

/** Hyper-parameters every optimizer has; each optimizer extends this with its own. */
export interface HyperParams {
  lr: number;
}

/** Keys learning-rate schedulers store in parameter groups (PyTorch's `initial_lr`, ...). */
export interface SchedulerGroupFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/**
 * A parameter group: its tensors and its own copy of every hyper-parameter, so schedulers (and
 * users) can change `lr` or `momentum` per group between steps. Extra keys are allowed, as in
 * PyTorch's group dicts.
 */
export type ParamGroup<O extends HyperParams = HyperParams> = O &
  SchedulerGroupFields & { params: Tensor[]; [key: string]: unknown };

/** What users pass for a group: the tensors, plus any hyper-parameters that differ from the defaults. */
export type ParamGroupInput<O extends HyperParams = HyperParams> = Partial<O> & {
  params: Tensor | Iterable<Tensor>;
  [key: string]: unknown;
};

export type StateValue = Tensor | number | null;
/** Per-parameter state of one optimizer (moment buffers, step counts). */
export type ParamState = Record<string, StateValue | undefined>;

/**
 * PyTorch's optimizer state dict: parameters are replaced by their position over all groups,
 * keys are PyTorch's snake_case names (`exp_avg`, `weight_decay`). Everything but the tensors
 * is plain JSON.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, StateValue>>;
  param_groups: Array<{ params: number[]; [key: string]: JsonValue }>;
}

/** Throws when an options object has a key the optimizer does not know (a typo would otherwise be ignored). */
export function checkOptionKeys(name: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}: unknown option '${key}' (known options: ${known.join(", ")})`);
    }
  }
}

/**
 * Base class of all optimizers, with PyTorch's semantics: parameter groups with their own
 * hyper-parameters, lazily created per-parameter state, `zeroGrad`, `step`, `stateDict`.
 *
 * `step()` runs without autograd and inside a `tidy`, replaces parameter and state contents in
 * place (`assign`), and keeps state tensors out of every tidy, so a training step leaves the
 * number of live tensors unchanged once the state exists. Call `dispose()` to free the state.
 */
export abstract class Optimizer<O extends HyperParams = HyperParams, S extends ParamState = ParamState> {
  readonly defaults: Readonly<Partial<O>>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first step. */
  readonly state = new Map<Tensor, S>();
  /** Number of `step()` calls; schedulers read it to warn when they are stepped first. */
  stepCount = 0;

  /**
   * @param name used in error messages (class names do not survive minification).
   * @param defaults hyper-parameters for groups that do not set their own; `lr` may be missing
   *   when every group sets it.
   */
  protected constructor(
    readonly name: string,
    params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>,
    defaults: Partial<O>,
  ) {
    this.defaults = Object.freeze(copyJson({ ...defaults }));
    if (params instanceof Tensor) {
      throw new TypeError(`${name}: params must be an array of tensors or of parameter groups, got a single Tensor; wrap it in [ ]`);
    }
    if (params === null || typeof params !== "object" || !(Symbol.iterator in params)) {
      throw new TypeError(`${name}: params must be an array of tensors or of parameter groups, got ${describe(params)}`);
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const group of groups) this.addParamGroup(group);
    this.checkMemoryLimit();
  }

  /**
   * State tensors the optimizer keeps per parameter of `group`, each the parameter's size (Adam:
   * 2; SGD with momentum: 1). Used to refuse up front what a backend cannot hold.
   */
  protected stateTensorsPerParam(_group: ParamGroup<O>): number {
    return 0;
  }

  /**
   * Refuses a model whose parameters, gradients and optimizer state exceed a backend's
   * `maxTotalBytes` (wasm's 4 GiB), before anything is allocated for training.
   */
  private checkMemoryLimit(): void {
    const need = new Map<Backend, number>();
    for (const group of this.paramGroups) {
      const copies = 2 + this.stateTensorsPerParam(group); // the parameter, its gradient, the state
      for (const p of group.params) {
        if (p.isDisposed) continue;
        const b = p.backend;
        need.set(b, (need.get(b) ?? 0) + p.numel() * itemSize(p.dtype) * (p.requiresGrad ? copies : 1));
      }
    }
    for (const [backend, bytes] of need) {
      if (backend.maxTotalBytes !== undefined && bytes > backend.maxTotalBytes) {
        throw new OutOfMemoryError(this.name, backend.name, `${formatBytes(bytes)} for the parameters, their gradients and the optimizer's state`,
          new Error(`more than the ${formatBytes(backend.maxTotalBytes)} that all tensors of the '${backend.name}' backend share (wasm32's 4 GiB memory); in Node, the native backend has no such limit`));
      }
    }
  }

  /** Validates one group's hyper-parameters; throws an error naming the optimizer and the value. */
  protected abstract checkHyperParams(group: O, where: string): void;

  /** Updates the parameters of one group that have a gradient (no autograd, inside a tidy). */
  protected abstract updateGroup(group: ParamGroup<O>, groupIndex: number): void;

  /** Adds a group (e.g. layers unfrozen while fine-tuning); unset hyper-parameters take the defaults. */
  addParamGroup(input: ParamGroupInput<O>): void {
    const where = `parameter group ${this.paramGroups.length}`;
    if (input === null || typeof input !== "object" || !("params" in input)) {
      throw new TypeError(`${this.name}: ${where} must be an object with a 'params' array, got ${describe(input)}`);
    }
    const raw = input.params;
    if (!(raw instanceof Tensor) && (raw === null || typeof raw !== "object" || !(Symbol.iterator in raw))) {
      throw new TypeError(`${this.name}: 'params' of ${where} must be a tensor or an array of tensors, got ${describe(raw)}`);
    }
    const params = raw instanceof Tensor ? [raw] : [...raw];
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      this.checkParam(p, `parameter ${i} of ${where}`);
      if (seen.has(p)) throw new Error(`${this.name}: parameter ${i} of ${where} appears twice in the group`);
      if (taken.has(p)) throw new Error(`${this.name}: parameter ${i} of ${where} already belongs to another parameter group`);
      seen.add(p);
    });
    const group: Record<string, unknown> = { ...input, params };
    for (const [key, value] of Object.entries(this.defaults)) {
      if (group[key] === undefined) group[key] = copyJson(value);
    }
    if (typeof group.lr !== "number") {
      throw new TypeError(`${this.name}: ${where} does not set lr and the optimizer has no default lr`);
    }
    this.checkHyperParams(group as unknown as O, where);
    this.paramGroups.push(group as ParamGroup<O>);
  }

  private checkParam(p: unknown, where: string): void {
    if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: can only optimize Tensors, but ${where} is ${describe(p)}`);
    if (p.isDisposed) throw new Error(`${this.name}: ${where} (shape ${shapeToString(p.shape)}) was already disposed`);
    if (!p.isLeaf) throw new Error(`${this.name}: can't optimize a non-leaf tensor (${where}, shape ${shapeToString(p.shape)}); optimize the leaf it was computed from`);
    // Frozen parameters (requiresGrad false) are accepted, as in PyTorch: they never get a
    // gradient, so step() skips them.
  }

  /**
   * Clears gradients. By default `.grad` becomes null and the old gradient tensor is disposed
   * (the optimizer's parameters own their gradients); with `setToNone: false` it is filled with 0.
   */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        if (setToNone) {
          p.grad = null;
          g.dispose();
        } else {
          noGrad(() => g.zero_());
        }
      }
    }
  }

  /**
   * One optimization step over every parameter that has a gradient. `closure`, when given,
   * recomputes the loss with gradients enabled before the update, and its result is returned.
   */
  step(): void;
  step<L>(closure: () => L): L;
  step<L>(closure?: () => L): L | undefined {
    let loss: L | undefined;
    if (closure) {
      loss = enableGrad(closure);
      if (loss instanceof Promise) {
        throw new TypeError(`${this.name}.step: the closure returned a Promise; closures must be synchronous (await the loss before calling step())`);
      }
    }
    noGrad(() =>
      tidy(() => {
        this.paramGroups.forEach((group, i) => this.updateGroup(group, i));
      }),
    );
    this.stepCount++;
    return loss;
  }

  /** The group's parameters that have a gradient, paired with it (PyTorch skips the others). */
  protected paramsWithGrad(group: ParamGroup<O>, groupIndex: number): Array<[Tensor, Tensor]> {
    const out: Array<[Tensor, Tensor]> = [];
    group.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      if (p.isDisposed) throw new Error(`${this.name}.step: parameter ${i} of parameter group ${groupIndex} was disposed`);
      if (!shapesEqual(g.shape, p.shape)) {
        throw new RangeError(`${this.name}.step: gradient of shape ${shapeToString(g.shape)} does not match parameter ${i} of parameter group ${groupIndex} (shape ${shapeToString(p.shape)})`);
      }
      out.push([p, g]);
    });
    return out;
  }

  /** The state of `p`, created by `init` on first use; its tensors are kept out of every tidy. */
  protected stateOf(p: Tensor, init: () => S): S {
    let s = this.state.get(p);
    if (!s) {
      s = init();
      for (const v of Object.values(s)) if (v instanceof Tensor) v.keep();
      this.state.set(p, s);
    }
    return s;
  }

  /** Adds a tensor to a state created earlier (a buffer an option switched on later needs). */
  protected setStateTensor<K extends keyof S & string>(s: S, key: K, value: Tensor): void {
    const old = s[key];
    (s as Record<string, StateValue | undefined>)[key] = value.keep();
    if (old instanceof Tensor && old !== value) old.dispose();
  }

  /**
   * The state in PyTorch's layout. Tensors are copies (created in the caller's tidy scope, or
   * disposed by the caller), so later steps do not change a saved state.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const packed: { params: number[]; [key: string]: JsonValue } = { params: [] };
      for (const [key, value] of Object.entries(group)) {
        if (key === "params" || value === undefined) continue;
        packed[toSnake(key)] = copyJson(value as JsonValue);
      }
      packed.params = group.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return packed;
    });
    const state: OptimizerStateDict["state"] = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        const packed: Record<string, StateValue> = {};
        for (const [key, value] of Object.entries(s)) {
          if (value === undefined) continue;
          packed[toSnake(key)] = value instanceof Tensor ? value.clone() : value;
        }
        state[String(i)] = packed;
      }
    });
    return { state, param_groups: paramGroups };
  }

  /**
   * Restores a state saved by `stateDict()` (or by PyTorch, once converted to this layout):
   * group hyper-parameters and per-parameter state. Tensors are copied to each parameter's
   * device (and floating dtype), so the given dict stays owned by the caller.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    const saved = stateDict?.param_groups;
    if (!Array.isArray(saved) || stateDict.state === null || typeof stateDict.state !== "object") {
      throw new TypeError(`${where}: expected an object with 'state' and 'param_groups' (as returned by stateDict())`);
    }
    if (saved.length !== this.paramGroups.length) {
      throw new RangeError(`${where}: the state dict has ${saved.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, gi) => {
      const own = this.paramGroups[gi]!.params;
      if (!Array.isArray(g.params) || g.params.length !== own.length) {
        throw new RangeError(`${where}: parameter group ${gi} has ${Array.isArray(g.params) ? g.params.length : "no"} parameters in the state dict, ${own.length} in the optimizer`);
      }
      g.params.forEach((id, i) => byIndex.set(id, own[i]!));
    });
    const groups = saved.map((g, gi) => {
      const group: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(g)) if (key !== "params") group[toCamel(key)] = copyJson(value);
      group.params = this.paramGroups[gi]!.params;
      this.checkHyperParams(group as unknown as O, `parameter group ${gi} of the state dict`);
      return group as ParamGroup<O>;
    });
    const state = new Map<Tensor, S>();
    try {
      for (const [id, entry] of Object.entries(stateDict.state)) {
        const p = byIndex.get(Number(id));
        if (!p) throw new RangeError(`${where}: state for parameter ${id}, which is in no parameter group`);
        state.set(p, this.unpackState(entry, p, `${where}: state of parameter ${id}`));
      }
    } catch (e) {
      for (const s of state.values()) disposeState(s);
      throw e;
    }
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
  }

  private unpackState(entry: Record<string, StateValue>, p: Tensor, where: string): S {
    const out: Record<string, StateValue> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value instanceof Tensor) {
        if (key === "step") {
          // PyTorch keeps Adam's step as a 0-d tensor; here it is a plain number.
          if (value.size !== 1) throw new RangeError(`${where}: 'step' must hold one value, got shape ${shapeToString(value.shape)}`);
          out.step = value.itemSync();
          continue;
        }
        if (!shapesEqual(value.shape, p.shape)) {
          throw new RangeError(`${where}: '${key}' has shape ${shapeToString(value.shape)}, the parameter has shape ${shapeToString(p.shape)}`);
        }
        out[toCamel(key)] = copyTensorLike(value, p);
      } else if (value === null || typeof value === "number") {
        out[toCamel(key)] = value;
      } else {
        throw new TypeError(`${where}: '${key}' must be a tensor, a number or null, got ${describe(value)}`);
      }
    }
    return out as S;
  }

  /** Frees the state tensors (moment buffers); the optimizer can still step and rebuilds them. */
  dispose(): void {
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** A kept copy of `value` on `like`'s device, cast to its floating dtype (as PyTorch's load does). */
function copyTensorLike(value: Tensor, like: Tensor): Tensor {
  return noGrad(() =>
    tidy(() => {
      let out = value.device === like.device ? value : value.to(like.device);
      if (isFloat(out.dtype) && isFloat(like.dtype) && out.dtype !== like.dtype) out = out.astype(like.dtype);
      return out === value ? value.clone() : out;
    }),
  ).keep();
}

function disposeState(s: ParamState): void {
  for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : `${typeof value} ${String(value)}`;
}
