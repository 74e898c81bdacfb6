import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { readdirSync, statSync, existsSync } from "node:fs";
import { readRegularFile, FileReadError } from "../../io/node-file.js";
import { join, extname, basename } from "node:path";
import * as registry from "../../backend/registry.js";
import { tensor } from "../../ops/creation.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tidy } from "../../memory/tidy.js";
import type { Tensor } from "../../tensor/tensor.js";
import { decodePng, type Image } from "../../data/png.js";
import { prepareFashionMnistImage } from "../../data/image.js";
import { MODEL_ZOO, modelNames } from "../model-zoo.js";
import { UsageError, choiceOption, intOption, parseCommandArgs } from "../args.js";
import { loadModelFile } from "./weights.js";
import { modelOutput } from "../../train/evaluate.js";
import { readImageFile, IMAGE_EXTENSIONS } from "../../data/image-folder.js";
import { applyImageTransform } from "../../data/image-transform.js";
import { readTable, encodeTable, TableError } from "../../data/tabular.js";
import type { Module } from "../../nn/module.js";
import type { TableEncoder } from "../../data/tabular.js";

/** PNG files larger than this are refused before reading (the pixel limit is checked next, from the header). */
const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

export const PREDICT_HELP = `neurite predict --checkpoint FILE IMAGE|FOLDER|TABLE.csv... [options]

Classifies images (PNG, JPEG) or table rows with a trained model and prints the top-k classes.
A model trained on your own images prepares each image as in training (size, grey/RGB,
normalisation; stored with the model) and names its own classes; a table model (tabular-mlp)
classifies every row of the CSV files given. For a Fashion-MNIST model, images of any size and
colour are converted like Fashion-MNIST: gray, the object light on a dark background (light
backgrounds are inverted), scaled to fit 28x28 and centred.

Options:
  --checkpoint FILE   model.safetensors or a run folder (default runs/mlp if it exists)
  --model NAME        ${modelNames().join(", ")} (default: the file's metadata)
  --top-k N           classes to show per image (default 3)
  --invert MODE       auto (by the border's brightness), yes or no (default auto)
  --backend NAME      backend to run on
  --threads N         threads of the wasm and native backends (default: all cores)
  --json              print one JSON object

Exit codes: 0 every image classified, 1 some image could not be read, 2 bad arguments.

Examples:
  neurite predict --checkpoint runs/mlp/model.safetensors my-shoe.png
  neurite predict --checkpoint runs/mlp photos/ --top-k 1 --json
  neurite predict --checkpoint runs/tabular-mlp new-rows.csv`;

/** The Fashion-MNIST preprocessing (in the library, shared with the browser playground). */
export const preprocess = prepareFashionMnistImage;

