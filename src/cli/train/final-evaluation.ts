// After training: the test set is evaluated once, here; the validation split again with the
// final weights, both on the run's objective. Classifiers keep their predictions (confusion
// matrix, misclassified images); character and diffusion models have none.
import { evaluate } from "../../train/evaluate.js";
import type { ZooEntry } from "../model-zoo.js";
import type { TrainingSetup } from "./training-setup.js";
import type { FinalEvaluation } from "./train-result.js";

export async function evaluateFinal(entry: ZooEntry, setup: TrainingSetup): Promise<FinalEvaluation> {
  const keepPredictions = entry.task !== "char-lm" && entry.task !== "diffusion";
  const { model, testLoader, valLoader, objective } = setup;
  const { loss, ...options } = objective;
  const test = testLoader ? await evaluate(model, testLoader, loss, { keepPredictions, ...options }) : null;
  const val = valLoader ? await evaluate(model, valLoader, loss, { keepPredictions, ...options }) : null;
  return { test, val };
}
