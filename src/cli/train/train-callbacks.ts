// The callbacks of a CLI run: the progress display, metrics.jsonl, early stopping (--patience),
// and the model's own (ddpm: the EMA of its weights and sample grids; their state is in the checkpoint).
import { join } from "node:path";
import type { Module } from "../../nn/module.js";
import type { Callback } from "../../train/loop-types.js";
import { EarlyStopping, ProgressLogger, JsonLinesLogger } from "../../train/callbacks.js";
import type { ZooEntry } from "../model-zoo.js";

export function trainCallbacks(run: { entry: ZooEntry; model: Module; quiet: boolean; log: (line: string) => void; epochLabel: "val" | "test"; runDir: string; patience: number | null }): Callback[] {
  const callbacks: Callback[] = [new ProgressLogger({ enabled: !run.quiet, log: run.log, valLabel: run.epochLabel }), new JsonLinesLogger(join(run.runDir, "metrics.jsonl"))];
  if (run.patience !== null) callbacks.push(new EarlyStopping({ monitor: "val.loss", patience: run.patience }));
  if (run.entry.callbacks) callbacks.push(...run.entry.callbacks({ model: run.model, runDir: run.runDir, log: run.log }));
  return callbacks;
}
