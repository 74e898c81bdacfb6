/** The frontend op library: everything Tensor methods and `nt.*` functions call. */
export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./movement.js";
export * from "./linalg.js";
export * from "./indexing.js";
export * from "./convolution.js";
export * from "./creation.js";
export * from "./composite.js";
export * from "./inplace.js";
export { backward } from "../autograd/engine.js";
