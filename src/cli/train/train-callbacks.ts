// The callbacks of a CLI run: the progress display, metrics.jsonl, and early stopping (--patience).
import { join } from "node:path";
import type { Callback } from "../../train/loop-types.js";
import { EarlyStopping, ProgressLogger, JsonLinesLogger } from "../../train/callbacks.js";

export function trainCallbacks(run: { quiet: boolean; log: (line: string) => void; epochLabel: "val" | "test"; runDir: string; patience: number | null }): Callback[] {
  const callbacks: Callback[] = [new ProgressLogger({ enabled: !run.quiet, log: run.log, valLabel: run.epochLabel }), new JsonLinesLogger(join(run.runDir, "metrics.jsonl"))];
  if (run.patience !== null) callbacks.push(new EarlyStopping({ monitor: "val.loss", patience: run.patience }));
  return callbacks;
}
