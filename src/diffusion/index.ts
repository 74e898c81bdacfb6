/**
 * `nt.diffusion`: small composable pieces for DDPM/DDIM image generation.
 *
 *   const schedule = nt.diffusion.NoiseSchedule.create({ schedule: "cosine", timesteps: 1000 });
 *   const loss = nt.diffusion.diffusionLoss(unet, schedule, x0, { labels, nullLabel: 10 });
 *   const x = await nt.diffusion.sample(unet, schedule, { shape: [16, 1, 28, 28], sampler: "ddim", steps: 50 });
 *
 * The U-Net itself lives in models/unet.ts (and DDPM = U-Net + schedule in models/ddpm.ts).
 */
export { NoiseSchedule, linearBetaSchedule, cosineBetaSchedule } from "./schedule.js";
export type { BetaScheduleName, NoiseScheduleOptions } from "./schedule.js";
export { timestepEmbedding } from "./embedding.js";
export { TimestepEmbedder, ResBlock, AttentionBlock, Downsample, Upsample } from "./blocks.js";
export { qSample, predictX0, diffusionLoss, noisePredictionError, noisePredictionLoss, sampleTimesteps, extract } from "./process.js";
export type { Denoiser, DiffusionLossOptions } from "./process.js";
export { guidedEps, ddpmStep, ddimStep, ddimTimesteps, sample } from "./samplers.js";
export type { SamplerName, SampleOptions, StepOptions, GuidanceOptions } from "./samplers.js";
export { EMA } from "../train/ema.js";
export { makeGrid } from "./grid.js";
export { imageSetFromSplit, randomBatch } from "./data.js";
export type { ImageSet } from "./data.js";
export type { GridOptions } from "./grid.js";
export { fitGaussian, frechetDistance, traceSqrtProduct } from "./metrics/frechet.js";
export type { Gaussian } from "./metrics/frechet.js";
export { symmetricEigen, sqrtPsd } from "./metrics/linalg.js";
export { classify, summarizeConfidence, featureGaussian, splitSequentialClassifier } from "./metrics/classifier-score.js";
