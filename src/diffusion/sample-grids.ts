/**
 * Sample grids while training a generative model: a `fit` callback that draws images at the end
 * of every epoch (and every `everySteps` optimizer steps) and writes them as PNG files
 * (`DIR/epoch-001.png`, `DIR/step-000500.png`). Node only: PNG files are written through
 * grid-png.ts. Drawing uses its own generator, so a run with grids trains (and resumes) exactly as
 * one without.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Callback, EpochInfo, StepInfo } from "../train/fit.js";
import { nodeBuiltin } from "../platform/node-builtins.js";
import { saveImageGrid } from "./grid-png.js";
import type { GridOptions } from "./grid.js";

export interface SampleGridOptions {
  /** Folder the PNG files go to (created when needed). */
  dir: string;
  /** Draws the images: [N, C, H, W] in [-1, 1] (or `grid.range`). The callback disposes them. */
  draw: () => Promise<Tensor>;
  /** Also write a grid every N optimizer steps (default: only at the end of each epoch). */
  everySteps?: number;
  grid?: GridOptions;
  /** Told each file written, e.g. `wrote runs/ddpm/samples/epoch-001.png (20 images in 8.1 s)`. */
  log?: (line: string) => void;
}

export class SampleGridCallback implements Callback {
  private lastOptimizerSteps = 0;

  constructor(readonly options: SampleGridOptions) {
    const every = options.everySteps;
    if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new RangeError(`SampleGridCallback: everySteps must be a positive integer, got ${every}`);
  }

  async onStepEnd(s: StepInfo): Promise<void> {
    const every = this.options.everySteps;
    if (every === undefined || s.optimizerSteps === this.lastOptimizerSteps) return;
    this.lastOptimizerSteps = s.optimizerSteps;
    if (s.optimizerSteps % every === 0) await this.write(`step-${String(s.optimizerSteps).padStart(6, "0")}.png`);
  }

  async onEpochEnd(e: EpochInfo): Promise<void> {
    await this.write(`epoch-${String(e.epoch).padStart(3, "0")}.png`);
  }

  /** Draws a grid and writes it to `name` in the folder; returns the path. */
  async write(name: string): Promise<string> {
    const { join } = nodeBuiltin("path", "sample grids (PNG files)");
    const { makeDirectories } = await import("../io/node-file.js");
    await makeDirectories(this.options.dir, "sample folder");
    const started = performance.now();
    const images = await this.options.draw();
    const n = images.shape[0];
    const path = join(this.options.dir, name);
    try {
      await saveImageGrid(images, path, this.options.grid);
    } finally {
      images.dispose();
    }
    this.options.log?.(`wrote ${path} (${n} images in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return path;
  }
}
