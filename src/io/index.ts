/** `nt.io`: safetensors load/save and atomic writes. */
export { save, load, loadWithMetadata, toBytes, fromBytes } from "./safetensors.js";
export type { StateDict, SafetensorsSource } from "./safetensors.js";
export { writeFileAtomic } from "./atomic-write.js";
export { encodeSafetensors, decodeSafetensors } from "./safetensors-format.js";
