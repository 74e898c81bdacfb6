import type { AnyTypedArray, DType } from "../backend/backend.js";
import { numel } from "./shape.js";

/** PyTorch-like printing: `tensor([[1.0000, 2.0000]], grad_fn=<mul>)`, eliding large tensors. */
export function formatTensor(values: AnyTypedArray, shape: readonly number[], dtype: DType, gradFn: string | null): string {
  const isFloat = dtype === "float32" || dtype === "float64";
  const fmt = (v: number): string => {
    if (dtype === "bool") return v ? "true" : "false";
    if (!isFloat) return String(v);
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e8 || a < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const edge = 3;
  const elide = values.length > 1000;
  const rec = (dim: number, offset: number, indent: string): string => {
    if (shape.length === 0) return fmt(values[0]!);
    const n = shape[dim]!;
    const stride = numel(shape.slice(dim + 1));
    const idx = elide && n > 2 * edge ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)] : [...Array(n).keys()];
    if (dim === shape.length - 1) {
      return `[${idx.map((i) => (i < 0 ? "..." : fmt(values[offset + i]!))).join(", ")}]`;
    }
    const sep = `,${"\n".repeat(shape.length - dim - 1)}${indent} `;
    return `[${idx.map((i) => (i < 0 ? "..." : rec(dim + 1, offset + i * stride, indent + " "))).join(sep)}]`;
  };
  const extras: string[] = [];
  // float32 is the default dtype; every other one is named, as PyTorch does for non-defaults.
  if (dtype !== "float32") extras.push(`dtype=${dtype}`);
  if (gradFn) extras.push(`grad_fn=<${gradFn}>`);
  return `tensor(${rec(0, 0, "       ")}${extras.length ? ", " + extras.join(", ") : ""})`;
}
