/** `nt.data`: datasets, the DataLoader and file readers. */
export { Dataset, TensorDataset, Subset } from "./dataset.js";
export type { Sample } from "./dataset.js";
export { DataLoader } from "./dataloader.js";
export type { DataLoaderOptions, DataLoaderState } from "./dataloader.js";
export { parseIdx, parseIdxAsync, readIdxFile } from "./idx.js";
export { loadFashionMnist, findFashionMnistDir, bundledFashionMnistDir, CLASS_NAMES as FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export { parseCsv } from "./csv.js";
export { readTextFile } from "./text.js";
export { fashionMnistTensors, fashionMnistDataset } from "./fashion-mnist-tensors.js";
export { readPixels, fromPixels, decodeImage, toGrayscale, prepareFashionMnistImage } from "./image.js";
export type { Image, ImageChannels, PixelSource } from "./image.js";
export type { IdxArray, IdxData } from "./idx.js";
export type { FashionMnistSplit, FashionMnist } from "./fashion-mnist.js";
