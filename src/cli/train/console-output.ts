// What `neurite train` prints: progress lines (stdout, or stderr under --json so that stdout
// holds only the JSON result), the stop notice of an interrupted run, and the final summary.
import { relative } from "node:path";
import type { FitResult } from "../../train/loop-types.js";
import { formatDuration } from "../../train/progress.js";
import { sparkline } from "../../train/report.js";
import type { ZooEntry } from "../model-zoo.js";
import type { TaskData } from "../tasks.js";
import type { SessionOptions } from "./options.js";
import type { RunConfig } from "./run-config.js";
import type { FinalEvaluation, TrainResult } from "./train-result.js";
import { displayPath } from "./run-folder.js";

/** What the run's samples are called in messages. */
export function sampleNoun(entry: ZooEntry): string {
  return entry.task === "char-lm" ? "sequences" : entry.task === "tabular" ? "rows" : "images";
}

/** A progress line: nothing under --quiet, stderr under --json, else stdout. */
export function progressWriter(session: Pick<SessionOptions, "json" | "quiet">): (line: string) => void {
  return (line) => {
    if (session.quiet) return;
    if (session.json) process.stderr.write(line + "\n");
    else console.log(line);
  };
}

export function startLine(run: { entry: ZooEntry; config: RunConfig; data: TaskData; runDir: string; resumedFrom: string | null }): string {
  const { entry, config, data } = run;
  if (run.resumedFrom !== null) return `neurite: resuming ${entry.name} from ${run.resumedFrom}, backend ${config.backend}`;
  return `neurite: training ${entry.name} on ${data.train.length} ${sampleNoun(entry)}${data.val ? ` (+${data.val.length} held out for validation)` : ""} (${data.source}), backend ${config.backend}, ${config.epochs} epoch(s), batch ${config.batchSize}${config.scheduler !== "none" ? `, ${config.scheduler} schedule` : ""}${config.augment ? ", augmented" : ""}, run folder ${displayPath(run.runDir)}`;
}

/** A run stopped before its end (Ctrl-C, --max-steps): where its checkpoint is and how to resume. */
export function reportStopped(fitted: FitResult, run: { runDir: string; checkpointDir: string; json: boolean; maxSteps: number | null }): void {
  const c = fitted.checkpoint;
  const where = c ? `checkpoint saved at epoch ${c.epoch}, step ${c.step} (global step ${c.globalStep})` : "no checkpoint";
  if (run.json) console.log(JSON.stringify({ stopReason: fitted.stopReason, runDir: run.runDir, checkpointDir: run.checkpointDir, epoch: c?.epoch ?? null, step: c?.step ?? null, globalStep: c?.globalStep ?? null }));
  console.error(`neurite train: ${fitted.stopReason === "interrupted" ? "interrupted" : `stopped after ${run.maxSteps} steps`}; ${where}; resume with: neurite train --resume ${displayPath(run.runDir)}`);
}

/** The result as one JSON line (--json), or the final evaluation and where the files are. */
export function printSummary(run: { entry: ZooEntry; config: RunConfig; fitted: FitResult; final: FinalEvaluation; result: TrainResult; epochLabel: "val" | "test"; session: SessionOptions; weights: string; checkpointDir: string }): void {
  const { entry, fitted, result, session } = run;
  if (session.json) {
    console.log(JSON.stringify(result));
    return;
  }
  if (session.quiet) return;
  for (const [label, r] of [["validation", run.final.val], ["test", run.final.test]] as const) {
    if (!r) continue;
    const acc = Number.isFinite(r.accuracy) ? `, ${label} accuracy ${(r.accuracy * 100).toFixed(2)}%` : "";
    const ppl = entry.task === "char-lm" ? `, perplexity ${Math.exp(r.loss).toFixed(2)}` : "";
    console.log(`${label} loss ${r.loss.toFixed(4)}${acc}${ppl} on ${r.count} ${sampleNoun(entry)}`);
  }
  console.log(`loss per step  ${sparkline(fitted.steps.map((s) => s.loss))}`);
  if (fitted.stopReason === "early-stop") console.log(`stopped early: the ${run.epochLabel === "val" ? "validation" : "test"} loss did not improve for ${run.config.patience} epoch(s)`);
  console.log(`trained in ${formatDuration(result.trainSeconds)} (${Math.round(result.imagesPerSecond)} samples/s)`);
  console.log(`weights: ${relative(process.cwd(), run.weights)}   checkpoint: ${relative(process.cwd(), run.checkpointDir)}/`);
  if (result.report) console.log(`report:  ${relative(process.cwd(), result.report)}`);
}
