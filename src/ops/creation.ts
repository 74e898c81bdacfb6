import type { AnyTypedArray, Backend, DType } from "../backend/backend.js";
import { currentBackend, readyBackend } from "../backend/registry.js";
import { Storage } from "../memory/storage.js";
import { Tensor, type NestedArray } from "../tensor/tensor.js";
import { allocArray, assertDType, isFloat, itemSize, toTypedArray } from "../tensor/dtype.js";
import { describeTensor, withOomContext } from "../memory/out-of-memory.js";
import { contiguousStrides, numel, shapeToString } from "../tensor/shape.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

export interface CreateOptions extends TensorOptions {
  shape?: readonly number[];
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function backendFor(device: string | undefined): Backend {
  return device === undefined ? currentBackend() : readyBackend(device, "tensor");
}

/** Wraps values already converted to `dtype` (takes no ownership of `data`). */
export function fromTypedArray(data: AnyTypedArray, shape: readonly number[], dtype: DType, options: TensorOptions = {}): Tensor {
  if (data.length !== numel(shape)) {
    throw new RangeError(`tensor: ${data.length} values cannot fill shape ${shapeToString(shape)} (${numel(shape)} elements)`);
  }
  const backend = backendFor(options.device);
  const buf = withOomContext("tensor", backend.name, () => describeTensor(shape, dtype, itemSize(dtype)), () => backend.upload(dtype, data));
  const t = new Tensor(new Storage(backend, buf), shape, contiguousStrides(shape), 0, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferNested(data: NestedArray, op: string): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
    if (probe === undefined) break;
  }
  const flat: (number | boolean)[] = [];
  const walk = (node: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(node)) throw new RangeError(`${op}: ragged nested array (expected shape ${shapeToString(shape)})`);
      if (typeof node !== "number" && typeof node !== "boolean") throw new TypeError(`${op}: expected numbers or booleans, got ${typeof node}`);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new RangeError(`${op}: ragged nested array: expected ${shape[dim]} entries at depth ${dim}, got ${Array.isArray(node) ? node.length : "a scalar"}`);
    }
    for (const child of node) walk(child, dim + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

/**
 * `nt.tensor(data, { shape, dtype, requiresGrad, device })`: from a number, a (nested) array
 * or a flat typed array (with `shape`). Integers give int32, booleans bool, else float32.
 */
export function tensor(data: NestedArray | ArrayLike<number>, options: CreateOptions = {}): Tensor {
  if (options.dtype !== undefined) assertDType(options.dtype, "tensor");
  if (ArrayBuffer.isView(data)) {
    const arr = data as unknown as AnyTypedArray;
    const shape = options.shape ?? [arr.length];
    if (options.shape !== undefined) checkShape(options.shape, "tensor");
    const dtype = options.dtype ?? (arr instanceof Int32Array ? "int32" : arr instanceof Float64Array ? "float32" : arr instanceof Uint8Array ? "int32" : "float32");
    return fromTypedArray(toTypedArray(dtype, arr), shape, dtype, options);
  }
  const { shape, flat } = inferNested(data as NestedArray, "tensor");
  if (options.shape !== undefined) checkShape(options.shape, "tensor");
  const allBool = flat.length > 0 && flat.every((v) => typeof v === "boolean");
  const allInt = flat.every((v) => typeof v === "number" && Number.isInteger(v));
  const dtype = options.dtype ?? (allBool ? "bool" : allInt && flat.length > 0 ? "int32" : "float32");
  const values = toTypedArray(dtype, flat.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v)));
  const finalShape = options.shape ?? shape;
  return fromTypedArray(values, finalShape, dtype, options);
}

/**
 * The most elements a creation op accepts: 2^32, the longest typed array V8 can make. A larger
 * request is refused by name and size here; a smaller one that does not fit in memory fails in
 * the allocation with an out-of-memory error that names the op (see memory/out-of-memory.ts).
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

function checkShape(shape: readonly number[], op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(`${op}: invalid shape ${Array.isArray(shape) ? `[${shape.map(String).join(", ")}]` : String(shape)} (expected non-negative integers)`);
  }
  checkElementCount(numel(shape), op, `shape ${shapeToString(shape)}`);
}

/** A creation op asked for more elements than a tensor can hold (MAX_TENSOR_ELEMENTS). */
export class TensorTooLargeError extends RangeError {
  override name = "TensorTooLargeError";
  constructor(
    readonly op: string,
    readonly elements: number,
    what: string,
  ) {
    super(`${op}: ${what} has ${elements} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor can hold`);
  }
}

function checkElementCount(n: number, op: string, what: string): void {
  if (n > MAX_TENSOR_ELEMENTS) throw new TensorTooLargeError(op, n, what);
}

/** A size argument: a finite integer >= 0 (and within the element limit). */
function checkSize(value: number, op: string, name: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  checkElementCount(value, op, `${name} = ${value}`);
}

