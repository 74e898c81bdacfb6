/**
 * Training reports: `report.html` (self-contained: inline SVG charts and data-URI images, no
 * scripts, opens offline) plus each chart as SVG (for papers) and PNG (for terminals and
 * slides). Charts are Vega-Lite specs rendered to SVG in Node by Vega's headless renderer, and
 * SVG is rasterised to PNG by resvg. Node only; both libraries are loaded lazily.
 */
import type { EpochInfo, StepRecord } from "./loop-types.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

export interface MisclassifiedImage {
  /** 8-bit grayscale pixels, `width * height`. */
  pixels: Uint8Array;
  width: number;
  height: number;
  label: string;
  predicted: string;
  confidence: number;
  index: number;
}

/**
 * What a report shows. A `fit()` result is one as it is (`await writeReport("runs/x", result)`):
 * the title, configuration and summary are optional, the summary then taken from the history.
 */
export interface ReportInput {
  /** Default "neurite training report". */
  title?: string;
  /** Shown as a table: model, data, optimizer, seed, ... (default: none). */
  config?: Record<string, unknown>;
  /** Headline numbers: test accuracy, throughput, ... (default: from the last epoch of `history`). */
  summary?: Record<string, string | number>;
  /** A fit() result's stop reason, shown in the default summary. */
  stopReason?: string;
  history: EpochInfo[];
  steps: StepRecord[];
  confusion?: { classNames: string[]; matrix: number[][] };
  misclassified?: MisclassifiedImage[];
  /** Extra preformatted text (e.g. generated samples of a language model). */
  text?: { title: string; body: string };
}

export interface ReportFiles {
  html: string;
  svg: string[];
  png: string[];
  warnings: string[];
}

type VegaLiteSpec = Record<string, unknown>;

const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const baseConfig = { font: FONT, view: { stroke: "#ddd" }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 } };

/** A chart package is missing: they are optional dependencies (`npm install --omit=optional`). */
export class ReportRendererMissingError extends Error {
  constructor(readonly packageName: string, cause: unknown) {
    super(`the optional package '${packageName}' is not installed (npm install ${packageName}); ${(cause as Error).message.split("\n")[0]}`);
    this.name = "ReportRendererMissingError";
  }
}

async function importOptional<T>(load: () => Promise<T>, packageName: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new ReportRendererMissingError(packageName, e);
  }
}

