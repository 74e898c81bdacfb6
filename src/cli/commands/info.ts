import os from "node:os";
import * as registry from "../../backend/registry.js";
import { getNumThreads, nativeDefaultRefusal } from "../../backend/register-all.js";
import { nativeStatus } from "../../backend/register-native.js";
import { parseCommandArgs, intOption } from "../args.js";

export const INFO_HELP = `neurite info [options]

Shows what neurite can use here: Node and V8 versions, CPU and threads, memory, the backends
available (and the default), WebAssembly SIMD/threads support, whether the native backend loads
(and why not), and the WebGPU adapter with its
limits and features when there is one.

Options:
  --timeout-ms N   how long to wait for a GPU adapter (default 5000)
  --json           print one JSON object

Example:
  neurite info --json`;

/** WebAssembly SIMD: validates a tiny module using a v128 instruction. */
function wasmSimd(): boolean {
  try {
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));
  } catch {
    return false;
  }
}

export interface GpuInfo {
  available: boolean;
  source?: string;
  adapter?: Record<string, string>;
  limits?: Record<string, number>;
  features?: string[];
  error?: string;
}

/** Asks for a WebGPU adapter (navigator.gpu, else the optional 'webgpu' package) without creating a device. */
export async function probeGpu(timeoutMs: number): Promise<GpuInfo> {
  const attempt = async (): Promise<GpuInfo> => {
    let gpu: GPU | undefined = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    let source = "navigator.gpu";
    if (!gpu) {
      try {
        const name = "webgpu";
        const mod = (await import(name)) as { create: (flags: string[]) => GPU };
        gpu = mod.create([]);
        source = "the 'webgpu' package (Dawn)";
      } catch (e) {
        return { available: false, error: `no WebGPU here (the optional 'webgpu' package did not load: ${(e as Error).message.split("\n")[0]})` };
      }
    }
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, source, error: `no GPU adapter found via ${source}` };
    // Older Dawn builds have no adapter.info.
    const info: GPUAdapterInfo | undefined = adapter.info;
    const adapterInfo: Record<string, string> = {};
    for (const k of ["vendor", "architecture", "device", "description"] as const) if (info?.[k]) adapterInfo[k] = String(info[k]);
    const limits: Record<string, number> = {};
    // The limits are getters on the prototype: for-in finds them, Object.entries does not.
    for (const k in adapter.limits) {
      const v: unknown = Reflect.get(adapter.limits, k);
      if (typeof v === "number") limits[k] = v;
    }
    return { available: true, source, adapter: adapterInfo, limits, features: [...adapter.features].map(String).sort() };
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<GpuInfo>((r) => {
    timer = setTimeout(() => r({ available: false, error: `no answer from the GPU within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([attempt().catch((e: Error) => ({ available: false, error: e.message.split("\n")[0] })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `neurite info` was asked to do. */
export type InfoRequest = { kind: "help" } | { kind: "info"; timeoutMs: number; json: boolean };

/** Parses `neurite info`'s argv; every option error is a UsageError. */
export function parseInfoArgs(argv: string[]): InfoRequest {
  const args = parseCommandArgs("info", argv, {
    "timeout-ms": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  return { kind: "info", timeoutMs: intOption("info", "timeout-ms", args.str("timeout-ms"), 5000, 1), json: args.flag("json") };
}

export async function infoCommand(argv: string[]): Promise<number> {
  const request = parseInfoArgs(argv);
  if (request.kind === "help") {
    console.log(INFO_HELP);
    return 0;
  }
  const { timeoutMs } = request;
  const cpus = os.cpus();
  const gpu = await probeGpu(timeoutMs);
  let wasmThreads: number | null = null;
  if (registry.backends().includes("wasm")) {
    try {
      const wasm = (await registry.initBackend("wasm")) as { threads?: number };
      wasmThreads = wasm.threads ?? getNumThreads();
    } catch {
      // not usable here: reported as null
    }
  }
  const native = await nativeStatus();
  const info = {
    neurite: "0.1.0",
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    threads: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    backends: registry.backends(),
    defaultBackend: registry.getBackend(),
    wasm: { simd: wasmSimd(), sharedMemory: typeof SharedArrayBuffer === "function", threads: wasmThreads },
    native,
    gpu,
  };
  if (request.json) {
    console.log(JSON.stringify(info));
    return 0;
  }
  const rows: [string, string][] = [
    ["neurite", info.neurite],
    ["node", `${info.node} (V8 ${info.v8})`],
    ["platform", info.platform],
    ["cpu", `${info.cpu}, ${info.cores} cores, ${info.threads} threads available`],
    ["memory", `${info.memoryGiB} GiB`],
    ["backends", `${info.backends.join(", ")} (default ${info.defaultBackend})`],
    ["wasm", `SIMD ${info.wasm.simd ? "yes" : "no"}, shared memory ${info.wasm.sharedMemory ? "yes" : "no"}, ${wasmThreads === null ? "backend unavailable" : `${wasmThreads} thread(s) (NEURITE_WASM_THREADS or --threads to change)`}`],
    ["native", native.available
      ? `loads (${native.threads} thread(s); ${native.blas}); ${info.defaultBackend === "native" ? "the default backend" : `not the default (${nativeDefaultRefusal ?? "NEURITE_BACKEND or --backend chose another"})`}`
      : `unavailable, wasm is used: ${native.reason}`],
    ["gpu", gpu.available ? `${Object.values(gpu.adapter ?? {}).filter(Boolean).join(" / ") || "adapter"} via ${gpu.source}` : `none (${gpu.error})`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(10)} ${v}`);
  if (gpu.available && gpu.limits) {
    console.log("gpu limits:");
    for (const [k, v] of Object.entries(gpu.limits)) console.log(`  ${k.padEnd(44)} ${v}`);
    if (gpu.features?.length) console.log(`gpu features: ${gpu.features.join(", ")}`);
  }
  return 0;
}
