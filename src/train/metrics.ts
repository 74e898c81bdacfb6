import type { Tensor } from "../tensor/tensor.js";

/**
 * A metric, computed batch by batch: `batch` returns a (sum, count) pair and the metric's value
 * over an epoch is the sum of sums over the sum of counts. Keeping only two numbers makes every
 * metric exact to resume from a checkpoint.
 */
export interface Metric {
  name: string;
  /** Called with the model output and the target of one batch (inside a `tidy`). */
  batch(output: Tensor, target: Tensor): Promise<[sum: number, count: number]> | [sum: number, count: number];
}

/** Fraction of argmax predictions equal to integer targets (per token for sequence outputs). */
export function accuracy(): Metric {
  return {
    name: "accuracy",
    batch: async (output, target) => [await output.argmax(-1).eq(target).sum().item(), target.size],
  };
}

/** Fraction of targets among the `k` highest outputs. */
export function topKAccuracy(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be a positive integer, got ${k}`);
  return {
    name: `top${k}Accuracy`,
    batch: async (output, target) => {
        const classes = output.shape[output.shape.length - 1]!;
        const logits = await output.data();
        const t = await target.data();
        let hits = 0;
        for (let i = 0; i < t.length; i++) {
          const row = i * classes;
          const v = logits[row + t[i]!]!;
          let above = 0;
          for (let c = 0; c < classes && above < k; c++) if (logits[row + c]! > v) above++;
          if (above < k) hits++;
        }
        return [hits, t.length];
      },
  };
}

/** Running (sum, count) pairs by metric name. */
export type MetricSums = Record<string, [number, number]>;

export function addSums(sums: MetricSums, name: string, [s, c]: [number, number]): void {
  const cur = sums[name] ?? [0, 0];
  sums[name] = [cur[0] + s, cur[1] + c];
}

export function metricValues(sums: MetricSums): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, [s, c]] of Object.entries(sums)) out[name] = c > 0 ? s / c : NaN;
  return out;
}
