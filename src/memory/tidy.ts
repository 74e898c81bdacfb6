import { Tensor } from "../tensor/tensor.js";
import type { GradNode } from "../autograd/node.js";
import { enterScope, exitScope, Scope, currentScope } from "./scope.js";

/** Collects the tensors reachable from a tidy's return value (arrays, Maps, plain objects). */
function collectResult(value: unknown, out: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectResult(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectResult(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectResult(v, out, seen);
  }
}

/** Autograd nodes reachable from the given tensors. */
function reachableNodes(roots: Iterable<Tensor>): Set<GradNode> {
  const seen = new Set<GradNode>();
  const stack: GradNode[] = [];
  for (const t of roots) if (t.gradFn && !seen.has(t.gradFn)) stack.push(t.gradFn), seen.add(t.gradFn);
  while (stack.length) {
    for (const p of stack.pop()!.parents) {
      if (p.gradFn && !seen.has(p.gradFn)) {
        seen.add(p.gradFn);
        stack.push(p.gradFn);
      }
    }
  }
  return seen;
}

function finish<R>(scope: Scope, result: R): R {
  exitScope(scope);
  const keep = new Set<Tensor>();
  collectResult(result, keep);
  // Graph nodes that no surviving tensor can reach would otherwise hold their saved tensors
  // until garbage collection (e.g. a forward pass run without noGrad whose output is dropped).
  // Handles autograd saved for gradient rules do not count: they are alive because their node is.
  const survivors = [...keep, ...[...scope.kept].filter((t): t is Tensor => t instanceof Tensor && !t.isDisposed && t.savedFrom === null)];
  const live = reachableNodes(survivors);
  for (const t of scope.tracked) {
    if (keep.has(t as Tensor)) {
      scope.parent?.tracked.add(t);
    } else {
      const node = (t as Tensor).gradFn;
      if (node && !live.has(node)) node.release();
      t.dispose();
    }
  }
  for (const t of scope.kept) scope.parent?.kept.add(t);
  scope.tracked.clear();
  scope.kept.clear();
  return result;
}

/**
 * Runs `fn` and disposes every tensor created inside it except the ones it returns (which move
 * to the enclosing scope) and the ones marked with `keep()`. Works with async functions: the
 * scope stays open across `await`s until the returned promise settles.
 */
export function tidy<R>(fn: () => R): R {
  const scope = new Scope(currentScope());
  let result: R;
  try {
    result = enterScope(scope, fn);
  } catch (e) {
    finish(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => finish(scope, v),
      (e) => {
        finish(scope, undefined);
        throw e;
      },
    ) as R;
  }
  return finish(scope, result);
}

/** Exempts tensors from every enclosing tidy. */
export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}
