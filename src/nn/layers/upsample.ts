import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import { interpolate, type InterpolateMode } from "../functional/interpolate.js";

export interface UpsampleOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/** Resizes [N, C, W] / [N, C, H, W] inputs (F.interpolate as a module). */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: UpsampleOptions = {}) {
    super();
    this.size = options.size ?? null;
    this.scaleFactor = options.scaleFactor ?? null;
    this.mode = options.mode ?? "nearest";
    this.alignCorners = options.alignCorners ?? null;
    this.recomputeScaleFactor = options.recomputeScaleFactor ?? null;
  }

  override forward(x: Tensor): Tensor {
    return interpolate(x, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    }, "Upsample");
  }

  override extraRepr(): string {
    return this.size !== null ? `size=${JSON.stringify(this.size)}, mode='${this.mode}'` : `scale_factor=${JSON.stringify(this.scaleFactor)}, mode='${this.mode}'`;
  }
}
