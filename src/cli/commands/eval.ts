import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import * as registry from "../../backend/registry.js";
import { evaluate } from "../../train/evaluate.js";
import { modelNames } from "../model-zoo.js";
import { evalBatchSize, hostLoader, loadTaskData, taskLoss } from "../tasks.js";
import { UsageError, intOption, parseCommandArgs } from "../args.js";
import { loadModelFile } from "./weights.js";

export const EVAL_HELP = `neurite eval --checkpoint FILE [options]

Loads a safetensors state_dict (written by neurite or by PyTorch) into a reference model and
reports its loss and accuracy on the test data (Fashion-MNIST test set, or the held-out 10% of
the text for character models). A model trained on your own data (--data DIR or a CSV) is
evaluated on every image or row of --data, prepared exactly as in training, with its own classes.

Options:
  --checkpoint FILE   safetensors file, or a run folder (required)
  --model NAME        ${modelNames().join(", ")} (default: the file's metadata, else mlp)
  --data DIR          Fashion-MNIST folder (default: system data set, else bundled subset), or
                      for an own-data model an image folder (DIR/CLASS/*.png|jpg) or a CSV
                      with the model's columns and target
  --text FILE         text for character models (default: bundled fortunes sample)
  --limit N           evaluate only the first N test samples
  --backend NAME      backend to run on
  --threads N         threads of the wasm and native backends (default: all cores)
  --json              print one JSON object

Example:
  neurite eval --checkpoint runs/mlp/model.safetensors`;

/** What `neurite eval` was asked to do. */
export type EvalRequest =
  | { kind: "help" }
  | { kind: "eval"; checkpoint: string; model: string | null; data: string | null; text: string | null; limit: number | null; backend: string; json: boolean };

/** Parses `neurite eval`'s argv; every option error is a UsageError. */
export function parseEvalArgs(argv: string[]): EvalRequest {
  const args = parseCommandArgs("eval", argv, {
    checkpoint: { type: "string" },
    model: { type: "string" },
    data: { type: "string" },
    text: { type: "string" },
    limit: { type: "string" },
    ...BACKEND_OPTION_SPEC,
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError("neurite eval: --checkpoint FILE is required (see neurite eval --help)");
  const limit = args.str("limit") === undefined ? null : intOption("eval", "limit", args.str("limit"), 0);
  return { kind: "eval", checkpoint, model: args.str("model") ?? null, data: args.str("data") ?? null, text: args.str("text") ?? null, limit, backend: backendFromArgs("eval", args), json: args.flag("json") };
}

export async function evalCommand(argv: string[]): Promise<number> {
  const request = parseEvalArgs(argv);
  if (request.kind === "help") {
    console.log(EVAL_HELP);
    return 0;
  }
  const backendName = request.backend;
  await registry.setBackend(backendName);
  const { model, entry, path, vocab, blockSize, input, classNames } = await loadModelFile("eval", request.checkpoint, request.model ?? undefined);
  if (input && request.data === null) {
    throw new UsageError(`neurite eval: ${path} was trained on your own ${input.kind === "table" ? "table" : "images"}; pass the data to evaluate on with --data ${input.kind === "table" ? "FILE.csv" : "DIR"}`);
  }
  const data = await loadTaskData(entry, {
    command: "eval",
    data: request.data,
    text: request.text,
    testLimit: request.limit,
    ...(blockSize !== undefined ? { blockSize } : {}),
    ...(vocab !== undefined ? { vocab } : {}),
    ...(input ? { input, classNames } : {}),
  });
  // The model's own objective where it has one (ddpm: the ε-prediction error), else cross-entropy.
  const test = await evaluate(model, hostLoader(data.test!, { batchSize: evalBatchSize(entry) }), entry.loss ?? taskLoss, {
    ...(entry.forward ? { forward: entry.forward } : {}),
    ...(entry.metrics ? { metrics: entry.metrics } : {}),
  });
  const result = {
    model: entry.name,
    checkpoint: path,
    backend: backendName,
    testAccuracy: Number.isFinite(test.accuracy) ? test.accuracy : null,
    testLoss: test.loss,
    ...(entry.task === "char-lm" ? { testPerplexity: Math.exp(test.loss) } : {}),
    testSamples: test.count,
    dataSource: data.source,
  };
  if (request.json) console.log(JSON.stringify(result));
  else if (entry.task === "diffusion") console.log(`${entry.name} from ${path}: test loss (ε-prediction MSE) ${test.loss.toFixed(4)} on ${test.count} images`);
  else console.log(`${entry.name} from ${path}: test accuracy ${(test.accuracy * 100).toFixed(2)}%, test loss ${test.loss.toFixed(4)} on ${test.count} ${entry.task === "char-lm" ? "sequences" : entry.task === "tabular" ? "rows" : "images"}`);
  model.dispose();
  return 0;
}
