import { join, resolve } from "node:path";
import * as registry from "../../backend/registry.js";
import { manualSeed } from "../../tensor/random.js";
import { Adam } from "../../optim/adam.js";
import { AdamW } from "../../optim/adamw.js";
import { SGD } from "../../optim/sgd.js";
import type { Optimizer } from "../../optim/optimizer.js";
import { DataLoader } from "../../data/dataloader.js";
import { findFashionMnistDir, loadFashionMnist } from "../../data/fashion-mnist.js";
import { fashionMnistDataset } from "../../data/fashion-mnist-tensors.js";
import { crossEntropy } from "../../nn/functional/loss.js";
import { fit, NonFiniteLossError } from "../../train/fit.js";
import { evaluate } from "../../train/evaluate.js";
import { ProgressLine, formatProgress, formatDuration } from "../../train/progress.js";
import { save } from "../../io/safetensors.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { MODEL_ZOO } from "../model-zoo.js";
import { UsageError, choiceOption, floatOption, intOption, parseCommandArgs } from "../args.js";

export const TRAIN_HELP = `neurite train --model NAME [options]

Trains a reference model on Fashion-MNIST, evaluates it on the test set and saves a
safetensors checkpoint.

Options:
  --model NAME        ${Object.keys(MODEL_ZOO).join(", ")} (default mlp)
  --epochs N          passes over the training set (model default)
  --batch-size N      samples per step (model default)
  --lr X              learning rate (model default)
  --optimizer NAME    adam, adamw or sgd (model default)
  --data DIR          folder with the Fashion-MNIST IDX files (default: /usr/share/datasets/
                      fashion-mnist if installed, else the subset bundled with neurite)
  --limit N           use only the first N training images
  --out DIR           where to write model.safetensors and result.json (default runs/NAME)
  --backend NAME      ${registry.backends().join(", ")} (default ${registry.getBackend()})
  --seed N            random seed (default 0)
  --json              print one JSON result object at the end (progress goes to stderr)
  --quiet             no progress output

Examples:
  neurite train --model mlp --epochs 5
  neurite train --model mlp --data /usr/share/datasets/fashion-mnist --json`;

export interface TrainResult {
  model: string;
  backend: string;
  epochs: number;
  batchSize: number;
  trainSamples: number;
  testSamples: number;
  dataSource: string;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  trainSeconds: number;
  imagesPerSecond: number;
  checkpoint: string;
  history: { epoch: number; trainLoss: number; trainAccuracy: number; seconds: number }[];
}

