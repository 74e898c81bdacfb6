import type { Storage } from "./storage.js";

/** What is released when the garbage collector reclaims a handle that was never disposed. */
export interface Finalizable {
  storage: Storage;
}

/** A handle the safety net watches (a Tensor). */
export interface Watched {
  /** The reference to release if the GC reclaims the handle; null once it was disposed. */
  finalizable(): Finalizable | null;
}

/** Handles waiting to be registered; past this many, they are registered at once. */
const MAX_PENDING = 1024;

/**
 * The garbage-collector safety net for tensor handles that are never disposed, registered
 * lazily. A FinalizationRegistry register/unregister pair costs more than a whole small op,
 * and most handles (an op's intermediates, outputs disposed by `tidy`) are disposed within the
 * synchronous stretch of code that made them. So a new handle waits in a list until the next
 * microtask (or until MAX_PENDING are waiting), and only the handles still alive then are
 * registered. Nothing is lost by the wait: the list holds the handles strongly, so none can be
 * collected before it is registered, and finalization callbacks only ever run in a later task,
 * after the microtask that registers them.
 */
export class HandleFinalizer {
  private readonly registry: FinalizationRegistry<Finalizable>;
  private pending: Watched[] = [];
  private scheduled = false;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(onReclaim: (held: Finalizable) => void) {
    this.registry = new FinalizationRegistry(onReclaim);
  }

  watch(handle: Watched): void {
    const n = this.pending.push(handle);
    if (n >= MAX_PENDING) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushLater);
    }
  }

  /** Stops watching a disposed handle (cheap when it was never registered). */
  unwatch(handle: Watched): void {
    this.registry.unregister(handle);
  }

  /** Registers the waiting handles that are still alive. */
  flush(): void {
    const list = this.pending;
    if (list.length === 0) return;
    this.pending = [];
    for (const h of list) {
      const held = h.finalizable();
      if (held) this.registry.register(h, held, h);
    }
  }
}
