import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import type { Sample } from "../data/dataset.js";

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface EvalResult {
  loss: number;
  accuracy: number;
  count: number;
  /** Predicted class per sample (when `keepPredictions`). */
  predictions?: Int32Array;
  targets?: Int32Array;
}

/** Number of correct argmax predictions in a batch. */
export function countCorrect(logits: Tensor, target: Tensor): number {
  return tidy(() => logits.argmax(-1).eq(target).sum().itemSync());
}

/**
 * Runs the model in eval mode without gradients over [input, target] batches and returns
 * the mean loss and classification accuracy (restoring the previous train/eval mode).
 */
export async function evaluate(
  model: Module,
  batches: Iterable<Sample> | AsyncIterable<Sample>,
  lossFn: LossFn,
  options: { keepPredictions?: boolean } = {},
): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const preds: number[] = [];
  const targets: number[] = [];
  try {
    for await (const batch of batches as AsyncIterable<Sample>) {
      const [x, y] = batch as Tensor[];
      await noGrad(() =>
        tidy(async () => {
          const out = model.forward(x!) as Tensor;
          const n = y!.shape[0]!;
          lossSum += (await lossFn(out, y!).item()) * n;
          const pred = out.argmax(-1);
          correct += await pred.eq(y!).sum().item();
          if (options.keepPredictions) {
            preds.push(...(await pred.data()));
            targets.push(...(await y!.data()));
          }
          count += n;
        }),
      );
      x!.dispose();
      y!.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  const result: EvalResult = { loss: lossSum / Math.max(count, 1), accuracy: correct / Math.max(count, 1), count };
  if (options.keepPredictions) {
    result.predictions = Int32Array.from(preds);
    result.targets = Int32Array.from(targets);
  }
  return result;
}
