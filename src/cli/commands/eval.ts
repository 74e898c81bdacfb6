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

export async function evalCommand(argv: string[]): Promise<number> {
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
  if (args.flag("help")) {
    console.log(EVAL_HELP);
    return 0;
  }
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError("neurite eval: --checkpoint FILE is required (see neurite eval --help)");
  const limit = args.str("limit") === undefined ? null : intOption("eval", "limit", args.str("limit"), 0);
  const backendName = backendFromArgs("eval", args);
  await registry.setBackend(backendName);
  const { model, entry, path, vocab, blockSize, input, classNames } = await loadModelFile("eval", checkpoint, args.str("model"));
  if (input && args.str("data") === undefined) {
    throw new UsageError(`neurite eval: ${path} was trained on your own ${input.kind === "table" ? "table" : "images"}; pass the data to evaluate on with --data ${input.kind === "table" ? "FILE.csv" : "DIR"}`);
  }
  const data = await loadTaskData(entry, {
    command: "eval",
    data: args.str("data") ?? null,
    text: args.str("text") ?? null,
    testLimit: limit,
    ...(blockSize !== undefined ? { blockSize } : {}),
    ...(vocab !== undefined ? { vocab } : {}),
    ...(input ? { input, classNames } : {}),
  });
  const test = await evaluate(model, hostLoader(data.test!, { batchSize: evalBatchSize(entry) }), taskLoss);
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
  if (args.flag("json")) console.log(JSON.stringify(result));
  else console.log(`${entry.name} from ${path}: test accuracy ${(test.accuracy * 100).toFixed(2)}%, test loss ${test.loss.toFixed(4)} on ${test.count} ${entry.task === "char-lm" ? "sequences" : entry.task === "tabular" ? "rows" : "images"}`);
  model.dispose();
  return 0;
}
