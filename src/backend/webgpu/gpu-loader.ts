/// <reference types="@webgpu/types" />
/**
 * Finds a WebGPU implementation: the browser's `navigator.gpu`, or in Node the optional `webgpu`
 * package (Dawn), imported lazily so that browser bundles and users without it are unaffected.
 */

export interface GpuHandle {
  gpu: GPU;
  /** Dawn's `create()` result must stay referenced while its devices live (GC of it aborts). */
  keepAlive: unknown;
  /** Where the GPU object came from, for messages. */
  source: "navigator.gpu" | "webgpu (Dawn)";
  /** Adapter options Dawn's OpenGL ES path needs (compatibility feature level). */
  adapterOptions: GPURequestAdapterOptions;
}

/**
 * NEURITE_WEBGPU_BACKEND=vulkan|opengles picks Dawn's backend in Node (default: Dawn's choice);
 * opengles runs on stock Mesa (llvmpipe) through EGL with the compatibility feature level.
 */
export async function loadGpu(): Promise<GpuHandle> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, keepAlive: null, source: "navigator.gpu", adapterOptions: {} };
  const proc = (globalThis as { process?: { versions?: { node?: string }; env: Record<string, string | undefined> } }).process;
  if (!proc?.versions?.node) {
    throw new Error("webgpu: navigator.gpu is not available in this browser (WebGPU disabled or unsupported)");
  }
  // A variable module name keeps bundlers from resolving the Node-only package.
  const name = "webgpu";
  let mod: { create: (options: string[]) => GPU };
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (e) {
    throw new Error(`webgpu: the optional 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}; install it with npm install webgpu`);
  }
  const env = proc.env;
  const options: string[] = [];
  const adapterOptions: GPURequestAdapterOptions = {};
  const which = env["NEURITE_WEBGPU_BACKEND"];
  if (which) options.push(`backend=${which}`);
  if (which === "opengles" || which === "opengl") {
    env["EGL_PLATFORM"] ??= "surfaceless";
    (adapterOptions as { featureLevel?: string }).featureLevel = "compatibility";
  }
  const extra = env["NEURITE_WEBGPU_DAWN_OPTIONS"];
  if (extra) options.push(...extra.split(",").filter(Boolean));
  const created = mod.create(options);
  return { gpu: created, keepAlive: created, source: "webgpu (Dawn)", adapterOptions };
}
