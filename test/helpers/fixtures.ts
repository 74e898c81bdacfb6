import { readFileSync } from "node:fs";
import * as nt from "../../src/index.js";
import type { DType, Tensor } from "../../src/index.js";

export interface FixtureTensor {
  shape: number[];
  dtype?: string;
  values: number[];
}

/** JSON has no NaN or infinities; the fixture scripts write them as these strings. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

export function loadFixture<T>(name: string): T {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
  return JSON.parse(text, (_key, value: unknown) => (typeof value === "string" && value in NON_FINITE ? NON_FINITE[value] : value)) as T;
}

/** Builds a tensor from fixture values; floats become `floatDtype`. */
export function fromFixture(f: FixtureTensor, floatDtype: DType = "float32", requiresGrad = false): Tensor {
  const dtype = f.dtype === "bool" ? "bool" : f.dtype === "int32" ? "int32" : floatDtype;
  return nt.tensor(f.values, { shape: f.shape, dtype, requiresGrad: requiresGrad && (dtype === "float32" || dtype === "float64") });
}

/** Max |a-b| / (atol + rtol*|b|) style check with a readable failure message. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e)) {
      // NaN against a number, or an infinity against anything else: never close
      throw new Error(`${what}: mismatch at flat index ${i}: got ${a}, expected ${e}`);
    }
    const err = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  if (worst > 1) {
    throw new Error(`${what}: mismatch at flat index ${worstAt}: got ${actual[worstAt]}, expected ${expected[worstAt]} (rtol ${rtol}, atol ${atol})`);
  }
}
