/**
 * DDPM = a noise-prediction U-Net + a noise schedule, with presets and a checkpoint format.
 *
 * Checkpoint: one safetensors file of U-Net weights (the EMA weights when saved by training),
 * with metadata `{"format": "neurite-ddpm", "config": <DdpmConfig JSON>}`, so
 * `DDPM.load(path)` rebuilds the model without extra flags.
 *
 *   const ddpm = await DDPM.load("runs/ddpm/model.safetensors");
 *   const x = await ddpm.sample({ n: 16, sampler: "ddim", steps: 50, labels: [7, ...], guidanceScale: 3 });
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { save, loadWithMetadata, type SafetensorsSource } from "../src/io/safetensors.js";
import { NoiseSchedule, type NoiseScheduleOptions } from "../src/diffusion/schedule.js";
import { sample, type SampleOptions } from "../src/diffusion/samplers.js";
import { UNet, unetConfig, type UNetConfig } from "./unet.js";
import { nodeBuiltin } from "../src/platform/node-builtins.js";

export interface DdpmConfig {
  unet: UNetConfig;
  schedule: Required<Pick<NoiseScheduleOptions, "schedule" | "timesteps">> & Pick<NoiseScheduleOptions, "betaStart" | "betaEnd">;
}

/**
 * Presets. "fashion-mnist" is the documented recipe's model: the image is folded 2×2 into
 * 4 channels (28 → 14), then levels at 14×14 (32 ch) and 7×7 (64 ch, self-attention), one
 * ResBlock per level, class-conditional (10 classes + null) for classifier-free guidance.
 * "fashion-mnist-28" is the plain 28 → 14 → 7 U-Net (3× the compute). "tiny" is for tests.
 */
export const DDPM_PRESETS: Record<string, DdpmConfig> = {
  "fashion-mnist": {
    unet: unetConfig({ imageSize: 28, baseChannels: 32, channelMult: [1, 2], numResBlocks: 1, attentionLevels: [1], numClasses: 10, patchSize: 2 }),
    schedule: { schedule: "cosine", timesteps: 1000 },
  },
  "fashion-mnist-28": {
    unet: unetConfig({ imageSize: 28, baseChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionLevels: [2], numClasses: 10 }),
    schedule: { schedule: "cosine", timesteps: 1000 },
  },
  tiny: {
    unet: unetConfig({ imageSize: 8, baseChannels: 8, channelMult: [1, 2], numResBlocks: 1, attentionLevels: [1], numHeads: 2, numClasses: 3, groups: 4 }),
    schedule: { schedule: "linear", timesteps: 100 },
  },
};

export class DDPM {
  readonly unet: UNet;
  readonly schedule: NoiseSchedule;

  constructor(readonly config: DdpmConfig) {
    this.unet = new UNet(config.unet);
    this.schedule = NoiseSchedule.create(config.schedule);
  }

  static preset(name: string, overrides: { unet?: Partial<UNetConfig>; schedule?: Partial<DdpmConfig["schedule"]> } = {}): DDPM {
    const p = DDPM_PRESETS[name];
    if (!p) throw new RangeError(`DDPM: unknown preset '${name}' (choose one of: ${Object.keys(DDPM_PRESETS).join(", ")})`);
    return new DDPM({ unet: unetConfig({ ...p.unet, ...overrides.unet }), schedule: { ...p.schedule, ...overrides.schedule } });
  }

  get numClasses(): number {
    return this.config.unet.numClasses;
  }

  /** Saves `weights` (default: the U-Net's own) with the config in the metadata. */
  async save(path: string, weights: Map<string, Tensor> = this.unet.stateDict(), extra: Record<string, string> = {}): Promise<void> {
    await save(weights, path, { ...extra, format: "neurite-ddpm", config: JSON.stringify(this.config) });
  }

  /** Loads a checkpoint file, or a run folder holding model.safetensors (Node). */
  static async load(path: string, options: { device?: string } = {}): Promise<DDPM> {
    const { stat } = nodeBuiltin("fs/promises", "loading a ddpm checkpoint from a path", "in a browser pass the file's bytes to DDPM.fromSafetensors");
    if ((await stat(path).catch(() => null))?.isDirectory()) path = `${path.replace(/\/+$/, "")}/model.safetensors`;
    return DDPM.fromSafetensors(path, options);
  }

  /** Loads a checkpoint from anything `io.load` reads: bytes, a Blob/File, a Response, a URL or a path. */
  static async fromSafetensors(source: SafetensorsSource, options: { device?: string } = {}): Promise<DDPM> {
    const { tensors, metadata } = await loadWithMetadata(source, options);
    const name = typeof source === "string" ? source : source instanceof URL ? source.href : "the checkpoint";
    try {
      if (metadata.format !== "neurite-ddpm" || !metadata.config) {
        throw new Error(`DDPM: ${name} is not a neurite DDPM checkpoint (no 'neurite-ddpm' metadata)`);
      }
      const ddpm = new DDPM(JSON.parse(metadata.config) as DdpmConfig);
      ddpm.unet.loadStateDict(tensors);
      ddpm.unet.eval();
      return ddpm;
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
  }

  /** n samples in [-1, 1]; `labels` (length n) picks classes for a class-conditional model. */
  async sample(options: Omit<SampleOptions, "shape" | "nullLabel"> & { n: number }): Promise<Tensor> {
    const c = this.config.unet;
    const { n, ...rest } = options;
    return sample(this.unet, this.schedule, {
      ...rest,
      shape: [n, c.inChannels, c.imageSize, c.imageSize],
      ...(c.numClasses > 0 ? { nullLabel: c.numClasses } : {}),
    });
  }
}
