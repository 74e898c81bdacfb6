import type { AnyTypedArray, DType } from "../backend/backend.js";

export type { DType } from "../backend/backend.js";

export const DTYPES: readonly DType[] = ["float32", "int32", "bool", "float64"];

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function itemSize(dtype: DType): number {
  switch (dtype) {
    case "float32":
    case "int32":
      return 4;
    case "bool":
      return 1;
    case "float64":
      return 8;
  }
}

export function allocArray(dtype: DType, size: number): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
    case "float64":
      return new Float64Array(size);
  }
}

/** Copies/converts any numeric array into the typed array of `dtype`. */
export function toTypedArray(dtype: DType, values: ArrayLike<number>): AnyTypedArray {
  const out = allocArray(dtype, values.length);
  if (dtype === "bool") {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  } else if (dtype === "int32") {
    for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
  } else {
    out.set(values);
  }
  return out;
}

/**
 * Result dtype of a binary arithmetic op, following PyTorch's promotion: float beats int beats
 * bool, and float64 beats float32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  if (a === "int32" || b === "int32") return "int32";
  return "bool";
}

export function assertDType(value: string, op: string): DType {
  if ((DTYPES as readonly string[]).includes(value)) return value as DType;
  throw new TypeError(`${op}: unknown dtype '${value}' (expected one of ${DTYPES.join(", ")})`);
}
