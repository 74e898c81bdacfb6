import { statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Module } from "../../nn/module.js";
import type { Tensor } from "../../tensor/tensor.js";
import { full, zeros } from "../../ops/creation.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { exportModel, exportModelWithExternalData } from "../../onnx/export.js";
import { save } from "../../onnx/save.js";
import { flattenTensors } from "../../onnx/trace.js";
import { describeModel, type OnnxValueSummary } from "../../onnx/describe.js";
import { loadGenerativeModel } from "../diffusion-checkpoint.js";
import { findModel } from "../model-zoo.js";
import { modelNames } from "../model-zoo.js";
import { UsageError, choiceOption, parseCommandArgs } from "../args.js";
import { loadModelFile } from "./weights.js";
import { encodedWidth } from "../../data/tabular.js";

export const EXPORT_HELP = `neurite export --checkpoint RUN --format onnx --out FILE [options]

Writes a trained model as an ONNX file (opset 17) for ONNX Runtime (Node, Python, the browser),
TensorRT or Triton. Weights keep their state_dict names.

Inputs and outputs by model:
  mlp, cnn, cnn-bn, row-gru   image float32 [N, 1, 28, 28] (pixels / 255) → logits [N, 10];
                              trained on your images: [N, C, H, W] after the stored transform
  tabular-mlp                 features float32 [N, F] (the stored encoder's output) → logits
  char-lstm, char-gpt, bigram ids int32 [N, blockSize] → logits [N, blockSize, vocab]
                              (char-lstm also returns its final states h_n, c_n)
  ddpm (U-Net denoiser)       x_t float32 [N, C, H, W], t int32 [N], class int32 [N] → eps

Options:
  --checkpoint RUN    a run folder or its model.safetensors (required)
  --format onnx       the output format (only onnx)
  --out FILE          where to write the model (required; written atomically)
  --dynamic-batch     N varies at run time (otherwise the file is for batch 1)
  --external-data     write the weights to FILE.data next to FILE (automatic above 2 GiB)
  --model NAME        ${modelNames().join(", ")} (default: the file's metadata)
  --json              print one JSON object

Example:
  neurite export --checkpoint runs/cnn-bn --format onnx --out cnn-bn.onnx --dynamic-batch`;

interface Exportable {
  name: string;
  model: Module;
  inputs: Tensor[];
  inputNames: string[];
}

/** Whether `checkpoint` holds a diffusion model: named so by --model, or by its run's zoo entry. */
async function diffusionModel(checkpoint: string, modelName: string | undefined) {
  if (modelName !== undefined && findModel(modelName)?.task !== "diffusion") return null;
  const found = await loadGenerativeModel("export", checkpoint);
  return found.kind === "diffusion" ? found.ddpm : null;
}

async function loadExportable(checkpoint: string, modelName: string | undefined): Promise<Exportable> {
  const ddpm = await diffusionModel(checkpoint, modelName);
  if (ddpm) {
    // The denoiser is what is exported: ε_θ(x_t, t, class), the network every sampler steps with.
    const u = ddpm.config.unet;
    const inputs = [zeros([1, u.inChannels, u.imageSize, u.imageSize]), full([1], 0, { dtype: "int32" })];
    const inputNames = ["x_t", "t"];
    if (u.numClasses > 0) {
      inputs.push(full([1], u.numClasses, { dtype: "int32" }));
      inputNames.push("class");
    }
    return { name: "ddpm", model: ddpm.unet, inputs, inputNames };
  }
  const { model, entry, metadata, input } = await loadModelFile("export", checkpoint, modelName);
  // Own data: the input the model was trained on (images [C, H, W] after its transform, or encoded table rows [F]).
  if (input?.kind === "table") {
    return { name: entry.name, model, inputs: [zeros([1, encodedWidth(input)])], inputNames: ["features"] };
  }
  if (input?.kind === "image") return { name: entry.name, model, inputs: [zeros([1, input.channels, input.height, input.width])], inputNames: ["image"] };
  if (entry.task === "char-lm") {
    const block = Number(metadata.block_size ?? entry.defaults.blockSize ?? 64);
    return { name: entry.name, model, inputs: [zeros([1, block], { dtype: "int32" })], inputNames: ["ids"] };
  }
  return { name: entry.name, model, inputs: [zeros([1, 1, 28, 28])], inputNames: ["image"] };
}

