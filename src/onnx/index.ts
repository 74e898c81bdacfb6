export { exportModel, DEFAULT_OPSET, type ExportOptions, type DynamicAxes } from "./export.js";
export { save } from "./save.js";
export { describeModel, type OnnxValueSummary } from "./describe.js";
