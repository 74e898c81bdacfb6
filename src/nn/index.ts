/** `nt.nn`: modules, layers, initialisation and functional ops. */
export { Module, Parameter } from "./module.js";
export type { LoadResult } from "./module.js";
export { Linear, Identity } from "./layers/linear.js";
export { ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, ELU, Softplus, Softmax, LogSoftmax, Dropout } from "./layers/activation.js";
export { Sequential, ModuleList, ModuleDict, Flatten, Unflatten } from "./layers/container.js";
export { Embedding } from "./layers/embedding.js";
export * as init from "./init.js";
export * as functional from "./functional/index.js";
export * as utils from "./utils.js";
