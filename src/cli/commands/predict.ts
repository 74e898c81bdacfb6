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

/** PNG files larger than this are refused before reading (the pixel limit is checked next, from the header). */
const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

export const PREDICT_HELP = `neurite predict --checkpoint FILE IMAGE.png|FOLDER... [options]

Classifies PNG images with a trained Fashion-MNIST model and prints the top-k classes.
Images of any size and colour are converted like Fashion-MNIST: gray, the object light on a
dark background (light backgrounds are inverted), scaled to fit 28x28 and centred.

Options:
  --checkpoint FILE   model.safetensors or a run folder (default runs/mlp if it exists)
  --model NAME        ${modelNames().join(", ")} (default: the file's metadata)
  --top-k N           classes to show per image (default 3)
  --invert MODE       auto (by the border's brightness), yes or no (default auto)
  --backend NAME      backend to run on
  --threads N         threads of the wasm backend (default: all cores)
  --json              print one JSON object

Exit codes: 0 every image classified, 1 some image could not be read, 2 bad arguments.

Examples:
  neurite predict --checkpoint runs/mlp/model.safetensors my-shoe.png
  neurite predict --checkpoint runs/mlp photos/ --top-k 1 --json`;

/** The Fashion-MNIST preprocessing (in the library, shared with the browser playground). */
export const preprocess = prepareFashionMnistImage;

function collectImages(inputs: string[]): string[] {
  const files: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new UsageError(`neurite predict: ${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      const pngs = readdirSync(p)
        .filter((f) => extname(f).toLowerCase() === ".png")
        .sort()
        .map((f) => join(p, f));
      if (pngs.length === 0) throw new UsageError(`neurite predict: ${p}: the folder has no .png files`);
      for (const f of pngs) files.push(f);
    } else {
      files.push(p);
    }
  }
  return files;
}

export async function predictCommand(argv: string[]): Promise<number> {
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
  if (args.flag("help")) {
    console.log(PREDICT_HELP);
    return 0;
  }
  const checkpoint = args.str("checkpoint") ?? (existsSync("runs/mlp/model.safetensors") ? "runs/mlp/model.safetensors" : undefined);
  if (!checkpoint) throw new UsageError("neurite predict: --checkpoint FILE is required (no runs/mlp/model.safetensors here; train one with 'neurite train --model mlp')");
  if (args.positionals.length === 0) throw new UsageError("neurite predict: give at least one PNG image or folder (see neurite predict --help)");
  const topK = intOption("predict", "top-k", args.str("top-k"), 3, 1);
  const invert = choiceOption("predict", "invert", args.str("invert"), ["auto", "yes", "no"] as const, "auto");
  const backendName = backendFromArgs("predict", args);
  const files = collectImages(args.positionals);
  await registry.setBackend(backendName);
  const { model, entry, path, classNames } = await loadModelFile("predict", checkpoint, args.str("model"));
  if (entry.task !== "fashion-mnist") {
    const cls = modelNames().filter((n) => MODEL_ZOO[n]!.task === "fashion-mnist");
    throw new UsageError(`neurite predict: ${path} holds a '${entry.name}' model, which does not classify images (image models: ${cls.join(", ")}); use neurite sample for text models`);
  }
  const k = Math.min(topK, classNames.length);
  model.eval();
  const results: { file: string; top?: { class: string; index: number; probability: number }[]; error?: string }[] = [];
  for (const file of files) {
    let img: Image;
    try {
      // A regular file of bounded size (a FIFO or /dev/zero among the inputs is refused, not read).
      img = await decodePng(await readRegularFile(file, { what: "image", maxBytes: MAX_IMAGE_FILE_BYTES }));
    } catch (e) {
      const ext = extname(file).toLowerCase();
      const hint = ext !== ".png" ? ` (only PNG images are read; convert ${ext || "the file"} to PNG first)` : "";
      const why = e instanceof FileReadError ? e.message : `not a readable PNG image: ${(e as Error).message.replace(/^png: /, "")}${hint}`;
      results.push({ file, error: why });
      continue;
    }
    const x = preprocess(img, invert);
    const probs = await noGrad(() =>
      tidy(async () => {
        const out = modelOutput(model.forward(tensor(x, { shape: [1, 1, 28, 28] })));
        return Array.from(await out.softmax(-1).data());
      }),
    );
    const order = probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
    results.push({ file, top: order.slice(0, k).map(([p, i]) => ({ class: classNames[i] ?? String(i), index: i, probability: p })) });
  }
  const failed = results.filter((r) => r.error);
  if (args.flag("json")) {
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
