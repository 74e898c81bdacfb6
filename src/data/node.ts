/** `nt.data` in Node: the browser-safe readers plus PNG files through pngjs. */
export * from "./index.js";
export { decodePng, encodePng } from "./png.js";
export { loadImageFolder, imageFolderDataset, readImageFile, listImageFolder, ImageFolderError } from "./image-folder.js";
export type { ImageFolderOptions, ImageFolderData } from "./image-folder.js";
export { readTable, tableDataset } from "./tabular.js";
