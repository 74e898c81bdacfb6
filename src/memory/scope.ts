/**
 * `tidy` scopes. A scope collects every tensor handle created while it is active and disposes
 * the ones that are neither returned nor kept when it ends.
 *
 * In Node the active scope follows async continuations through AsyncLocalStorage, so
 * `await nt.tidy(async () => ...)` is safe even with other work interleaved. Where
 * AsyncLocalStorage does not exist (browsers) a plain stack is used: an async `tidy` then
 * also captures tensors created by unrelated concurrent tasks while it is pending.
 */

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

export class Scope {
  readonly tracked = new Set<Disposable>();
  /** Tensors created in this scope and then kept: their autograd graphs must stay alive. */
  readonly kept = new Set<Disposable>();
  constructor(readonly parent: Scope | null) {}
}

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

function makeAsyncLocalStorage(): AsyncLocalStorageLike<Scope | null> | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:async_hooks") as
    | { AsyncLocalStorage: new () => AsyncLocalStorageLike<Scope | null> }
    | undefined;
  return mod ? new mod.AsyncLocalStorage() : null;
}

const als = makeAsyncLocalStorage();
const stack: Scope[] = [];

export function currentScope(): Scope | null {
  if (als) return als.getStore() ?? null;
  return stack.length ? stack[stack.length - 1]! : null;
}

export function track(t: Disposable): void {
  currentScope()?.tracked.add(t);
}

/** Removes `t` from every enclosing scope so no tidy disposes it. */
export function untrack(t: Disposable): void {
  for (let s = currentScope(); s; s = s.parent) {
    if (s.tracked.delete(t)) s.kept.add(t);
  }
}

/**
 * Runs `fn` with `scope` active. With the stack fallback, an async `fn` keeps its scope on the
 * stack until `exitScope` is called once its promise settles.
 */
export function enterScope<R>(scope: Scope, fn: () => R): R {
  if (als) return als.run(scope, fn);
  stack.push(scope);
  return fn();
}

export function exitScope(scope: Scope): void {
  if (als) return;
  const i = stack.lastIndexOf(scope);
  if (i >= 0) stack.splice(i, 1);
}
