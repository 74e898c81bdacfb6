// report.html and its charts for a finished run: the summary, curves, confusion matrix, the
// most confidently misclassified test images and (character models) a text sample.
import type { Module } from "../../nn/module.js";
import type { FitResult } from "../../train/loop-types.js";
import { formatDuration } from "../../train/progress.js";
import { writeReport, confusionMatrix, type MisclassifiedImage } from "../../train/report.js";
import type { ZooEntry } from "../model-zoo.js";
import type { TaskData } from "../tasks.js";
import { generateText } from "../text-generation.js";
import type { RunConfig } from "./run-config.js";
import type { FinalEvaluation, TrainResult } from "./train-result.js";

/** Fashion-MNIST test images are 28x28. */
const SIDE = 28;
const MAX_MISCLASSIFIED = 40;

/**
 * Writes the report into `runDir` and returns report.html's path, or null when it could not be
 * written (the run itself is saved; the reason is printed).
 */
export async function writeRunReport(run: { entry: ZooEntry; config: RunConfig; data: TaskData; model: Module; fitted: FitResult; final: FinalEvaluation; result: TrainResult; runDir: string }): Promise<string | null> {
  const { entry, config, data, fitted, final, result } = run;
  const { test, val } = final;
  try {
    let text: { title: string; body: string } | undefined;
    if (entry.task === "char-lm" && data.vocab) {
      const body = await generateText(run.model, data.vocab, { length: 300, temperature: 0.8, seed: config.seed, blockSize: data.ctx.blockSize ?? 64, prompt: "" });
      text = { title: "Sample (temperature 0.8)", body };
    }
    const heldOut = test ?? val;
    const confusion = heldOut?.predictions && heldOut.targets && data.classNames ? { classNames: data.classNames, matrix: confusionMatrix(heldOut.targets, heldOut.predictions, data.classNames.length) } : undefined;
    const misclassified = misclassifiedTestImages(final, data);
    const files = await writeReport(run.runDir, {
      title: `neurite train: ${entry.name} on ${data.input ? config.data : entry.task === "fashion-mnist" || entry.task === "diffusion" ? "Fashion-MNIST" : (config.text ?? "fortunes-sample.txt")}`,
      config: Object.fromEntries(Object.entries({ ...config, data: data.source, runDir: run.runDir }).filter(([k, v]) => v !== null && k !== "vocab")),
      summary: {
        ...(test ? { "test loss": test.loss } : {}),
        ...(test && Number.isFinite(test.accuracy) ? { "test accuracy": `${(test.accuracy * 100).toFixed(2)}%` } : {}),
        ...(test && entry.task === "char-lm" ? { "test perplexity": Math.exp(test.loss) } : {}),
        ...(val ? { "validation loss": val.loss } : {}),
        ...(val && Number.isFinite(val.accuracy) ? { "validation accuracy": `${(val.accuracy * 100).toFixed(2)}%` } : {}),
        "train loss": result.trainLoss,
        epochs: result.epochs,
        steps: result.steps,
        "training time": formatDuration(result.trainSeconds),
        "throughput (samples/s)": Math.round(result.imagesPerSecond),
        stopped: fitted.stopReason,
        ...(fitted.resumedFrom ? { "resumed from": `epoch ${fitted.resumedFrom.epoch}, step ${fitted.resumedFrom.step}` } : {}),
      },
      history: fitted.history,
      steps: fitted.steps,
      ...(confusion ? { confusion } : {}),
      ...(misclassified.length ? { misclassified } : {}),
      ...(text ? { text } : {}),
    });
    for (const w of files.warnings) console.error(`neurite train: ${w}`);
    return files.html;
  } catch (e) {
    console.error(`neurite train: the report could not be written (${(e as Error).message.split("\n")[0]}); the run itself is saved`);
    return null;
  }
}

/** The test images predicted wrong, most confident first (Fashion-MNIST, which keeps its test images). */
function misclassifiedTestImages({ test }: FinalEvaluation, data: TaskData): MisclassifiedImage[] {
  const { predictions, targets, confidences } = test ?? {};
  if (!predictions || !targets || !confidences || !data.classNames || !data.testImages) return [];
  const classNames = data.classNames;
  const images = data.testImages;
  const wrong = [...predictions.keys()].filter((i) => predictions[i] !== targets[i]);
  wrong.sort((a, b) => confidences[b]! - confidences[a]! || a - b);
  return wrong.slice(0, MAX_MISCLASSIFIED).map((i) => ({
    pixels: images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE),
    width: SIDE,
    height: SIDE,
    label: classNames[targets[i]!]!,
    predicted: classNames[predictions[i]!]!,
    confidence: confidences[i]!,
    index: i,
  }));
}