function collectImages(inputs: string[]): string[] {
  const files: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new UsageError(`neurite predict: ${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      const pngs = readdirSync(p)
        .filter((f) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(p, f));
      if (pngs.length === 0) throw new UsageError(`neurite predict: ${p}: the folder has no PNG or JPEG files`);
      for (const f of pngs) files.push(f);
    } else {
      files.push(p);
    }
  }
  return files;
}

/** What `neurite predict` was asked to do. */
export type PredictRequest =
  | { kind: "help" }
  | { kind: "predict"; checkpoint: string; model: string | null; inputs: string[]; topK: number; invert: "auto" | "yes" | "no"; backend: string; json: boolean };

/** Parses `neurite predict`'s argv; every option error is a UsageError. */
export function parsePredictArgs(argv: string[]): PredictRequest {
  const args = parseCommandArgs(
    "predict",
    argv,
    {
      checkpoint: { type: "string" },
      model: { type: "string" },
      "top-k": { type: "string" },
      invert: { type: "string" },
      ...BACKEND_OPTION_SPEC,
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    true,
  );
  if (args.flag("help")) return { kind: "help" };
  const checkpoint = args.str("checkpoint") ?? (existsSync("runs/mlp/model.safetensors") ? "runs/mlp/model.safetensors" : undefined);
  if (!checkpoint) throw new UsageError("neurite predict: --checkpoint FILE is required (no runs/mlp/model.safetensors here; train one with 'neurite train --model mlp')");
  if (args.positionals.length === 0) throw new UsageError("neurite predict: give at least one PNG image or folder (see neurite predict --help)");
  const topK = intOption("predict", "top-k", args.str("top-k"), 3, 1);
  const invert = choiceOption("predict", "invert", args.str("invert"), ["auto", "yes", "no"] as const, "auto");
  const backend = backendFromArgs("predict", args);
  return { kind: "predict", checkpoint, model: args.str("model") ?? null, inputs: args.positionals, topK, invert, backend, json: args.flag("json") };
}

export async function predictCommand(argv: string[]): Promise<number> {
  const request = parsePredictArgs(argv);
  if (request.kind === "help") {
    console.log(PREDICT_HELP);
    return 0;
  }
  const { topK, invert, json } = request;
  const files = collectImages(request.inputs);
  await registry.setBackend(request.backend);
  const { model, entry, path, classNames, input } = await loadModelFile("predict", request.checkpoint, request.model ?? undefined);
  const k = Math.min(topK, classNames.length);
  model.eval();
  if (input?.kind === "table") return predictRows(model, entry.name, path, input, request.inputs, k, classNames, json);
  if (entry.task !== "fashion-mnist") {
    const cls = modelNames().filter((n) => MODEL_ZOO[n]!.task === "fashion-mnist");
    throw new UsageError(`neurite predict: ${path} holds a '${entry.name}' model, which does not classify images (image models: ${cls.join(", ")}); use neurite sample for text models`);
  }
  const results: { file: string; top?: { class: string; index: number; probability: number }[]; error?: string }[] = [];
  for (const file of files) {
    let img: Image;
    try {
      // A regular file of bounded size (a FIFO or /dev/zero among the inputs is refused, not read).
      img = input ? await readImageFile(file) : await decodePng(await readRegularFile(file, { what: "image", maxBytes: MAX_IMAGE_FILE_BYTES }));
    } catch (e) {
      const ext = extname(file).toLowerCase();
      const hint = ext !== ".png" ? ` (only PNG images are read; convert ${ext || "the file"} to PNG first)` : "";
      const why = e instanceof FileReadError || input ? (e as Error).message : `not a readable PNG image: ${(e as Error).message.replace(/^png: /, "")}${hint}`;
      results.push({ file, error: why });
      continue;
    }
    // An own-data model prepares images as it was trained; a Fashion-MNIST model like Fashion-MNIST.
    const x = input ? applyImageTransform(img, input) : preprocess(img, invert);
    const shape = input ? [1, input.channels, input.height, input.width] : [1, 1, 28, 28];
    const [probs] = await classProbabilities(model, x, shape);
    results.push({ file, top: topClasses(probs!, k, classNames) });
  }
  const failed = results.filter((r) => r.error);
  if (json) {
    console.log(JSON.stringify({ model: entry.name, checkpoint: path, topK: k, predictions: results }));
  } else {
    const width = Math.min(40, results.reduce((w, r) => Math.max(w, basename(r.file).length), 0));
    for (const r of results) {
      if (r.error) console.error(`neurite predict: ${r.file}: ${r.error}`);
      else console.log(`${basename(r.file).padEnd(width)}  ${r.top!.map((t) => `${t.class} ${(t.probability * 100).toFixed(1)}%`).join(", ")}`);
    }
  }
  model.dispose();
  return failed.length ? 1 : 0;
}

/** Softmax class probabilities of a batch of inputs (one row per sample). */
async function classProbabilities(model: Module, x: Float32Array, shape: number[]): Promise<number[][]> {
  const flat = await noGrad(() =>
    tidy(async () => {
      const out = modelOutput(model.forward(tensor(x, { shape })));
      return Array.from(await out.softmax(-1).data());
    }),
  );
  const n = shape[0]!;
  const c = flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.slice(i * c, (i + 1) * c));
}

function topClasses(probs: number[], k: number, classNames: readonly string[]): { class: string; index: number; probability: number }[] {
  const order = probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
  return order.slice(0, k).map(([p, i]) => ({ class: classNames[i] ?? String(i), index: i, probability: p }));
}

/** Classifies every row of the given CSV files with a table model; the target column, if present, is ignored. */
async function predictRows(model: Module, name: string, path: string, encoder: TableEncoder, files: string[], k: number, classNames: readonly string[], json: boolean): Promise<number> {
  const results: { file: string; row: number; top: { class: string; index: number; probability: number }[] }[] = [];
  for (const file of files) {
    if (!/\.csv$/i.test(file)) throw new UsageError(`neurite predict: ${path} holds a table model; give CSV files with its columns (${encoder.columns.map((c) => c.name).join(", ").slice(0, 200)}), got ${file}`);
    let encoded;
    try {
      encoded = encodeTable(encoder, await readTable(file), file, { readTarget: false });
    } catch (e) {
      if (e instanceof TableError || e instanceof FileReadError) throw new UsageError(`neurite predict: ${e.message}`);
      throw e;
    }
    const n = encoded.inputs.length / encoded.width;
    const probs = await classProbabilities(model, encoded.inputs, [n, encoded.width]);
    // Rows numbered as a spreadsheet shows them (the header is row 1).
    probs.forEach((p, i) => results.push({ file, row: i + 2, top: topClasses(p, k, classNames) }));
  }
  if (json) console.log(JSON.stringify({ model: name, checkpoint: path, topK: k, predictions: results }));
  else for (const r of results) console.log(`${basename(r.file)} row ${r.row}  ${r.top.map((t) => `${t.class} ${(t.probability * 100).toFixed(1)}%`).join(", ")}`);
  model.dispose();
  return 0;
}