/** Vega-Lite spec → SVG string (Vega's headless renderer). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = await importOptional(() => import("vega"), "vega");
  const { compile } = await importOptional(() => import("vega-lite"), "vega-lite");
  const compiled = compile({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", config: baseConfig, background: "white", ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG → PNG (resvg, system fonts). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await importOptional(() => import("@resvg/resvg-js"), "@resvg/resvg-js");
  const r = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: scale }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } });
  return r.render().asPng();
}

export function lineChart(options: { title: string; data: Record<string, unknown>[]; x: string; xTitle: string; y: string; yTitle: string; series?: string; logY?: boolean; points?: boolean }): VegaLiteSpec {
  return {
    title: options.title,
    width: 390,
    height: 210,
    data: { values: options.data },
    mark: { type: "line", point: options.points ?? false, tooltip: true },
    encoding: {
      x: { field: options.x, type: "quantitative", title: options.xTitle, axis: { tickMinStep: options.x === "epoch" ? 1 : undefined } },
      y: { field: options.y, type: "quantitative", title: options.yTitle, scale: { zero: false, ...(options.logY ? { type: "log" } : {}) } },
      ...(options.series ? { color: { field: options.series, type: "nominal", title: null, sort: ["train", "test", "batch"] } } : {}),
    },
  };
}

export function confusionChart(classNames: string[], matrix: number[][]): VegaLiteSpec {
  const values: Record<string, unknown>[] = [];
  matrix.forEach((row, t) => row.forEach((count, p) => values.push({ actual: classNames[t], predicted: classNames[p], count })));
  const enc = { x: { field: "predicted", type: "ordinal", sort: classNames, title: "predicted" }, y: { field: "actual", type: "ordinal", sort: classNames, title: "actual" } };
  return {
    title: "Confusion matrix (test set)",
    data: { values },
    width: 420,
    height: 420,
    encoding: enc,
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues" }, title: "images" } } },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: `datum.count > ${Math.max(1, Math.max(...matrix.flat()) / 2)}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}

/** The chart specs a run produces, by file stem. */
export function reportCharts(input: ReportInput): Record<string, VegaLiteSpec> {
  const charts: Record<string, VegaLiteSpec> = {};
  const epochLoss: Record<string, unknown>[] = [];
  const epochAcc: Record<string, unknown>[] = [];
  for (const h of input.history) {
    epochLoss.push({ epoch: h.epoch, loss: h.trainLoss, split: "train" });
    if (h.val) epochLoss.push({ epoch: h.epoch, loss: h.val.loss, split: "test" });
    if (Number.isFinite(h.trainAccuracy)) epochAcc.push({ epoch: h.epoch, accuracy: h.trainAccuracy, split: "train" });
    if (h.val && Number.isFinite(h.val.accuracy)) epochAcc.push({ epoch: h.epoch, accuracy: h.val.accuracy, split: "test" });
  }
  if (epochLoss.length) charts["loss"] = lineChart({ title: "Loss per epoch", data: epochLoss, x: "epoch", xTitle: "epoch", y: "loss", yTitle: "loss", series: "split", points: true });
  if (epochAcc.length) charts["accuracy"] = lineChart({ title: "Accuracy per epoch", data: epochAcc, x: "epoch", xTitle: "epoch", y: "accuracy", yTitle: "accuracy", series: "split", points: true });
  if (input.steps.length) {
    // Per batch, plus a moving average over ~2% of the run to show the trend through the noise.
    const perStep = (key: "loss" | "accuracy") => {
      const pts = input.steps.filter((s) => Number.isFinite(s[key]));
      const w = Math.max(1, Math.round(pts.length / 50));
      const data: Record<string, unknown>[] = [];
      let run = 0;
      pts.forEach((s, i) => {
        run += s[key]!;
        if (i >= w) run -= pts[i - w]![key]!;
        data.push({ step: s.step, [key]: s[key], series: "batch" });
        if (w > 1 && i >= w - 1) data.push({ step: s.step, [key]: run / w, series: `mean of ${w}` });
      });
      return data;
    };
    charts["loss-steps"] = lineChart({ title: "Training loss per step", data: perStep("loss"), x: "step", xTitle: "step", y: "loss", yTitle: "loss", series: "series" });
    if (input.steps.some((s) => s.accuracy !== undefined)) {
      charts["accuracy-steps"] = lineChart({ title: "Training accuracy per step", data: perStep("accuracy"), x: "step", xTitle: "step", y: "accuracy", yTitle: "accuracy", series: "series" });
    }
    charts["lr"] = lineChart({ title: "Learning rate", data: input.steps.map((s) => ({ step: s.step, lr: s.lr })), x: "step", xTitle: "step", y: "lr", yTitle: "learning rate" });
  }
  if (input.confusion) charts["confusion"] = confusionChart(input.confusion.classNames, input.confusion.matrix);
  return charts;
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

async function grayPngDataUri(m: MisclassifiedImage): Promise<string> {
  const { encodePng } = await import("../data/png.js");
  const png = await encodePng({ width: m.width, height: m.height, channels: 1, data: m.pixels });
  return `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
}

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Builds the HTML page from rendered SVGs. */
export async function reportHtml(input: ReportInput, svgs: Record<string, string>): Promise<string> {
  const table = (o: Record<string, unknown>) =>
    `<table>${Object.entries(o)
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(fmt(v))}</td></tr>`)
      .join("")}</table>`;
  const chart = (name: string) => (svgs[name] ? `<figure class="chart" id="chart-${name}">${svgs[name]}</figure>` : "");
  let mis = "";
  if (input.misclassified?.length) {
    const cells = await Promise.all(
      input.misclassified.map(
        async (m) =>
          `<figure class="img"><img src="${await grayPngDataUri(m)}" width="${m.width * 3}" height="${m.height * 3}" alt="test image ${m.index}"><figcaption><b>${esc(m.predicted)}</b> ${(m.confidence * 100).toFixed(0)}%<br><span>was ${esc(m.label)}</span></figcaption></figure>`,
      ),
    );
    mis = `<section><h2>Misclassified test images</h2><p>Prediction (confidence) and the true class, most confident mistakes first.</p><div class="grid">${cells.join("")}</div></section>`;
  }
  const title = input.title ?? "neurite training report";
  const epochRows = input.history
    .map(
      (h) =>
        `<tr><td>${h.epoch}</td><td>${h.trainLoss.toFixed(4)}</td><td>${Number.isFinite(h.trainAccuracy) ? (h.trainAccuracy * 100).toFixed(2) + "%" : "—"}</td><td>${h.val ? h.val.loss.toFixed(4) : "—"}</td><td>${h.val && Number.isFinite(h.val.accuracy) ? (h.val.accuracy * 100).toFixed(2) + "%" : "—"}</td><td>${h.lr.toPrecision(3)}</td><td>${h.seconds.toFixed(1)}</td><td>${Math.round(h.imagesPerSecond)}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:${FONT};margin:2rem auto;max-width:1120px;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{color:#555;font-weight:600}.cols{display:flex;flex-wrap:wrap;gap:2rem}.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0}.chart svg{max-width:100%;height:auto}.grid{display:flex;flex-wrap:wrap;gap:.6rem}
.img{width:90px;font-size:.72rem;text-align:center}.img img{image-rendering:pixelated;background:#000;display:block;margin:0 auto}.img span{color:#888}
pre{background:#f6f6f6;padding:1rem;white-space:pre-wrap}
</style></head>
<body>
<h1>${esc(title)}</h1>
<div class="cols"><section><h2>Result</h2>${table(input.summary ?? summaryFromHistory(input))}</section><section><h2>Configuration</h2>${table(input.config ?? {})}</section></div>
<section><h2>Curves</h2><div class="charts">${chart("loss")}${chart("accuracy")}${chart("loss-steps")}${chart("accuracy-steps")}${chart("lr")}</div></section>
${svgs["confusion"] ? `<section><h2>Confusion matrix</h2>${chart("confusion")}</section>` : ""}
${mis}
${input.text ? `<section><h2>${esc(input.text.title)}</h2><pre>${esc(input.text.body)}</pre></section>` : ""}
<section><h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc.</th><th>test loss</th><th>test acc.</th><th>lr</th><th>seconds</th><th>samples/s</th></tr>${epochRows}</table></section>
<p style="color:#888;font-size:.8rem">Written by neurite on ${esc(new Date().toISOString())}. Charts: Vega-Lite, rendered to SVG.</p>
</body></html>
`;
}

/**
 * Writes report.html and the charts as SVG and PNG into `dir`. Missing optional chart packages
 * (vega, vega-lite, @resvg/resvg-js) and PNG conversion failures (no native resvg for this
 * platform) are reported as warnings, not errors: the page is written without those charts.
 */
/** The headline numbers of a report given only a history (a fit() result): the last epoch's. */
export function summaryFromHistory(input: ReportInput): Record<string, string | number> {
  const last = input.history[input.history.length - 1];
  if (!last) return { epochs: 0 };
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return {
    epochs: input.history.length,
    "train loss": last.trainLoss,
    ...(Number.isFinite(last.trainAccuracy) ? { "train accuracy": pct(last.trainAccuracy) } : {}),
    ...(last.val ? { "validation loss": last.val.loss } : {}),
    ...(last.val && Number.isFinite(last.val.accuracy) ? { "validation accuracy": pct(last.val.accuracy) } : {}),
    ...(input.stopReason ? { stopped: input.stopReason } : {}),
  };
}

export async function writeReport(dir: string, input: ReportInput, options: { png?: boolean } = {}): Promise<ReportFiles> {
  const { join } = nodeBuiltin("path", "the training report (writes files)");
  const { writeFileAtomic } = await import("../io/atomic-write.js");
  const enc = new TextEncoder();
  const files: ReportFiles = { html: join(dir, "report.html"), svg: [], png: [], warnings: [] };
  const svgs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(reportCharts(input))) {
    try {
      svgs[name] = await renderSvg(spec);
    } catch (e) {
      // Without the optional chart packages the report keeps its tables, images and text.
      if (!(e instanceof ReportRendererMissingError)) throw e;
      files.warnings.push(`charts skipped: ${e.message}`);
      break;
    }
    const path = join(dir, `${name}.svg`);
    await writeFileAtomic(path, enc.encode(svgs[name]));
    files.svg.push(path);
    if (options.png ?? true) {
      try {
        const path = join(dir, `${name}.png`);
        await writeFileAtomic(path, await svgToPng(svgs[name]));
        files.png.push(path);
      } catch (e) {
        if (!files.warnings.length) files.warnings.push(`PNG charts skipped: ${(e as Error).message.split("\n")[0]}`);
      }
    }
  }
  await writeFileAtomic(files.html, enc.encode(await reportHtml(input, svgs)));
  return files;
}

/** Confusion matrix counts[actual][predicted]. */
export function confusionMatrix(targets: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < targets.length; i++) m[targets[i]!]![predictions[i]!]!++;
  return m;
}

/** A one-line sparkline of a series (for terminal summaries). */
export function sparkline(values: number[], width = 40): string {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return "";
  const step = Math.max(1, v.length / width);
  const pts: number[] = [];
  for (let i = 0; i < v.length; i += step) pts.push(v[Math.floor(i)]!);
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  const bars = "▁▂▃▄▅▆▇█";
  return pts.map((x) => bars[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * 7)]).join("");
}
