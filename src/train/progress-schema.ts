// Checks the training position read from a checkpoint's state.json before any of it is used.
//
// The manifest's hashes catch accidental changes; this catches a state.json that is
// well-formed JSON but not a position this loop could have written (a hand edit with a
// recomputed manifest, a bug, another program): wrong types, out-of-range counters, or counters
// that contradict each other. A bad value would otherwise surface much later as
// "Invalid count value: -1" or, worse, as a run that silently trains on different batches.

import { CheckpointError } from "./checkpoint.js";

export interface SavedPosition {
  epoch: number;
  epochDone: boolean;
  stepInEpoch: number;
  globalStep: number;
  optimizerSteps: number;
  lossSum: number;
  samples: number;
  metricSums: Record<string, unknown>;
  epochSeconds: number;
  trainSeconds: number;
  history: unknown[];
  steps: unknown[];
  stepStride: number;
  dataLoader: { epoch: number; batchIndex: number; epochGeneratorState: number[] | null };
  loaderRng: number[];
  rng: number[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A generator state: four 32-bit words and a spare normal (a number, or NaN for none). */
function isGeneratorState(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === 5 && v.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && typeof v[4] === "number";
}

/**
 * Throws CheckpointError naming the field unless `s` is a consistent training position for a
 * loader with `stepsPerEpoch` batches per epoch.
 */
export function checkSavedPosition(s: unknown, stepsPerEpoch: number, where: string): asserts s is SavedPosition {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: state.json "train" ${msg}; refusing to resume from it`);
  };
  if (!isObject(s)) return fail("is missing or not an object (no training position)");
  for (const k of ["epoch", "stepInEpoch", "globalStep", "optimizerSteps", "samples"] as const) {
    if (!isCount(s[k])) fail(`.${k} must be an integer >= 0, got ${JSON.stringify(s[k])}`);
  }
  for (const k of ["lossSum", "epochSeconds", "trainSeconds"] as const) {
    if (typeof s[k] !== "number" || !Number.isFinite(s[k]) || (k !== "lossSum" && (s[k] as number) < 0)) fail(`.${k} must be a finite number, got ${JSON.stringify(s[k])}`);
  }
  if (typeof s.epochDone !== "boolean") fail(`.epochDone must be true or false, got ${JSON.stringify(s.epochDone)}`);
  if (!isCount(s.stepStride) || s.stepStride < 1) fail(`.stepStride must be an integer >= 1`);
  if (!isObject(s.metricSums)) fail(".metricSums must be an object");
  if (!Array.isArray(s.history) || !Array.isArray(s.steps)) fail(".history and .steps must be arrays");
  if (!isGeneratorState(s.rng)) fail(".rng must be a generator state (4 words and a number)");
  if (!isGeneratorState(s.loaderRng)) fail(".loaderRng must be a generator state (4 words and a number)");
  const dl = s.dataLoader;
  if (!isObject(dl) || !isCount(dl.epoch) || !isCount(dl.batchIndex) || !(dl.epochGeneratorState === null || isGeneratorState(dl.epochGeneratorState))) {
    return fail(".dataLoader must be { epoch, batchIndex: integers >= 0, epochGeneratorState: a generator state or null }");
  }

  // The counters must agree with each other and with the data.
  const { epoch, epochDone, stepInEpoch, globalStep, optimizerSteps } = s as unknown as SavedPosition;
  if (stepInEpoch > stepsPerEpoch) fail(`.stepInEpoch ${stepInEpoch} is beyond the ${stepsPerEpoch} batches of an epoch (was the data changed?)`);
  if (epochDone && epoch > 0 && stepInEpoch !== stepsPerEpoch) fail(`.stepInEpoch ${stepInEpoch} of a finished epoch must be ${stepsPerEpoch}`);
  if (!epochDone && epoch < 1) fail(".epoch must be >= 1 during an epoch");
  const expectedBatch = epochDone ? 0 : stepInEpoch;
  if (dl.batchIndex !== expectedBatch) fail(`.dataLoader.batchIndex ${dl.batchIndex} disagrees with .stepInEpoch ${stepInEpoch} (expected ${expectedBatch})`);
  const expectedLoaderEpoch = epochDone ? epoch : epoch - 1;
  if (dl.epoch !== expectedLoaderEpoch) fail(`.dataLoader.epoch ${dl.epoch} disagrees with .epoch ${epoch} (expected ${expectedLoaderEpoch})`);
  if ((dl.batchIndex > 0) !== (dl.epochGeneratorState !== null)) fail(".dataLoader.epochGeneratorState must be set exactly when an epoch is under way");
  const completed = Math.max(0, epochDone ? epoch : epoch - 1);
  if (globalStep !== completed * stepsPerEpoch + (epochDone ? 0 : stepInEpoch)) {
    fail(`.globalStep ${globalStep} disagrees with epoch ${epoch}, step ${stepInEpoch} at ${stepsPerEpoch} batches per epoch`);
  }
  if (optimizerSteps > globalStep) fail(`.optimizerSteps ${optimizerSteps} exceeds .globalStep ${globalStep}`);
  const history = s.history as unknown[];
  if (history.length !== completed) fail(`.history has ${history.length} epochs, expected ${completed}`);
}
