/// <reference types="@webgpu/types" />
import type { Backend } from "../backend.js";
import { loadGpu } from "./gpu-loader.js";
import { GpuContext, type KernelLimits } from "./gpu-context.js";
import { WebGPUBackend } from "./webgpu-backend.js";

export { WebGPUBackend, WebGPUBuffer } from "./webgpu-backend.js";
export type { PoolStats } from "./buffer-pool.js";
export type { DispatchStats } from "./gpu-context.js";

/** Dawn's `create()` results, kept reachable for as long as their devices live. */
const keepAlive = new Set<unknown>();

/**
 * Creates the WebGPU backend: finds the GPU (navigator.gpu, or the optional `webgpu` package in
 * Node), requests an adapter and a device with the adapter's own compute limits (so kernels are
 * sized from them), and `shader-f16` where offered. Throws a clear Error when there is no adapter.
 */
export async function createWebGPUBackend(): Promise<WebGPUBackend & Backend> {
  const handle = await loadGpu();
  const adapter = await handle.gpu.requestAdapter(handle.adapterOptions);
  if (!adapter) {
    throw new Error(
      `webgpu: no GPU adapter found via ${handle.source}` +
        (handle.source === "navigator.gpu"
          ? ""
          : " (on a machine without a GPU install Mesa's lavapipe: sudo bash tools/setup-webgpu-ci.sh, or set NEURITE_WEBGPU_BACKEND=opengles for llvmpipe)"),
    );
  }
  const al = adapter.limits;
  const wanted = [
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupSizeY",
    "maxComputeWorkgroupSizeZ",
    "maxComputeWorkgroupsPerDimension",
    "maxComputeWorkgroupStorageSize",
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxStorageBuffersPerShaderStage",
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of wanted) requiredLimits[k] = al[k];
  const requiredFeatures: GPUFeatureName[] = [];
  const hasF16 = adapter.features.has("shader-f16");
  if (hasF16) requiredFeatures.push("shader-f16");
  if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: "neurite" });
  const dl = device.limits;
  const limits: KernelLimits = {
    maxInvocations: dl.maxComputeInvocationsPerWorkgroup,
    maxSizeX: dl.maxComputeWorkgroupSizeX,
    maxSizeY: dl.maxComputeWorkgroupSizeY,
    maxWorkgroupsPerDim: dl.maxComputeWorkgroupsPerDimension,
    maxStorageBinding: Math.min(dl.maxStorageBufferBindingSize, dl.maxBufferSize),
    maxBufferSize: dl.maxBufferSize,
    maxSharedBytes: dl.maxComputeWorkgroupStorageSize,
    uniformAlign: dl.minUniformBufferOffsetAlignment,
    maxStorageBuffers: dl.maxStorageBuffersPerShaderStage,
  };
  const info = adapter.info;
  const description = `${info?.vendor || "?"} ${info?.architecture || ""} ${info?.device || ""} ${info?.description || ""}`.replace(/\s+/g, " ").trim() + ` via ${handle.source}`;
  const ctx = new GpuContext(device, limits, hasF16, description);
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const backend = new WebGPUBackend(ctx, { fusion: env["NEURITE_WEBGPU_FUSION"] !== "0" });
  if (handle.keepAlive) {
    keepAlive.add(handle.keepAlive);
    const dispose = backend.dispose.bind(backend);
    backend.dispose = async () => {
      await dispose();
      // Let Dawn finish tearing the device down before its instance may be collected.
      setTimeout(() => keepAlive.delete(handle.keepAlive), 0);
    };
  }
  return backend;
}
