import type { Backend } from "./backend.js";
import { CpuBackend } from "./cpu/cpu-backend.js";

type Factory = () => Promise<Backend>;

const factories = new Map<string, Factory>();
const ready = new Map<string, Backend>();
let current: Backend;

/** Makes a backend known by name; it is created on first use. */
export function registerBackend(name: string, factory: Factory): void {
  factories.set(name, factory);
}

const cpu = new CpuBackend();
ready.set("cpu", cpu);
current = cpu;
registerBackend("cpu", async () => cpu);

/** Initialises (once) and returns the named backend. */
export async function initBackend(name: string): Promise<Backend> {
  const existing = ready.get(name);
  if (existing) return existing;
  const factory = factories.get(name);
  if (!factory) {
    throw new Error(`setBackend: unknown backend '${name}' (available: ${[...factories.keys()].join(", ")})`);
  }
  const backend = await factory();
  ready.set(name, backend);
  return backend;
}

/** A switch to a backend that is still initialising (setBackend called, not yet awaited). */
let pending: string | null = null;

/**
 * Selects the backend new tensors are created on. An initialised backend is selected at once;
 * another is initialised first, and until then creating a tensor throws (a forgotten `await`
 * would otherwise silently keep computing on the old backend).
 */
export async function setBackend(name: string): Promise<void> {
  const existing = ready.get(name);
  if (existing) {
    current = existing;
    return;
  }
  pending = name;
  try {
    current = await initBackend(name);
  } finally {
    if (pending === name) pending = null;
  }
}

export function getBackend(): string {
  return current.name;
}

/** The selected backend; throws while a setBackend switch is still initialising. */
export function currentBackend(): Backend {
  if (pending !== null) {
    throw new Error(`setBackend("${pending}") has not finished initialising the backend; await it (await nt.setBackend("${pending}")) before creating tensors`);
  }
  return current;
}

/** A backend that has already been initialised, or an error telling how to initialise it. */
export function readyBackend(name: string, op: string): Backend {
  const b = ready.get(name);
  if (!b) {
    if (factories.has(name)) throw new Error(`${op}: backend '${name}' is not initialised yet; call await nt.setBackend("${name}") or await nt.initBackend("${name}") first`);
    throw new Error(`${op}: unknown backend '${name}' (available: ${[...factories.keys()].join(", ")})`);
  }
  return b;
}

/** The backends initialised so far, by name. */
export function readyBackends(): ReadonlyMap<string, Backend> {
  return ready;
}

/** Names of the registered backends. */
export function backends(): string[] {
  return [...factories.keys()];
}

/** Shuts down every initialised backend that holds threads or devices. */
export async function disposeBackends(): Promise<void> {
  for (const b of ready.values()) await b.dispose?.();
}
