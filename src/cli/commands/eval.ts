import * as registry from "../../backend/registry.js";
import { DataLoader } from "../../data/dataloader.js";
import { findFashionMnistDir, loadFashionMnist } from "../../data/fashion-mnist.js";
import { fashionMnistDataset } from "../../data/fashion-mnist-tensors.js";
import { crossEntropy } from "../../nn/functional/loss.js";
import { evaluate } from "../../train/evaluate.js";
import { loadWithMetadata } from "../../io/safetensors.js";
import { MODEL_ZOO } from "../model-zoo.js";
import { UsageError, parseCommandArgs } from "../args.js";

export const EVAL_HELP = `neurite eval --checkpoint FILE [options]

Loads a safetensors state_dict (written by neurite or by PyTorch) into a reference model and
reports its loss and accuracy on the Fashion-MNIST test set.

Options:
  --checkpoint FILE   safetensors file (required)
  --model NAME        model the weights belong to (default: the file's metadata, else mlp)
  --data DIR          Fashion-MNIST folder (default: system data set, else bundled subset)
  --backend NAME      backend to run on
  --json              print one JSON object

Example:
  neurite eval --checkpoint runs/mlp/model.safetensors`;

export async function evalCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs("eval", argv, {
    checkpoint: { type: "string" },
    model: { type: "string" },
    data: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) {
    console.log(EVAL_HELP);
    return 0;
  }
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError("neurite eval: --checkpoint FILE is required (see neurite eval --help)");
  const backendName = args.str("backend") ?? registry.getBackend();
  if (!registry.backends().includes(backendName)) throw new UsageError(`neurite eval: unknown backend '${backendName}' (choose one of: ${registry.backends().join(", ")})`);
  await registry.setBackend(backendName);
  let loaded;
  try {
    loaded = await loadWithMetadata(checkpoint);
  } catch (e) {
    console.error(`neurite eval: ${(e as Error).message}`);
    return 1;
  }
  const name = args.str("model") ?? loaded.metadata.model ?? "mlp";
  const entry = MODEL_ZOO[name];
  if (!entry) throw new UsageError(`neurite eval: unknown model '${name}' (choose one of: ${Object.keys(MODEL_ZOO).join(", ")})`);
  const model = entry.create();
  model.loadStateDict(loaded.tensors);
  const fm = await loadFashionMnist(await findFashionMnistDir(args.str("data")));
  const test = await evaluate(model, new DataLoader(fashionMnistDataset(fm.test), { batchSize: 1000 }), (o, y) => crossEntropy(o, y));
  const result = { model: name, checkpoint, backend: backendName, testAccuracy: test.accuracy, testLoss: test.loss, testSamples: test.count, dataSource: fm.source };
  if (args.flag("json")) console.log(JSON.stringify(result));
  else console.log(`${name} from ${checkpoint}: test accuracy ${(test.accuracy * 100).toFixed(2)}%, test loss ${test.loss.toFixed(4)} on ${test.count} images`);
  return 0;
}
