/**
 * Whether operations record the autograd graph. Like `tidy`, the setting follows async
 * continuations through AsyncLocalStorage in Node.
 */
interface Als {
  getStore(): boolean | undefined;
  run<R>(store: boolean, fn: () => R): R;
}

const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const hooks = proc?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage: new () => Als } | undefined;
const als: Als | null = hooks ? new hooks.AsyncLocalStorage() : null;
let globalEnabled = true;

export function isGradEnabled(): boolean {
  if (als) return als.getStore() ?? globalEnabled;
  return globalEnabled;
}

function withGradMode<R>(enabled: boolean, fn: () => R): R {
  if (als) return als.run(enabled, fn);
  const prev = globalEnabled;
  globalEnabled = enabled;
  let result: R;
  try {
    result = fn();
  } catch (e) {
    globalEnabled = prev;
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      globalEnabled = prev;
    }) as R;
  }
  globalEnabled = prev;
  return result;
}

/** Runs `fn` (sync or async) without recording gradients. */
export function noGrad<R>(fn: () => R): R {
  return withGradMode(false, fn);
}

export function enableGrad<R>(fn: () => R): R {
  return withGradMode(true, fn);
}
