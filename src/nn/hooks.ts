/**
 * Forward hooks on modules (PyTorch's register_forward_pre_hook / register_forward_hook).
 *
 * neurite modules call each other's `forward` directly (there is no `__call__`), so a module
 * with hooks gets a non-enumerable own `forward` that runs the hooks around its class's
 * forward; without hooks nothing changes. Non-enumerable keeps it out of the field walk that
 * finds children and parameters.
 */
import type { Module } from "./module.js";
import { Tensor } from "../tensor/tensor.js";

/** Runs before forward; returning an array replaces the inputs (a non-array: the single input). */
export type ForwardPreHook<M extends Module = Module> = (module: M, inputs: unknown[]) => unknown;
/** Runs after forward; returning something other than undefined replaces the output. */
export type ForwardHook<M extends Module = Module> = (module: M, inputs: unknown[], output: unknown) => unknown;

/**
 * Runs during backward with the gradient of the loss with respect to the module's output (one
 * call per tensor output that has a gradient), PyTorch's grad_output. The gradient is lent:
 * read it (e.g. `grad.normSync()` or `await grad.data()` copies), do not dispose or keep it.
 */
export type BackwardHook<M extends Module = Module> = (module: M, gradOutput: Tensor, outputIndex: number) => void;

/** Returned by the register methods: `remove()` unregisters the hook (PyTorch's RemovableHandle). */
export interface HookHandle {
  remove(): void;
}

interface Hooks {
  pre: ForwardPreHook[];
  post: ForwardHook[];
}

const registry = new WeakMap<Module, Hooks>();

function hooksOf(module: Module): Hooks {
  let h = registry.get(module);
  if (!h) {
    h = { pre: [], post: [] };
    registry.set(module, h);
    const hooks = h;
    const original = module.forward;
    Object.defineProperty(module, "forward", {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...inputs: unknown[]): unknown => {
        let args = inputs;
        for (const pre of [...hooks.pre]) {
          const r = pre(module, args);
          if (r !== undefined) args = Array.isArray(r) ? r : [r];
        }
        let out = original.apply(module, args);
        for (const post of [...hooks.post]) {
          const r = post(module, args, out);
          if (r !== undefined) out = r;
        }
        return out;
      },
    });
  }
  return h;
}

function handle<T>(list: T[], hook: T): HookHandle {
  list.push(hook);
  return {
    remove() {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

export function addForwardPreHook(module: Module, hook: ForwardPreHook): HookHandle {
  if (typeof hook !== "function") throw new TypeError(`registerForwardPreHook: expected a function, got ${typeof hook}`);
  return handle(hooksOf(module).pre, hook);
}

export function addForwardHook(module: Module, hook: ForwardHook): HookHandle {
  if (typeof hook !== "function") throw new TypeError(`registerForwardHook: expected a function, got ${typeof hook}`);
  return handle(hooksOf(module).post, hook);
}

/**
 * A backward hook: a forward hook that marks each tensor output's autograd node, so that the
 * engine calls `hook` with the gradient arriving at that output.
 */
export function addBackwardHook(module: Module, hook: BackwardHook): HookHandle {
  if (typeof hook !== "function") throw new TypeError(`registerFullBackwardHook: expected a function, got ${typeof hook}`);
  let active = true;
  const forward = addForwardHook(module, (_m, _inputs, output) => {
    const outs = output instanceof Tensor ? [output] : Array.isArray(output) ? output : [];
    outs.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.gradFn === null) return;
      const node = t.gradFn;
      (node.gradHooks ??= []).push((g) => {
        if (active) hook(module, g, i);
      });
    });
  });
  return {
    remove() {
      active = false;
      forward.remove();
    },
  };
}