/** What `neurite export` was asked to do. */
export type ExportRequest = { kind: "help" } | { kind: "export"; checkpoint: string; out: string; dynamicBatch: boolean; externalData: boolean; model: string | null; json: boolean };

/** Parses `neurite export`'s argv; every option error is a UsageError. */
export function parseExportArgs(argv: string[]): ExportRequest {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  const args = parseCommandArgs("export", argv, {
    checkpoint: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    "dynamic-batch": { type: "boolean", default: false },
    "external-data": { type: "boolean", default: false },
    model: { type: "string" },
    json: { type: "boolean", default: false },
  });
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError("neurite export: --checkpoint RUN is required (a run folder or a model.safetensors)");
  choiceOption("export", "format", args.str("format"), ["onnx"] as const, "onnx");
  const out = args.str("out");
  if (!out) throw new UsageError("neurite export: --out FILE is required (e.g. --out model.onnx)");
  if (statSync(out, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`neurite export: --out ${out} is a folder; give a file name such as ${join(out, "model.onnx")}`);
  return { kind: "export", checkpoint, out, dynamicBatch: args.flag("dynamic-batch"), externalData: args.flag("external-data"), model: args.str("model") ?? null, json: args.flag("json") };
}

export async function exportCommand(argv: string[]): Promise<number> {
  const request = parseExportArgs(argv);
  if (request.kind === "help") {
    console.log(EXPORT_HELP);
    return 0;
  }
  const { checkpoint, out, dynamicBatch: dynamic } = request;

  const { name, model, inputs, inputNames } = await loadExportable(checkpoint, request.model ?? undefined);
  model.eval();
  const outputs = flattenTensors(noGrad(() => model.forward(...inputs)));
  const outputNames = outputs.map((_, i) => (i === 0 ? (name === "ddpm" ? "eps" : "logits") : i === 1 ? "h_n" : i === 2 ? "c_n" : `output_${i}`));
  const options = {
    inputNames,
    outputNames,
    ...(dynamic ? { dynamicAxes: Object.fromEntries(inputNames.map((n) => [n, { 0: "batch" }])) } : {}),
  };
  // A protobuf message holds at most 2 GiB: bigger models keep their weights in a side file.
  const weightBytes = [...model.parameters(), ...model.buffers()].reduce((s, t) => s + t.size * 4, 0);
  const external = request.externalData || weightBytes > 2 ** 31 - 2 ** 27;
  const dataFile = `${basename(out)}.data`;
  let bytes: Uint8Array;
  if (external) {
    const exported = exportModelWithExternalData(model, inputs, { ...options, location: dataFile });
    await save(exported.data, join(dirname(out), dataFile));
    bytes = exported.model;
  } else {
    bytes = exportModel(model, inputs, options);
  }
  await save(bytes, out);
  const graph = describeModel(bytes);
  const summary = { model: name, checkpoint, out, ...(external ? { externalData: join(dirname(out), dataFile) } : {}), format: "onnx", opset: graph.opset, bytes: bytes.length, inputs: graph.inputs, outputs: graph.outputs };
  if (request.json) console.log(JSON.stringify(summary));
  else {
    const fmt = (v: OnnxValueSummary) => `${v.name} ${v.dtype} [${v.shape.join(", ")}]`;
    console.log(`neurite export: wrote ${out} (${name}, ONNX opset ${graph.opset}, ${(bytes.length / 1024).toFixed(0)} KiB${external ? `, weights in ${dataFile}` : ""})\n  inputs:  ${summary.inputs.map(fmt).join(", ")}\n  outputs: ${summary.outputs.map(fmt).join(", ")}`);
  }
  return 0;
}
