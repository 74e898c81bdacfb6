/** `nt.diffusion` in Node: everything browsers get, plus sample grids written as PNG files. */
export * from "./index.js";
export { saveImageGrid } from "./grid-png.js";
export { SampleGridCallback } from "./sample-grids.js";
export type { SampleGridOptions } from "./sample-grids.js";