export async function trainCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs("train", argv, {
    model: { type: "string", default: "mlp" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    optimizer: { type: "string" },
    data: { type: "string" },
    limit: { type: "string" },
    out: { type: "string" },
    backend: { type: "string" },
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const entry = MODEL_ZOO[args.str("model")!];
  if (!entry) throw new UsageError(`neurite train: unknown model '${args.str("model")}' (choose one of: ${Object.keys(MODEL_ZOO).join(", ")})`);
  const epochs = intOption("train", "epochs", args.str("epochs"), entry.defaults.epochs);
  const batchSize = intOption("train", "batch-size", args.str("batch-size"), entry.defaults.batchSize);
  const lr = floatOption("train", "lr", args.str("lr"), entry.defaults.lr, 0);
  const optName = choiceOption("train", "optimizer", args.str("optimizer"), ["adam", "adamw", "sgd"] as const, entry.defaults.optimizer);
  const limit = args.str("limit") === undefined ? undefined : intOption("train", "limit", args.str("limit"), 0);
  const seed = intOption("train", "seed", args.str("seed"), 0, 0);
  const backendName = args.str("backend") ?? registry.getBackend();
  if (!registry.backends().includes(backendName)) {
    throw new UsageError(`neurite train: unknown backend '${backendName}' (choose one of: ${registry.backends().join(", ")})`);
  }
  const outDir = resolve(args.str("out") ?? join("runs", entry.name));
  const progress = new ProgressLine(process.stderr, undefined, !args.flag("quiet"));
  const log = (s: string) => (args.flag("json") ? progress.log(s) : args.flag("quiet") ? undefined : console.log(s));

  const started = performance.now();
  await registry.setBackend(backendName);
  manualSeed(seed);
  const dataDir = await findFashionMnistDir(args.str("data"));
  const fm = await loadFashionMnist(dataDir);
  const trainSet = fashionMnistDataset(fm.train, limit === undefined ? {} : { limit });
  const testSet = fashionMnistDataset(fm.test);
  log(`neurite: training ${entry.name} on ${trainSet.length} images (${fm.source}), backend ${backendName}, ${epochs} epoch(s), batch ${batchSize}`);

  const model = entry.create();
  const params = model.parameters();
  const optimizer: Optimizer =
    optName === "adam" ? new Adam(params, { lr }) : optName === "adamw" ? new AdamW(params, { lr }) : new SGD(params, { lr, momentum: 0.9 });
  const trainLoader = new DataLoader(trainSet, { batchSize, shuffle: true, seed });
  const testLoader = new DataLoader(testSet, { batchSize: 1000 });
  const lossFn = (out: import("../../tensor/tensor.js").Tensor, y: import("../../tensor/tensor.js").Tensor) => crossEntropy(out, y);

  const trainStart = performance.now();
  let trainSamples = 0;
  let history;
  try {
    history = await fit(model, {
      train: trainLoader,
      optimizer,
      loss: lossFn,
      epochs,
      callbacks: [
        {
          onStepEnd: (s) => {
            trainSamples += 0;
            const remainingSteps = (s.epochs - s.epoch) * s.stepsPerEpoch + (s.stepsPerEpoch - s.step);
            const secondsPerStep = s.elapsedSeconds / s.globalStep;
            progress.update(
              formatProgress({
                epoch: s.epoch,
                epochs: s.epochs,
                step: s.step,
                steps: s.stepsPerEpoch,
                loss: s.epochLoss,
                accuracy: s.epochAccuracy,
                imagesPerSecond: s.imagesPerSecond,
                etaSeconds: remainingSteps * secondsPerStep,
              }),
              s.step === s.stepsPerEpoch,
            );
          },
          onEpochEnd: (e) => {
            progress.done();
            log(`epoch ${e.epoch}/${epochs}: train loss ${e.trainLoss.toFixed(4)}, train accuracy ${(e.trainAccuracy * 100).toFixed(2)}%, ${formatDuration(e.seconds)}`);
          },
        },
      ],
    });
  } catch (e) {
    progress.done();
    if (e instanceof NonFiniteLossError) {
      console.error(`neurite train: ${e.message}; no checkpoint was written (lower --lr?)`);
      return 3;
    }
    throw e;
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  trainSamples = history.length * (trainLoader.dropLast ? trainLoader.length * batchSize : trainSet.length);
  const test = await evaluate(model, testLoader, lossFn);
  const checkpoint = join(outDir, "model.safetensors");
  await save(model.stateDict(), checkpoint, { model: entry.name, format: "pt", epochs: String(history.length) });
  const last = history[history.length - 1]!;
  const result: TrainResult = {
    model: entry.name,
    backend: backendName,
    epochs: history.length,
    batchSize,
    trainSamples: trainSet.length,
    testSamples: test.count,
    dataSource: fm.source,
    trainLoss: last.trainLoss,
    trainAccuracy: last.trainAccuracy,
    testLoss: test.loss,
    testAccuracy: test.accuracy,
    seconds: (performance.now() - started) / 1000,
    trainSeconds,
    imagesPerSecond: trainSamples / trainSeconds,
    checkpoint,
    history: history.map((h) => ({ epoch: h.epoch, trainLoss: h.trainLoss, trainAccuracy: h.trainAccuracy, seconds: h.seconds })),
  };
  await writeFileAtomic(join(outDir, "result.json"), new TextEncoder().encode(JSON.stringify(result, null, 2) + "\n"));
  if (args.flag("json")) {
    console.log(JSON.stringify(result));
  } else if (!args.flag("quiet")) {
    console.log(`test loss ${test.loss.toFixed(4)}, test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${test.count} images`);
    console.log(`trained in ${formatDuration(trainSeconds)} (${Math.round(result.imagesPerSecond)} images/s); checkpoint: ${checkpoint}`);
  }
  model.dispose();
  return 0;
}
