/** `nt.data` in Node: the browser-safe readers plus PNG files through pngjs. */
export * from "./index.js";
export { decodePng, encodePng } from "./png.js";
