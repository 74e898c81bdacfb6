/**
 * neurite: PyTorch for TypeScript.
 *
 *   import * as nt from "neurite";
 *   const x = nt.randn([4, 3], { requiresGrad: true });
 *   const loss = x.square().sum();
 *   loss.backward();
 */
export { Tensor, setLeakWarnings } from "./tensor/tensor.js";
export type { TensorLike, NestedArray } from "./tensor/tensor.js";
export type { DType } from "./tensor/dtype.js";
export { Generator, manualSeed, defaultGenerator } from "./tensor/random.js";
export {
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  fullLike,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  randperm,
  randLike,
  randnLike,
  cat,
  stack,
  where,
  triu,
  tril,
  matmul,
  bmm,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  exp,
  log,
  sqrt,
  abs,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  softmax,
  logSoftmax,
  logsumexp,
  sum,
  mean,
  split,
  chunk,
  flip,
  gather,
  indexSelect,
  clamp,
  erf,
  log1p,
  expm1,
  atan2,
  logit,
  hardswish,
  rsub,
  leakyRelu,
  gelu,
  silu,
  amax,
  amin,
  argmax,
  argmin,
  variance,
  std,
  prod,
  norm,
  reshape,
  permute,
  transpose,
  unsqueeze,
  squeeze,
  expand,
  flatten,
  narrow,
  pad,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  maskedFill,
  im2col,
  col2im,
  convolution,
  convolutionInputGrad,
  convolutionWeightGrad,
  scatterAdd,
  slice,
  unbind,
} from "./ops/index.js";
export type { TensorOptions, CreateOptions, RandomOptions, IndexSpec } from "./ops/index.js";
export { noGrad, enableGrad, isGradEnabled } from "./autograd/grad-mode.js";
export { setDetectAnomaly } from "./autograd/anomaly.js";
export { tidy, keep } from "./memory/tidy.js";
export { memory, dispose } from "./memory/memory.js";
export { OutOfMemoryError } from "./memory/out-of-memory.js";
export { setBackend, getBackend, backends, initBackend, registerBackend, disposeBackends } from "./backend/registry.js";
export { setNumThreads, getNumThreads } from "./backend/register-all.js";
export type { Backend, View, BackendBuffer } from "./backend/backend.js";
export * as autograd from "./autograd/index.js";
export * as nn from "./nn/index.js";
export * as F from "./nn/functional/index.js";
export * as io from "./io/index.js";
export * as onnx from "./onnx/index.js";
export * as data from "./data/index.js";
export * as optim from "./optim/index.js";
export * as train from "./train/index.js";
export * as diffusion from "./diffusion/index.js";