/** The host array for a creation op; an allocation failure names the op and the size. */
function allocHost(op: string, dtype: DType, n: number, shape: readonly number[]): AnyTypedArray {
  return withOomContext(op, "host", () => describeTensor(shape, dtype, itemSize(dtype)), () => allocArray(dtype, n));
}

function checkFinite(value: number, op: string, name: string): void {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`${op}: ${name} must be a finite number, got ${String(value)}`);
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape(shape, "full");
  const dtype = options.dtype ?? (typeof value === "boolean" ? "bool" : "float32");
  const backend = backendFor(options.device);
  const buf = withOomContext("full", backend.name, () => describeTensor(shape, dtype, itemSize(dtype)), () => backend.fill(dtype, numel(shape), value));
  const t = new Tensor(new Storage(backend, buf), shape, contiguousStrides(shape), 0, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

export const zeros = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 0, options);
export const ones = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 1, options);

const likeOptions = (t: Tensor, options: TensorOptions): TensorOptions => ({ dtype: t.dtype, device: t.device, ...options });
export const zerosLike = (t: Tensor, options: TensorOptions = {}): Tensor => zeros(t.shape, likeOptions(t, options));
export const onesLike = (t: Tensor, options: TensorOptions = {}): Tensor => ones(t.shape, likeOptions(t, options));
export const fullLike = (t: Tensor, value: number, options: TensorOptions = {}): Tensor => full(t.shape, value, likeOptions(t, options));

/** `arange(end)` or `arange(start, end, step)`. Integer arguments give int32. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  checkFinite(start, "arange", "start");
  checkFinite(end, "arange", "end");
  checkFinite(step, "arange", "step");
  if (step === 0) throw new RangeError("arange: step must be nonzero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkElementCount(n, "arange", `arange(${start}, ${end}, ${step})`);
  const dtype = options.dtype ?? ([start, end, step].every(Number.isInteger) ? "int32" : "float32");
  const data = allocHost("arange", dtype, n, [n]);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromTypedArray(data, [n], dtype, options);
}

export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  checkFinite(start, "linspace", "start");
  checkFinite(end, "linspace", "end");
  checkSize(steps, "linspace", "steps");
  const dtype = options.dtype ?? "float32";
  const data = allocHost("linspace", dtype, steps, [steps]);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return fromTypedArray(data, [steps], dtype, options);
}

export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkSize(n, "eye", "n");
  checkSize(m, "eye", "m");
  checkElementCount(n * m, "eye", `shape [${n}, ${m}]`);
  const dtype = options.dtype ?? "float32";
  const data = allocHost("eye", dtype, n * m, [n, m]);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromTypedArray(data, [n, m], dtype, options);
}

function randomTensor(shape: readonly number[], options: RandomOptions, draw: (g: Generator) => number, op: string): Tensor {
  checkShape(shape, op);
  const dtype = options.dtype ?? "float32";
  if (!isFloat(dtype)) throw new TypeError(`${op}: dtype must be floating point, got ${dtype}`);
  const g = options.generator ?? defaultGenerator;
  const n = numel(shape);
  const data = allocHost(op, dtype, n, shape);
  for (let i = 0; i < n; i++) data[i] = draw(g);
  return fromTypedArray(data, shape, dtype, options);
}

/** Uniform on [0, 1). */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomTensor(shape, options, (g) => g.random(), "rand");
/** Standard normal. */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor => randomTensor(shape, options, (g) => g.normal(), "randn");
export const randLike = (t: Tensor, options: RandomOptions = {}): Tensor => rand(t.shape, { device: t.device, dtype: t.dtype, ...options });
export const randnLike = (t: Tensor, options: RandomOptions = {}): Tensor => randn(t.shape, { device: t.device, dtype: t.dtype, ...options });

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, "randint");
  // Values are drawn as doubles and stored as int32: both bounds must be integers in int32 range.
  for (const [name, v] of [["low", low], ["high", high]] as const) {
    if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v > 2 ** 31) {
      throw new RangeError(`randint: ${name} must be an integer from -2^31 to 2^31 (int32 values), got ${String(v)}`);
    }
  }
  if (high <= low) throw new RangeError(`randint: high (${high}) must be greater than low (${low})`);
  const g = options.generator ?? defaultGenerator;
  const dtype = options.dtype ?? "int32";
  const data = allocHost("randint", dtype, numel(shape), shape);
  for (let i = 0; i < data.length; i++) data[i] = g.int(low, high);
  return fromTypedArray(data, shape, dtype, options);
}

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  checkSize(n, "randperm", "n");
  const g = options.generator ?? defaultGenerator;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const tmp = data[i]!;
    data[i] = data[j]!;
    data[j] = tmp;
  }
  return fromTypedArray(data, [n], "int32", options);
}
