// After training: the test set is evaluated once, here; the validation split again with the
// final weights. Classifiers keep their predictions (confusion matrix, misclassified images).
import { evaluate } from "../../train/evaluate.js";
import type { ZooEntry } from "../model-zoo.js";
import { taskLoss } from "../tasks.js";
import type { TrainingSetup } from "./training-setup.js";
import type { FinalEvaluation } from "./train-result.js";

export async function evaluateFinal(entry: ZooEntry, setup: TrainingSetup): Promise<FinalEvaluation> {
  const keepPredictions = entry.task !== "char-lm";
  const { model, testLoader, valLoader } = setup;
  const test = testLoader ? await evaluate(model, testLoader, taskLoss, { keepPredictions }) : null;
  const val = valLoader ? await evaluate(model, valLoader, taskLoss, { keepPredictions }) : null;
  return { test, val };
}
