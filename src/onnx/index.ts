export { exportModel, exportModelWithExternalData, DEFAULT_OPSET, type ExportOptions, type ExternalDataOptions, type DynamicAxes } from "./export.js";
export { save } from "./save.js";
export { describeModel, type OnnxValueSummary } from "./describe.js";
