import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import type { Sample } from "../data/dataset.js";
import { accuracy as accuracyMetric, addSums, metricValues, type Metric, type MetricSums } from "./metrics.js";

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/**
 * The forward pass of one batch when the model needs more than the inputs: a class-conditional
 * diffusion model takes the labels too, `(m, x, y) => m.forward(x, y)`. Its result goes to the
 * loss and the metrics with the targets, as `model.forward(inputs)`'s does by default.
 */
export type ForwardFn = (model: Module, inputs: Tensor, targets: Tensor) => unknown;

/**
 * The prediction of `model.forward`: the tensor itself, or the first element when a model
 * returns a tuple (recurrent models return [output, state], as in PyTorch).
 */
export function modelOutput(out: unknown): Tensor {
  return (Array.isArray(out) ? out[0] : out) as Tensor;
}

export interface EvalResult {
  loss: number;
  /** Accuracy (NaN when the accuracy metric is not computed). */
  accuracy: number;
  /** Every metric by name. */
  metrics: Record<string, number>;
  count: number;
  /** Predicted class per sample (when `keepPredictions`). */
  predictions?: Int32Array;
  targets?: Int32Array;
  /** Softmax probability of the predicted class (when `keepPredictions`). */
  confidences?: Float32Array;
}

/** Number of correct argmax predictions in a batch. */
export function countCorrect(logits: Tensor, target: Tensor): number {
  return tidy(() => logits.argmax(-1).eq(target).sum().itemSync());
}

/**
 * Runs the model in eval mode without gradients over [input, target] batches and returns the
 * mean loss and metrics (default: accuracy), restoring the previous train/eval mode.
 */
export async function evaluate(
  model: Module,
  batches: Iterable<Sample> | AsyncIterable<Sample>,
  lossFn: LossFn,
  /** `forward`: the forward pass of a batch when the model takes the targets too (see ForwardFn). */
  options: { keepPredictions?: boolean; metrics?: Metric[]; forward?: ForwardFn } = {},
): Promise<EvalResult> {
  const metrics = options.metrics ?? [accuracyMetric()];
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let count = 0;
  const sums: MetricSums = {};
  const preds: number[] = [];
  const targets: number[] = [];
  const confidences: number[] = [];
  try {
    for await (const batch of batches as AsyncIterable<Sample>) {
      const [x, y] = batch as Tensor[];
      try {
        await noGrad(() =>
          tidy(async () => {
            const out = modelOutput(options.forward ? options.forward(model, x!, y!) : model.forward(x!));
            const n = y!.shape[0]!;
            lossSum += (await lossFn(out, y!).item()) * n;
            for (const m of metrics) addSums(sums, m.name, await m.batch(out, y!));
            if (options.keepPredictions) {
              preds.push(...(await out.argmax(-1).data()));
              targets.push(...(await y!.data()));
              confidences.push(...(await out.softmax(-1).max(-1).data()));
            }
            count += n;
          }),
        );
      } finally {
        x!.dispose();
        y!.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const values = metricValues(sums);
  const result: EvalResult = { loss: lossSum / Math.max(count, 1), accuracy: values.accuracy ?? NaN, metrics: values, count };
  if (options.keepPredictions) {
    result.predictions = Int32Array.from(preds);
    result.targets = Int32Array.from(targets);
    result.confidences = Float32Array.from(confidences);
  }
  return result;
}
