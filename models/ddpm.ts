/**
 * DDPM = a noise-prediction U-Net + a noise schedule, as a Module that `fit` trains like any
 * other model: `forward(images, labels)` takes a batch of clean images in [0, 1] (what every image
 * model here takes; the diffusion itself runs in [-1, 1]) and their class labels, and returns the
 * ε-prediction error for random timesteps and noise (drawn from the global generator, so seeds and
 * resumes reproduce them); `noisePredictionLoss` squares it:
 *
 *   await nt.train.fit(ddpm, { train, optimizer, epochs, loss: noisePredictionLoss,
 *     forward: (m, x, y) => m.forward(x, y), metrics: [], callbacks: [new EmaCallback(ddpm)] });
 *   const x = await ddpm.sample({ n: 16, sampler: "ddim", steps: 50, labels: [7, ...], guidanceScale: 3 });
 *
 * Its stateDict is the U-Net's under "unet." (what `neurite train --model ddpm` checkpoints). A
 * sampling model can also travel as one file (the browser playground's asset): the U-Net's
 * weights with metadata `{"format": "neurite-ddpm", "config": <DdpmConfig JSON>}`, written by
 * `save` and read by `DDPM.fromSafetensors` / `DDPM.load`.
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { save, loadWithMetadata, type SafetensorsSource } from "../src/io/safetensors.js";
import { NoiseSchedule, type NoiseScheduleOptions } from "../src/diffusion/schedule.js";
import { sample, type SampleOptions } from "../src/diffusion/samplers.js";
import { noisePredictionError } from "../src/diffusion/process.js";
import { Module } from "../src/nn/module.js";
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

export class DDPM extends Module {
  readonly unet: UNet;
  readonly schedule: NoiseSchedule;
  /** Probability of training a sample with the null label (classifier-free guidance; default 0.1). */
  readonly pUncond: number;

  constructor(
    readonly config: DdpmConfig,
    options: { pUncond?: number } = {},
  ) {
    super();
    this.unet = new UNet(config.unet);
    this.schedule = NoiseSchedule.create(config.schedule);
    this.pUncond = options.pUncond ?? 0.1;
    if (!(this.pUncond >= 0 && this.pUncond <= 1)) throw new RangeError(`DDPM: pUncond must lie in [0, 1], got ${this.pUncond}`);
  }

  /**
   * The training objective's forward pass: clean images [B, C, H, W] in [0, 1] and their labels
   * [B] int32 (ignored by an unconditional model) → ε_θ(x_t, t, y) - ε for random t and ε. In
   * training mode a fraction pUncond of the labels is replaced by the null label (classifier-free
   * guidance); in eval mode none is, so validation measures the conditional prediction.
   */
  override forward(images: Tensor, labels?: Tensor | null): Tensor {
    const c = this.config.unet;
    const want = [c.inChannels, c.imageSize, c.imageSize];
    if (images.ndim !== 4 || images.shape.slice(1).some((d, i) => d !== want[i])) {
      throw new RangeError(`DDPM.forward: expected images [B, ${want.join(", ")}] in [0, 1], got [${images.shape.join(", ")}]`);
    }
    const conditional = c.numClasses > 0 && labels != null;
    return noisePredictionError(this.unet, this.schedule, images.mul(2).sub(1), {
      labels: conditional ? labels : null,
      pUncond: this.training ? this.pUncond : 0,
      ...(conditional ? { nullLabel: c.numClasses } : {}),
    });
  }

  static preset(name: string, overrides: { unet?: Partial<UNetConfig>; schedule?: Partial<DdpmConfig["schedule"]>; pUncond?: number } = {}): DDPM {
    const p = DDPM_PRESETS[name];
    if (!p) throw new RangeError(`DDPM: unknown preset '${name}' (choose one of: ${Object.keys(DDPM_PRESETS).join(", ")})`);
    return new DDPM({ unet: unetConfig({ ...p.unet, ...overrides.unet }), schedule: { ...p.schedule, ...overrides.schedule } }, overrides.pUncond !== undefined ? { pUncond: overrides.pUncond } : {});
  }

  get numClasses(): number {
    return this.config.unet.numClasses;
  }

  /** Saves `weights` (default: the U-Net's own) with the config in the metadata: the one-file sampling model. */
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
