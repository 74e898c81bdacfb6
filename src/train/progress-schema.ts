// Checks the training position read from a checkpoint's state.json before any of it is used.
//
// The manifest's hashes catch accidental changes; this catches a state.json that is
// well-formed JSON but not a position this loop could have written (a hand edit with a
// recomputed manifest, a bug, another program): wrong types, out-of-range counters, or counters
// that contradict each other. A bad value would otherwise surface much later as
// "Invalid count value: -1" or, worse, as a run that silently trains on different batches.
//
// The field checks are keyed by SavedTrainingState's own fields (training-progress.ts): a field
// added there without a check here does not compile.

import { CheckpointError } from "./checkpoint.js";
import { STOP_REASONS } from "./loop-types.js";
import type { SavedTrainingState } from "./training-progress.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A generator state: four 32-bit words and a spare normal (a number, or NaN for none). */
function isGeneratorState(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === 5 && v.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && typeof v[4] === "number";
}

/** What is wrong with one field's value (after its name), or null when it is fine. */
type FieldCheck = (v: unknown) => string | null;

const count: FieldCheck = (v) => (isCount(v) ? null : `must be an integer >= 0, got ${JSON.stringify(v)}`);
const finiteNumber =
  (min: number): FieldCheck =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && v >= min ? null : `must be a finite number, got ${JSON.stringify(v)}`;
const generatorState: FieldCheck = (v) => (isGeneratorState(v) ? null : "must be a generator state (4 words and a number)");
const array: FieldCheck = (v) => (Array.isArray(v) ? null : "must be an array");
const anything: FieldCheck = () => null;

/** One check per saved field, in the order they are reported. */
const FIELD_CHECKS: { readonly [K in keyof SavedTrainingState]-?: FieldCheck } = {
  epoch: count,
  stepInEpoch: count,
  globalStep: count,
  optimizerSteps: count,
  samples: count,
  lossSum: finiteNumber(-Infinity),
  epochSeconds: finiteNumber(0),
  trainSeconds: finiteNumber(0),
  epochDone: (v) => (typeof v === "boolean" ? null : `must be true or false, got ${JSON.stringify(v)}`),
  stepStride: (v) => (isCount(v) && v >= 1 ? null : "must be an integer >= 1"),
  metricSums: (v) => (isObject(v) ? null : "must be an object"),
  history: array,
  steps: array,
  rng: generatorState,
  loaderRng: generatorState,
  dataLoader: (dl) =>
    isObject(dl) && isCount(dl.epoch) && isCount(dl.batchIndex) && (dl.epochGeneratorState === null || isGeneratorState(dl.epochGeneratorState))
      ? null
      : "must be { epoch, batchIndex: integers >= 0, epochGeneratorState: a generator state or null }",
  // Not used to position the run (resuming sets them anew), but written by every save.
  epochs: (v) => (v === undefined || isCount(v) ? null : `must be an integer >= 0, got ${JSON.stringify(v)}`),
  stopReason: (v) => (v === undefined || v === null || (STOP_REASONS as readonly unknown[]).includes(v) ? null : `must be null or one of ${STOP_REASONS.join(", ")}`),
  // Owned by the scheduler's and callbacks' own loadStateDict.
  scheduler: anything,
  callbacks: (v) => (v === undefined || isObject(v) ? null : "must be an object of callback states"),
};

/**
 * Throws CheckpointError naming the field unless `s` is a consistent training position for a
 * loader with `stepsPerEpoch` batches per epoch.
 */
export function checkSavedPosition(s: unknown, stepsPerEpoch: number, where: string): asserts s is SavedTrainingState {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: state.json "train" ${msg}; refusing to resume from it`);
  };
  if (!isObject(s)) return fail("is missing or not an object (no training position)");
  if (!hasSavedFields(s, fail)) return;
  checkConsistency(s, stepsPerEpoch, fail);
}

/** Every field of SavedTrainingState passes its check (else `fail` throws, naming the first that does not). */
function hasSavedFields(s: Record<string, unknown>, fail: (msg: string) => never): s is Record<string, unknown> & SavedTrainingState {
  for (const [field, check] of Object.entries(FIELD_CHECKS) as [string, FieldCheck][]) {
    const problem = check(s[field]);
    if (problem !== null) fail(`.${field} ${problem}`);
  }
  return true;
}

/** The counters must agree with each other and with the data. */
function checkConsistency(s: SavedTrainingState, stepsPerEpoch: number, fail: (msg: string) => never): void {
  const { epoch, epochDone, stepInEpoch, globalStep, optimizerSteps, dataLoader: dl } = s;
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
  if (s.history.length !== completed) fail(`.history has ${s.history.length} epochs, expected ${completed}`);
}
