/** `nt.nn.functional` (also `nt.F`): stateless layer functions and losses. */
export * from "./activation.js";
export * from "./linear.js";
export * from "./pad.js";
export * from "./loss.js";
export { embedding } from "./embedding.js";
export { conv1d, conv2d, convTranspose1d, convTranspose2d } from "./conv.js";
export type { ConvOptions, ConvTransposeOptions, ConvPadding } from "./conv.js";
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool2d } from "./pooling.js";
export type { MaxPoolOptions, AvgPoolOptions } from "./pooling.js";
export { batchNorm, layerNorm, groupNorm, instanceNorm } from "./normalization.js";
export type { BatchNormOptions } from "./normalization.js";
export { interpolate } from "./interpolate.js";
export type { InterpolateOptions, InterpolateMode } from "./interpolate.js";
export { scaledDotProductAttention } from "./attention.js";
export type { ScaledDotProductAttentionOptions } from "./attention.js";
