/**
 * The webgpu backend against the cpu reference, method by method: random inputs, odd sizes,
 * contiguous / offset / transposed / stride-0 views, float32, int32 and bool. Runs on any
 * WebGPU adapter, including Mesa's lavapipe on a machine without a GPU
 * (tools/setup-webgpu-ci.sh); skipped with a note where no adapter can be created, unless
 * NEURITE_REQUIRE_WEBGPU=1 (CI) makes that a failure.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { contiguousStrides as cstrides, numel } from "../src/tensor/shape.js";
import type { AnyTypedArray, Backend, BackendBuffer, BinaryOp, DType, ReduceOp, UnaryOp, View, WindowGeometry } from "../src/backend/backend.js";
import { CpuBackend } from "../src/backend/cpu/cpu-backend.js";
import { createWebGPUBackend, type WebGPUBackend } from "../src/backend/webgpu/index.js";

let gpu: WebGPUBackend | null = null;
let unavailable = "";
try {
  gpu = await createWebGPUBackend();
} catch (e) {
  unavailable = (e as Error).message;
  if (process.env["NEURITE_REQUIRE_WEBGPU"] === "1") throw e;
  console.log(`# webgpu unavailable here, skipping: ${unavailable}`);
}
const cpu = new CpuBackend();

// ---- deterministic inputs ----
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);

type Gen = (i: number) => number;
const normal: Gen = () => (rand() + rand() + rand() - 1.5) * 2.5;
const positive: Gen = () => 0.05 + rand() * 4;
const ints: Gen = () => Math.floor(rand() * 21) - 10;
const bools: Gen = () => (rand() < 0.5 ? 1 : 0);

function array(dtype: DType, n: number, gen: Gen): AnyTypedArray {
  const a = dtype === "float32" ? new Float32Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = gen(i);
  return a;
}


type Kind = "contig" | "offset" | "transposed" | "broadcast";
interface Pair {
  c: View;
  g: View;
}

/** The same logical view on both backends, over identical random memory. */
function pair(dtype: DType, shape: readonly number[], kind: Kind = "contig", gen: Gen = dtype === "float32" ? normal : dtype === "int32" ? ints : bools): Pair {
  let phys: number;
  let strides: number[];
  let offset = 0;
  if (kind === "contig" || shape.length === 0) {
    phys = numel(shape);
    strides = cstrides(shape);
  } else if (kind === "offset") {
    offset = 5;
    phys = numel(shape) + 7;
    strides = cstrides(shape);
  } else if (kind === "transposed") {
    const rev = [...shape].reverse();
    phys = numel(shape);
    strides = cstrides(rev).reverse();
  } else {
    const inner = shape.slice(1);
    phys = numel(inner);
    strides = [0, ...cstrides(inner)];
  }
  const data = array(dtype, phys, gen);
  const mk = (b: Backend): View => ({ buf: b.upload(dtype, data), shape, strides, offset, dtype });
  return { c: mk(cpu), g: mk(gpu!) };
}

