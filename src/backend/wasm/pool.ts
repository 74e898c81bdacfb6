/**
 * Worker threads for the wasm backend. Each worker instantiates the kernel module over the shared
 * memory, takes its own stack, and parks in the C `worker_main` loop (futex wait on the job word):
 * dispatching a parallel section is done entirely inside wasm by the calling thread. Workers are
 * unref'd in Node, so an idle pool never keeps the process alive; `shutdown()` ends them.
 */
import { isNode, nodeBuiltin } from "../../platform/node-builtins.js";

interface WorkerLike {
  terminate(): unknown;
}

// Evaluated as CommonJS or as a module depending on the parent's flags, so neither require nor
// import: getBuiltinModule works in both (and leaves no import of a Node built-in for bundlers).
const NODE_WORKER_SRC = `
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, stack, tid } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
inst.exports.__stack_pointer.value = stack;
parentPort.postMessage("ready");
inst.exports.worker_main(tid);
parentPort.postMessage("exit");
`;

const BROWSER_WORKER_SRC = `
self.onmessage = (e) => {
  const { module, memory, stack, tid } = e.data;
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  inst.exports.__stack_pointer.value = stack;
  self.postMessage("ready");
  inst.exports.worker_main(tid);
  self.postMessage("exit");
};
`;

export interface SpawnInfo {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Top of the stack region for this worker. */
  stack: number;
  tid: number;
}

type NodeWorkerCtor = new (src: string, opts: { eval: boolean; workerData: unknown }) => WorkerLike & {
  once(ev: string, cb: (v: unknown) => void): void;
  on(ev: string, cb: (v: unknown) => void): void;
  unref(): void;
};

let nodeWorkerCtor: NodeWorkerCtor | undefined;

async function loadNodeWorker(): Promise<NodeWorkerCtor> {
  if (!nodeWorkerCtor) {
    const wt = nodeBuiltin("worker_threads", "the wasm backend in Node");
    nodeWorkerCtor = wt.Worker as unknown as NodeWorkerCtor;
  }
  return nodeWorkerCtor;
}

export class WorkerPool {
  private readonly workers: WorkerLike[] = [];
  private closed = false;

  get size(): number {
    return this.workers.length;
  }

  /** Starts one worker; resolves once it has instantiated the module (it then parks in wasm). */
  async spawn(info: SpawnInfo): Promise<void> {
    if (this.closed) throw new Error("wasm backend: worker pool is shut down");
    if (isNode()) {
      const Worker = await loadNodeWorker();
      const w = new Worker(NODE_WORKER_SRC, { eval: true, workerData: info });
      this.workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.once("message", () => resolve());
        w.once("error", (e) => reject(e));
      });
      w.on("error", () => {});
      w.unref();
      return;
    }
    const blob = new Blob([BROWSER_WORKER_SRC], { type: "text/javascript" });
    const url = URL.createObjectURL(blob);
    const w = new Worker(url);
    this.workers.push(w);
    await new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      w.onerror = (e) => reject(new Error(`wasm backend: worker failed: ${e.message}`));
      w.postMessage(info);
    });
    URL.revokeObjectURL(url);
  }

  /** Terminates every worker (the C side must have been asked to shut down first). */
  async shutdown(): Promise<void> {
    this.closed = true;
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => Promise.resolve(w.terminate()).catch(() => {})));
  }
}
