/**
 * `nt.autograd`: the functional gradient API (PyTorch's torch.autograd) and anomaly detection.
 */
export { grad } from "./engine.js";
export type { BackwardOptions, GradOptions } from "./engine.js";
export { setDetectAnomaly, AnomalyError } from "./anomaly.js";
