/** `nt.train` in Node: the browser-safe loop plus the report renderer (vega, resvg). */
export * from "./index.js";
export { writeReport, renderSvg, svgToPng, confusionMatrix, sparkline, ReportRendererMissingError } from "./report.js";
export type { ReportInput, ReportFiles, MisclassifiedImage } from "./report.js";
