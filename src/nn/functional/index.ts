/** `nt.nn.functional` (also `nt.F`): stateless layer functions and losses. */
export * from "./activation.js";
export * from "./linear.js";
export * from "./pad.js";
export * from "./loss.js";
export { embedding } from "./embedding.js";