async function expectSame(what: string, c: BackendBuffer, g: BackendBuffer, rtol = 1e-5, atol = 1e-6): Promise<void> {
  assert.equal(g.dtype, c.dtype, `${what}: dtype`);
  assert.equal(g.size, c.size, `${what}: size`);
  const want = cpu.readSync(c);
  const got = await gpu!.read(g);
  assert.equal(got.constructor, want.constructor, `${what}: array type`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = want[i]!;
    const a = got[i]!;
    if (e === a || (Number.isNaN(e) && Number.isNaN(a))) continue;
    const err = c.dtype === "float32" ? Math.abs(a - e) / (atol + rtol * Math.abs(e)) : Infinity;
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (worst > 1) assert.fail(`${what}: at ${at} got ${got[at]}, expected ${want[at]} (rtol ${rtol}, atol ${atol}; ${want.length} elements)`);
  gpu!.free(g);
}

const SIZES = [1, 3, 17, 255, 1023];
const KINDS: Kind[] = ["contig", "offset", "transposed", "broadcast"];
const shapesFor = (n: number): number[][] => [[n], [3, n], [n, 2, 3]];

describe("webgpu backend vs cpu", { skip: gpu ? false : unavailable }, () => {
  before(() => {
    console.log(`# webgpu adapter: ${gpu!.description}`);
  });
  after(async () => {
    const s = gpu!.dispatchStats();
    console.log(`# webgpu: ${s.dispatches} dispatches, ${s.submits} submits, ${s.pipelines} pipelines`);
    await gpu!.dispose();
  });

  test("memory: alloc, upload, read, free, readSync throws, float64 rejected", async () => {
    for (const dtype of ["float32", "int32", "bool"] as const) {
      for (const n of [0, 1, 3, 1023]) {
        const z = gpu!.alloc(dtype, n);
        assert.deepEqual([...(await gpu!.read(z))], new Array(n).fill(0));
        gpu!.free(z);
        const data = array(dtype, n, dtype === "float32" ? normal : dtype === "int32" ? ints : bools);
        const u = gpu!.upload(dtype, data);
        const back = await gpu!.read(u);
        assert.equal(back.constructor, data.constructor);
        assert.deepEqual([...back], [...data]);
        gpu!.free(u);
      }
    }
    const b = gpu!.upload("float32", new Float32Array([1, 2]));
    assert.throws(() => gpu!.readSync(b), /readSync is not possible on the webgpu backend/);
    assert.equal(gpu!.canReadSync, false);
    gpu!.free(b);
    gpu!.free(b); // double free is harmless
    assert.throws(() => gpu!.upload("float64", new Float64Array(3)), /dtype 'float64' is not supported on the webgpu backend/);
    assert.throws(() => gpu!.alloc("float64", 3), /float64/);
  });

  test("validation errors surface as thrown errors at the next call", async () => {
    gpu!.ctx.device.createBuffer({ size: 16, usage: 0 }); // invalid: no usage
    await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(async () => gpu!.read(gpu!.upload("float32", new Float32Array([1, 2]))), /webgpu: GPUValidationError: Buffer usages/);
    // The error is reported once; the backend keeps working.
    const b = gpu!.upload("float32", new Float32Array([1, 2]));
    assert.deepEqual([...(await gpu!.read(b))], [1, 2]);
    gpu!.free(b);
  });

  test("fill", async () => {
    for (const [dtype, v] of [["float32", 0], ["float32", -2.5], ["float32", Infinity], ["int32", 7], ["int32", -3], ["bool", 1], ["bool", 0]] as const) {
      for (const n of [1, 17, 1023]) await expectSame(`fill ${dtype} ${v}`, cpu.fill(dtype, n, v), gpu!.fill(dtype, n, v));
    }
  });

  const UNARY: UnaryOp[] = ["neg", "exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "erf", "relu", "sign", "floor", "ceil", "round", "reciprocal", "logicalNot"];
  const POSITIVE_ONLY = new Set<UnaryOp>(["log", "sqrt", "rsqrt", "reciprocal"]);
  test("unary float32 (every op, every view kind)", async () => {
    for (const op of UNARY) {
      const gen: Gen = POSITIVE_ONLY.has(op) ? positive : op === "round" ? () => Math.round(normal(0) * 4) / 2 : op === "exp" ? () => normal(0) * 4 : normal;
      for (const n of SIZES) {
        for (const kind of KINDS) {
          const shape = kind === "contig" || kind === "offset" ? [n] : [3, n];
          const x = pair("float32", shape, kind, gen);
          await expectSame(`${op} ${kind} [${shape}]`, cpu.unary(op, x.c), gpu!.unary(op, x.g), 2e-6, 2e-6);
        }
      }
    }
  });

  test("unary special values", async () => {
    const vals = new Float32Array([0, -0, 1e-6, -1e-6, 0.4, -0.7, 3, -12, 30, -30, 88, -100, Infinity, -Infinity, NaN, 2.5, -2.5, 0.5, 1.5]);
    for (const op of ["neg", "abs", "tanh", "sigmoid", "erf", "relu", "sign", "floor", "ceil", "round", "exp"] as UnaryOp[]) {
      const c = cpu.upload("float32", vals);
      const g = gpu!.upload("float32", vals);
      const v = (buf: BackendBuffer): View => ({ buf, shape: [vals.length], strides: [1], offset: 0, dtype: "float32" });
      await expectSame(`${op} special`, cpu.unary(op, v(c)), gpu!.unary(op, v(g)), 2e-6, 1e-7);
    }
  });

  test("unary int32 and bool", async () => {
    for (const op of ["neg", "abs", "sign", "relu", "logicalNot", "floor"] as UnaryOp[]) {
      for (const kind of KINDS) {
        const x = pair("int32", [17, 5], kind);
        await expectSame(`${op} int32 ${kind}`, cpu.unary(op, x.c), gpu!.unary(op, x.g));
      }
    }
    const b = pair("bool", [255], "offset");
    await expectSame("logicalNot bool", cpu.unary("logicalNot", b.c), gpu!.unary("logicalNot", b.g));
  });

  const ARITH: BinaryOp[] = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"];
  const COMPARE: BinaryOp[] = ["eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"];
  test("binary float32 (every op, mixed view kinds, broadcasting)", async () => {
    for (const op of [...ARITH, ...COMPARE]) {
      const out: DType = COMPARE.includes(op) ? "bool" : "float32";
      const gb: Gen = op === "pow" ? () => Math.floor(rand() * 7) - 3 : op === "div" ? positive : op === "eq" || op === "ne" ? () => Math.floor(rand() * 3) : normal;
      const ga: Gen = op === "eq" || op === "ne" ? () => Math.floor(rand() * 3) : normal;
      for (const n of SIZES) {
        const combos: [Kind, Kind][] = [["contig", "contig"], ["offset", "transposed"], ["transposed", "broadcast"], ["broadcast", "offset"]];
        for (const [ka, kb] of combos) {
          const shape = [3, n];
          const a = pair("float32", shape, ka, ga);
          const b = pair("float32", shape, kb, gb);
          await expectSame(`${op} ${ka}/${kb} [${shape}]`, cpu.binary(op, a.c, b.c, out), gpu!.binary(op, a.g, b.g, out), 5e-6, 1e-6);
        }
      }
    }
    // pow with fractional exponents on positive bases; x**0 and 0**y
    const a = pair("float32", [255], "contig", positive);
    const b = pair("float32", [255], "offset", normal);
    await expectSame("pow fractional", cpu.binary("pow", a.c, b.c, "float32"), gpu!.binary("pow", a.g, b.g, "float32"), 2e-5, 1e-6);
    const z = pair("float32", [5], "contig", (i) => [0, 0, 0, -2, NaN][i]!);
    const e = pair("float32", [5], "contig", (i) => [0, 2, -1, 0, 0][i]!);
    await expectSame("pow edge cases", cpu.binary("pow", z.c, e.c, "float32"), gpu!.binary("pow", z.g, e.g, "float32"));
    const nan = pair("float32", [3], "contig", (i) => [NaN, 1, NaN][i]!);
    const one = pair("float32", [3], "contig", (i) => [1, NaN, 2][i]!);
    for (const op of ["maximum", "minimum"] as BinaryOp[]) await expectSame(`${op} NaN`, cpu.binary(op, nan.c, one.c, "float32"), gpu!.binary(op, nan.g, one.g, "float32"));
  });

  test("binary int32 and bool", async () => {
    for (const op of ["add", "sub", "mul", "pow", "maximum", "minimum", ...COMPARE] as BinaryOp[]) {
      const out: DType = COMPARE.includes(op) ? "bool" : "int32";
      const a = pair("int32", [17, 17], "transposed");
      const b = pair("int32", [17, 17], "broadcast", op === "pow" ? () => Math.floor(rand() * 5) - 1 : ints);
      await expectSame(`${op} int32`, cpu.binary(op, a.c, b.c, out), gpu!.binary(op, a.g, b.g, out));
    }
    for (const op of ["logicalAnd", "logicalOr", "eq", "ne"] as BinaryOp[]) {
      const a = pair("bool", [255], "offset");
      const b = pair("bool", [255], "contig");
      await expectSame(`${op} bool`, cpu.binary(op, a.c, b.c, "bool"), gpu!.binary(op, a.g, b.g, "bool"));
    }
    // mixed: int32 + float32 -> float32
    const a = pair("int32", [33], "contig");
    const b = pair("float32", [33], "offset");
    await expectSame("add int32+float32", cpu.binary("add", a.c, b.c, "float32"), gpu!.binary("add", a.g, b.g, "float32"));
    // int32 division truncates, x / 0 gives 0 and INT_MIN / -1 wraps, as on the cpu reference
    const num = pair("int32", [6], "contig", (i) => [7, -7, 5, -2147483648, 9, 0][i]!);
    const den = pair("int32", [6], "contig", (i) => [2, 2, 0, -1, -3, 0][i]!);
    await expectSame("div int32", cpu.binary("div", num.c, den.c, "int32"), gpu!.binary("div", num.g, den.g, "int32"));
    assert.deepEqual([...cpu.readSync(cpu.binary("div", num.c, den.c, "int32"))], [3, -3, 0, -2147483648, -3, 0]);
  });

  test("where", async () => {
    for (const dtype of ["float32", "int32", "bool"] as const) {
      for (const n of [1, 17, 1023]) {
        const c = pair("bool", [2, n], "broadcast");
        const a = pair(dtype, [2, n], "transposed");
        const b = pair(dtype, [2, n], "offset");
        await expectSame(`where ${dtype} ${n}`, cpu.where(c.c, a.c, b.c), gpu!.where(c.g, a.g, b.g));
      }
    }
  });

  test("cast (every dtype pair) and contiguous", async () => {
    const special: Gen = (i) => [0, -0.5, 0.5, 2.7, -2.7, 1e9, NaN, -1][i % 8]!;
    for (const from of ["float32", "int32", "bool"] as const) {
      for (const to of ["float32", "int32", "bool"] as const) {
        for (const kind of KINDS) {
          const x = pair(from, [4, 17], kind, from === "float32" ? (i) => (i < 8 ? special(i) : normal(i) * 3) : undefined);
          await expectSame(`cast ${from}->${to} ${kind}`, cpu.cast(x.c, to), gpu!.cast(x.g, to));
        }
      }
    }
    for (const dtype of ["float32", "int32", "bool"] as const) {
      for (const kind of KINDS) {
        for (const shape of [[1], [255], [3, 17, 5]]) {
          const x = pair(dtype, shape, kind);
          await expectSame(`contiguous ${dtype} ${kind} [${shape}]`, cpu.contiguous(x.c), gpu!.contiguous(x.g));
        }
      }
    }
  });

  test("reduce (sum/max/min/prod over axes, loop and workgroup kernels)", async () => {
    const cases: [number[], number[][]][] = [
      [[1], [[0]]],
      [[1023], [[0]]],
      [[3, 17, 5], [[0], [1], [2], [0, 2], [0, 1, 2], [1, 2]]],
      [[255, 17], [[0], [1]]],
      [[5, 1023], [[1], [0]]],
      [[4, 3000], [[1]]],
      [[2100, 65], [[1]]],
    ];
    for (const op of ["sum", "max", "min", "prod"] as ReduceOp[]) {
      for (const [shape, axesList] of cases) {
        for (const axes of axesList) {
          for (const kind of ["contig", "transposed", "broadcast"] as Kind[]) {
            const gen: Gen = op === "prod" ? () => 0.9 + rand() * 0.2 : normal;
            const x = pair("float32", shape, kind, gen);
            await expectSame(`${op} [${shape}] axes ${axes} ${kind}`, cpu.reduce(op, x.c, axes), gpu!.reduce(op, x.g, axes), 2e-5, 2e-5);
          }
        }
      }
      const xi = pair("int32", [17, 33], "transposed", op === "prod" ? () => (rand() < 0.5 ? -1 : 1) : ints);
      await expectSame(`${op} int32`, cpu.reduce(op, xi.c, [1]), gpu!.reduce(op, xi.g, [1]));
    }
    const withNan = pair("float32", [4, 300], "contig", (i) => (i === 250 || i === 900 ? NaN : normal(i)));
    for (const op of ["max", "min", "sum"] as ReduceOp[]) await expectSame(`${op} NaN`, cpu.reduce(op, withNan.c, [1]), gpu!.reduce(op, withNan.g, [1]));
    const empty = pair("float32", [3, 0], "contig");
    for (const op of ["sum", "max", "prod"] as ReduceOp[]) await expectSame(`${op} empty`, cpu.reduce(op, empty.c, [1]), gpu!.reduce(op, empty.g, [1]));
  });

  test("argReduce (argmax/argmin, ties, NaN)", async () => {
    for (const op of ["argmax", "argmin"] as const) {
      for (const [shape, axis] of [[[17], 0], [[3, 17, 5], 1], [[3, 17, 5], 0], [[3, 17, 5], 2], [[4, 3000], 1], [[255, 10], 1]] as [number[], number][]) {
        for (const kind of ["contig", "transposed"] as Kind[]) {
          const x = pair("float32", shape, kind, () => Math.floor(rand() * 8)); // many ties
          await expectSame(`${op} [${shape}] axis ${axis} ${kind}`, cpu.argReduce(op, x.c, axis), gpu!.argReduce(op, x.g, axis));
        }
      }
      const xi = pair("int32", [9, 33], "offset");
      await expectSame(`${op} int32`, cpu.argReduce(op, xi.c, 1), gpu!.argReduce(op, xi.g, 1));
      const withNan = pair("float32", [3, 2000], "contig", (i) => (i === 1500 || i === 1700 || i === 4003 ? NaN : normal(i)));
      await expectSame(`${op} NaN`, cpu.argReduce(op, withNan.c, 1), gpu!.argReduce(op, withNan.g, 1));
    }
  });

  test("matmul (tiles, edges, transposed operands, broadcast batch, int32)", async () => {
    const mm = async (B: number, M: number, K: number, N: number, ka: "n" | "t" | "o" | "b", kb: "n" | "t" | "o" | "b", dtype: DType = "float32") => {
      const view = (b: number, r: number, c: number, k: "n" | "t" | "o" | "b"): Pair => {
        const gen = dtype === "float32" ? normal : ints;
        if (k === "n") return pair(dtype, [b, r, c], "contig", gen);
        if (k === "o") return pair(dtype, [b, r, c], "offset", gen);
        if (k === "b") return pair(dtype, [b, r, c], "broadcast", gen);
        // transposed last two dims: stored [b, c, r]
        const data = array(dtype, b * r * c, gen);
        const mk = (be: Backend): View => ({ buf: be.upload(dtype, data), shape: [b, r, c], strides: [r * c, 1, r], offset: 0, dtype });
        return { c: mk(cpu), g: mk(gpu!) };
      };
      const a = view(B, M, K, ka);
      const b = view(B, K, N, kb);
      const tol = 2e-5 * Math.sqrt(K);
      await expectSame(`matmul ${dtype} [${B},${M},${K}]x[${K},${N}] ${ka}${kb}`, cpu.matmul(a.c, b.c), gpu!.matmul(a.g, b.g), tol, tol);
    };
    for (const [B, M, K, N] of [[1, 1, 1, 1], [1, 3, 17, 255], [2, 17, 255, 3], [1, 255, 17, 17], [1, 1, 1023, 1], [1, 64, 64, 64], [1, 128, 32, 256], [3, 33, 20, 65], [1, 1023, 3, 5]]) {
      await mm(B!, M!, K!, N!, "n", "n");
    }
    for (const [ka, kb] of [["t", "n"], ["n", "t"], ["t", "t"], ["o", "o"], ["b", "n"], ["n", "b"]] as const) {
      await mm(2, 67, 36, 40, ka, kb);
      await mm(2, 64, 64, 64, ka, kb);
    }
    await mm(2, 17, 9, 13, "t", "o", "int32");
    const z = pair("float32", [1, 3, 0], "contig");
    const w = pair("float32", [1, 0, 4], "contig");
    await expectSame("matmul K=0", cpu.matmul(z.c, w.c), gpu!.matmul(z.g, w.g));
  });

  test("gather and scatterAdd", async () => {
    for (const dtype of ["float32", "int32"] as const) {
      for (const [shape, dim, len] of [[[17, 5], 0, 9], [[17, 5], 1, 3], [[3, 255, 2], 1, 255], [[1023], 0, 1023], [[4, 10], 1, 1]] as [number[], number, number][]) {
        const idxShape = [...shape];
        idxShape[dim] = len;
        for (const kind of ["contig", "transposed"] as Kind[]) {
          const x = pair(dtype, shape, kind);
          const idx = pair("int32", idxShape, kind === "contig" ? "offset" : "transposed", () => Math.floor(rand() * shape[dim]!));
          await expectSame(`gather ${dtype} [${shape}] dim ${dim} ${kind}`, cpu.gather(x.c, dim, idx.c), gpu!.gather(x.g, dim, idx.g));
          const src = pair(dtype, idxShape, kind === "contig" ? "broadcast" : "offset");
          await expectSame(`scatterAdd ${dtype} [${shape}] dim ${dim} ${kind}`, cpu.scatterAdd(shape, dim, idx.c, src.c), gpu!.scatterAdd(shape, dim, idx.g, src.g), 1e-5, 1e-5);
        }
      }
    }
  });

  test("indexSelect and indexAdd (embedding-style, duplicate rows)", async () => {
    for (const dtype of ["float32", "int32"] as const) {
      for (const [shape, dim, len] of [[[50, 17], 0, 255], [[3, 17, 4], 1, 5], [[7], 0, 1023], [[3, 255], 1, 1]] as [number[], number, number][]) {
        for (const kind of ["contig", "transposed", "offset"] as Kind[]) {
          const x = pair(dtype, shape, kind);
          const idx = pair("int32", [len], kind === "contig" ? "contig" : "offset", () => Math.floor(rand() * shape[dim]!));
          await expectSame(`indexSelect ${dtype} [${shape}] dim ${dim} ${kind}`, cpu.indexSelect(x.c, dim, idx.c), gpu!.indexSelect(x.g, dim, idx.g));
          const srcShape = [...shape];
          srcShape[dim] = len;
          const src = pair(dtype, srcShape, kind);
          await expectSame(`indexAdd ${dtype} [${shape}] dim ${dim} ${kind}`, cpu.indexAdd(shape, dim, idx.c, src.c), gpu!.indexAdd(shape, dim, idx.g, src.g), 2e-5, 2e-5);
        }
      }
    }
  });

  test("cat and pad", async () => {
    for (const dtype of ["float32", "int32", "bool"] as const) {
      for (const dim of [0, 1, 2]) {
        const shapes = [[3, 17, 5], [3, 17, 5], [3, 17, 5]].map((s, i) => s.map((d, j) => (j === dim ? [1, 3, 17][i]! : d)));
        const parts = shapes.map((s, i) => pair(dtype, s, KINDS[i]!));
        const outShape = [...shapes[0]!];
        outShape[dim] = shapes.reduce((s, x) => s + x[dim]!, 0);
        await expectSame(`cat ${dtype} dim ${dim}`, cpu.cat(parts.map((p) => p.c), dim, outShape), gpu!.cat(parts.map((p) => p.g), dim, outShape));
      }
      for (const kind of KINDS) {
        const x = pair(dtype, [3, 17], kind);
        const v = dtype === "float32" ? -1.5 : 1;
        await expectSame(`pad ${dtype} ${kind}`, cpu.pad(x.c, [1, 0], [2, 3], v), gpu!.pad(x.g, [1, 0], [2, 3], v));
        await expectSame(`pad0 ${dtype} ${kind}`, cpu.pad(x.c, [0, 2], [0, 0], 0), gpu!.pad(x.g, [0, 2], [0, 0], 0));
      }
    }
  });

  test("im2col and col2im (conv/pool geometry: stride, padding, dilation)", async () => {
    const geoms: [number[], WindowGeometry, number][] = [
      [[2, 3, 7, 9], { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] }, 0],
      [[1, 2, 8, 8], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }, -Infinity],
      [[2, 1, 9, 7], { kernel: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [2, 1] }, 0],
      [[1, 4, 5, 5], { kernel: [5, 5], stride: [1, 1], padding: [2, 2], dilation: [1, 1] }, 0.5],
      [[3, 2, 17, 3], { kernel: [1, 1], stride: [3, 2], padding: [0, 1], dilation: [1, 1] }, 0],
    ];
    for (const [shape, g, padValue] of geoms) {
      for (const kind of ["contig", "transposed", "offset"] as Kind[]) {
        const x = pair("float32", shape, kind);
        const cc = cpu.im2col(x.c, g, padValue);
        const gc = gpu!.im2col(x.g, g, padValue);
        await expectSame(`im2col [${shape}] ${JSON.stringify(g)} ${kind}`, cc, gc);
        const oh = Math.floor((shape[2]! + 2 * g.padding[0] - g.dilation[0] * (g.kernel[0] - 1) - 1) / g.stride[0]) + 1;
        const ow = Math.floor((shape[3]! + 2 * g.padding[1] - g.dilation[1] * (g.kernel[1] - 1) - 1) / g.stride[1]) + 1;
        const colsShape = [shape[0]!, shape[1]! * g.kernel[0] * g.kernel[1], oh * ow];
        const cols = pair("float32", colsShape, kind);
        const four = shape as [number, number, number, number];
        await expectSame(`col2im [${shape}] ${kind}`, cpu.col2im(cols.c, g, four), gpu!.col2im(cols.g, g, four), 1e-5, 1e-6);
      }
    }
  });

  test("max pooling (indices, values, backward) and the batch-summed matmul", async () => {
    const geoms: [number[], WindowGeometry, [number, number]][] = [
      [[2, 3, 8, 10], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }, [4, 5]],
      [[1, 2, 7, 6], { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] }, [4, 3]],
      [[1, 2, 7, 8], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [2, 2] }, [3, 4]],
    ];
    for (const [shape, g, outSize] of geoms) {
      for (const kind of ["contig", "transposed", "offset"] as Kind[]) {
        const x = pair("float32", shape, kind);
        await expectSame(`maxPool2dIndices [${shape}] ${kind}`, cpu.maxPool2dIndices(x.c, g, outSize), gpu!.maxPool2dIndices(x.g, g, outSize));
        await expectSame(`maxPool2d [${shape}] ${kind}`, cpu.maxPool2d(x.c, g, outSize), gpu!.maxPool2d(x.g, g, outSize));
        const grad = pair("float32", [shape[0]!, shape[1]!, ...outSize], kind);
        await expectSame(`maxPool2dBackward [${shape}] ${kind}`, cpu.maxPool2dBackward(x.c, grad.c, g, outSize), gpu!.maxPool2dBackward(x.g, grad.g, g, outSize), 1e-5, 1e-6);
      }
    }
    const a = pair("float32", [5, 7, 9], "contig");
    const b = pair("float32", [5, 9, 6], "transposed");
    await expectSame("matmulSumBatch", cpu.matmulSumBatch(a.c, b.c), gpu!.matmulSumBatch(a.g, b.g), 1e-4, 1e-5);
  });

  test("many ops batch into few submits; the buffer pool stays flat over 1000 steps", async () => {
    const before = gpu!.gpuMemory();
    const sizes = [784 * 128, 256 * 128, 10];
    const x = gpu!.upload("float32", array("float32", sizes[0]!, normal));
    let at100 = 0;
    for (let step = 0; step < 1000; step++) {
      const live: BackendBuffer[] = [];
      for (const n of sizes) {
        const v: View = { buf: x, shape: [n], strides: [1], offset: 0, dtype: "float32" };
        const y = gpu!.unary("relu", v);
        const s = gpu!.reduce("sum", { buf: y, shape: [n], strides: [1], offset: 0, dtype: "float32" }, [0]);
        live.push(y, s);
      }
      for (const b of live) gpu!.free(b);
      if (step % 100 === 99) {
        const one = gpu!.fill("float32", 1, 1);
        assert.equal((await gpu!.read(one))[0], 1);
        gpu!.free(one);
        const m = gpu!.gpuMemory();
        if (step === 99) at100 = m.liveBytes + m.pooledBytes;
        else assert.equal(m.liveBytes + m.pooledBytes, at100, `GPU bytes at step ${step + 1} differ from step 100`);
      }
    }
    const after = gpu!.gpuMemory();
    gpu!.free(x);
    // After the first step every buffer comes from the pool: creations do not grow with steps.
    assert.ok(after.created - before.created <= 2 * sizes.length + 8, `pool created ${after.created - before.created} buffers over 1000 steps`);
  });

  test("fusion: x.mul(a).add(b).relu() runs as one kernel", async () => {
    const n = 1023;
    const x = pair("float32", [3, n], "transposed");
    const a = pair("float32", [3, n], "broadcast");
    const b = pair("float32", [3, n], "offset");
    const full = (buf: BackendBuffer): View => ({ buf, shape: [3, n], strides: [n, 1], offset: 0, dtype: "float32" });
    const chain = (be: Backend, xv: View, av: View, bv: View) => {
      const m = be.binary("mul", xv, av, "float32");
      const s = be.binary("add", full(m), bv, "float32");
      const r = be.unary("relu", full(s));
      be.free(m);
      be.free(s);
      return r;
    };
    const expected = chain(cpu, x.c, a.c, b.c);
    await gpu!.read(gpu!.fill("float32", 1, 0)); // settle earlier work
    const before = gpu!.dispatchStats();
    const got = chain(gpu!, x.g, a.g, b.g);
    await expectSame("fused chain", expected, got);
    const after = gpu!.dispatchStats();
    assert.equal(after.dispatches - before.dispatches, 1, "one kernel for mul+add+relu");
    assert.equal(after.fusedOps - before.fusedOps, 3);
  });

  test("fusion: an intermediate still held is written by the same kernel, not recomputed", async () => {
    const n = 255;
    const x = pair("float32", [n], "contig");
    const a = pair("float32", [n], "offset");
    const full = (buf: BackendBuffer): View => ({ buf, shape: [n], strides: [1], offset: 0, dtype: "float32" });
    const mc = cpu.binary("mul", x.c, a.c, "float32");
    const rc = cpu.unary("exp", full(mc));
    const before = gpu!.dispatchStats();
    const mg = gpu!.binary("mul", x.g, a.g, "float32"); // kept, like a tensor saved for backward
    const rg = gpu!.unary("exp", full(mg));
    await expectSame("exp(mul) root", rc, rg);
    await expectSame("mul intermediate", mc, mg);
    const after = gpu!.dispatchStats();
    assert.equal(after.dispatches - before.dispatches, 1, "one kernel wrote both values");
  });

  /** Random DAGs of elementwise ops over mixed views, intermediates reused and freed early. */
  async function randomGraphs(label: string): Promise<void> {
    const UN: UnaryOp[] = ["neg", "exp", "tanh", "sigmoid", "abs", "relu", "sin", "floor"];
    const BIN: BinaryOp[] = ["add", "sub", "mul", "maximum", "minimum"];
    for (let trial = 0; trial < 12; trial++) {
      const shape = [[1], [17], [3, 255], [5, 3, 7]][trial % 4]!;
      const full = (buf: BackendBuffer, dtype: DType = "float32"): View => ({ buf, shape, strides: cstrides(shape), offset: 0, dtype });
      const inputs = KINDS.map((k) => pair("float32", shape, k, () => normal(0) * 0.5));
      // A scalar operand (uploaded as one value) broadcast everywhere.
      const scalarData = new Float32Array([0.75]);
      const scal = { c: cpu.upload("float32", scalarData), g: gpu!.upload("float32", scalarData) };
      const sv = (buf: BackendBuffer): View => ({ buf, shape, strides: shape.map(() => 0), offset: 0, dtype: "float32" });
      type Val = { c: View; g: View; own?: [BackendBuffer, BackendBuffer] };
      const vals: Val[] = [...inputs, { c: sv(scal.c), g: sv(scal.g) }];
      const owned: [BackendBuffer, BackendBuffer][] = [];
      for (let step = 0; step < 10; step++) {
        const pick = () => vals[Math.floor(rand() * vals.length)]!;
        let c: BackendBuffer;
        let g: BackendBuffer;
        const r = rand();
        if (r < 0.4) {
          const op = UN[Math.floor(rand() * UN.length)]!;
          const v = pick();
          c = cpu.unary(op, v.c);
          g = gpu!.unary(op, v.g);
        } else if (r < 0.85) {
          const op = BIN[Math.floor(rand() * BIN.length)]!;
          const a = pick();
          const b = pick();
          c = cpu.binary(op, a.c, b.c, "float32");
          g = gpu!.binary(op, a.g, b.g, "float32");
        } else {
          const a = pick();
          const b = pick();
          const cc = cpu.binary("gt", a.c, b.c, "bool");
          const gc = gpu!.binary("gt", a.g, b.g, "bool");
          c = cpu.where(full(cc, "bool"), a.c, b.c);
          g = gpu!.where(full(gc, "bool"), a.g, b.g);
          gpu!.free(gc);
        }
        vals.push({ c: full(c), g: full(g) });
        owned.push([c, g]);
        // Drop an older intermediate from the frontend's side now and then (graphs keep what they read).
        if (rand() < 0.3 && owned.length > 2) {
          const [oc, og] = owned.splice(Math.floor(rand() * (owned.length - 1)), 1)[0]!;
          void oc;
          gpu!.free(og);
          const i = vals.findIndex((v) => v.g.buf === og);
          vals.splice(i, 1);
        }
      }
      for (const [c, g] of owned) await expectSame(`${label} random graph ${trial} [${shape}]`, c, g, 2e-5, 2e-6);
    }
  }

  test("fusion: random elementwise graphs match the cpu backend", async () => {
    const before = gpu!.dispatchStats();
    await randomGraphs("fused");
    const after = gpu!.dispatchStats();
    assert.ok(after.fusedOps - before.fusedOps > after.fusedKernels - before.fusedKernels, "some kernels fused several ops");
  });

  test("fusion off: the same graphs, one kernel per op", async () => {
    gpu!.fusion = false;
    try {
      const before = gpu!.dispatchStats();
      await randomGraphs("unfused");
      const after = gpu!.dispatchStats();
      assert.equal(after.fusedOps - before.fusedOps, after.fusedKernels - before.fusedKernels);
    } finally {
      gpu!.fusion = true;
    }
  });
});
