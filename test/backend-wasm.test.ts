/**
 * The wasm backend against a straightforward JS reference written here: every Backend method,
 * every dtype, odd sizes (1, 3, 17, 255, 1023), non-contiguous / transposed / offset / stride-0
 * views, with 1 and 2 threads; plus the plain-SIMD and single-thread builds, memory accounting,
 * and a child process that must exit on its own with a live thread pool.
 */
import { test, describe, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { contiguousStrides as cstrides, numel } from "../src/tensor/shape.js";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { EMBEDDED_BUILDS } from "../src/backend/wasm/binary.js";
import type {
  AnyTypedArray,
  BackendBuffer,
  BinaryOp,
  DType,
  ReduceOp,
  UnaryOp,
  View,
  WindowGeometry,
} from "../src/backend/backend.js";
import { createWasmBackend, type WasmBackendHandle } from "../src/backend/wasm/index.js";
import { CpuBackend } from "../src/backend/cpu/cpu-backend.js";
import { BINARY_FLOAT, UNARY_FLOAT } from "../src/backend/cpu/scalar-ops.gen.js";

// ------------------------------------------------------------------ reference helpers

let seed = 12345;
function rand(): number {
  // xorshift32, deterministic
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) % 1_000_000) / 1_000_000;
}


function randomData(dtype: DType, n: number, kind: "any" | "positive" | "int" = "any"): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dtype === "bool") out.push(rand() < 0.5 ? 1 : 0);
    else if (dtype === "int32") out.push(Math.floor(rand() * 41) - 20);
    else if (kind === "positive") out.push(0.05 + rand() * 3);
    else if (kind === "int") out.push(Math.floor(rand() * 7) - 3);
    else out.push((rand() - 0.5) * 4);
  }
  return out;
}

function typed(dtype: DType, vals: number[]): AnyTypedArray {
  switch (dtype) {
    case "float32": return Float32Array.from(vals);
    case "int32": return Int32Array.from(vals);
    case "bool": return Uint8Array.from(vals);
    default: return Float64Array.from(vals);
  }
}

const ONE: Record<DType, AnyTypedArray> = {
  float32: new Float32Array(1), int32: new Int32Array(1), bool: new Uint8Array(1), float64: new Float64Array(1),
};
/** Rounds like storing into the dtype's typed array. */
function store(dtype: DType, v: number): number {
  const a = ONE[dtype];
  a[0] = v;
  return a[0];
}

type Layout = "contig" | "offset" | "transposed" | "strided" | "broadcast";
const LAYOUTS: Layout[] = ["contig", "offset", "transposed", "strided", "broadcast"];

interface Made {
  view: View;
  /** logical values in row-major order of view.shape */
  vals: number[];
  buf: BackendBuffer;
}

let be: WasmBackendHandle;
/** Inputs made by a test, freed after it (with the backend that made them). */
const toFree: [WasmBackendHandle, BackendBuffer][] = [];
function freeInputs(): void {
  for (const [b, buf] of toFree.splice(0)) b.free(buf);
}

/** A view of `shape` with the given memory layout, filled with random values. */
function make(dtype: DType, shape: number[], layout: Layout, kind: "any" | "positive" | "int" = "any"): Made {
  const nd = shape.length;
  let bufShape = shape.slice();
  let strides = cstrides(shape);
  let offset = 0;
  let extra = 0;
  if (layout === "offset") {
    offset = 5;
    extra = 5;
  } else if (layout === "transposed" && nd >= 2) {
    // memory holds the reversed-dims array; view walks it transposed
    const rev = shape.slice().reverse();
    const rst = cstrides(rev);
    strides = rst.slice().reverse();
    bufShape = rev;
  } else if (layout === "strided" && nd >= 1) {
    bufShape = shape.slice();
    bufShape[nd - 1] = shape[nd - 1] * 2;
    const bst = cstrides(bufShape);
    strides = bst.slice();
    strides[nd - 1] = 2;
    offset = 1;
  } else if (layout === "broadcast" && nd >= 1) {
    const d = shape.findIndex((s) => s > 1);
    if (d >= 0) {
      bufShape = shape.slice();
      bufShape[d] = 1;
      strides = cstrides(bufShape);
      strides[d] = 0;
    }
  }
  const n = numel(bufShape) + extra;
  const raw = randomData(dtype, n, kind);
  const tr = typed(dtype, raw);
  const buf = be.upload(dtype, tr);
  toFree.push([be, buf]);
  const view: View = { buf, shape, strides, offset, dtype };
  // logical values
  const vals: number[] = [];
  const idx = new Array(nd).fill(0);
  for (let i = 0; i < numel(shape); i++) {
    let o = offset;
    for (let d = 0; d < nd; d++) o += idx[d] * strides[d];
    vals.push(tr[o]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { view, vals, buf };
}

function readOut(b: BackendBuffer): number[] {
  const t = be.readSync(b);
  be.free(b);
  const r = new Array<number>(t.length);
  for (let i = 0; i < t.length; i++) r[i] = t[i];
  return r;
}

function close(got: number[], want: number[], msg: string, rtol = 2e-5, atol = 1e-6): void {
  assert.equal(got.length, want.length, `${msg}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g), `${msg}[${i}]: got ${g}, want NaN`);
      continue;
    }
    if (!Number.isFinite(w)) {
      assert.equal(g, w, `${msg}[${i}]`);
      continue;
    }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      assert.fail(`${msg}[${i}]: got ${g}, want ${w} (|diff| ${Math.abs(g - w)})`);
    }
  }
}

// The reference is the cpu backend's formulas, generated from the same op table.
const UNARY_REF = UNARY_FLOAT;
const erfRef = UNARY_FLOAT.erf;
const POSITIVE_ONLY = new Set<UnaryOp>(["log", "sqrt", "rsqrt", "reciprocal"]);

const BINARY_REF = BINARY_FLOAT;
const CMP = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"]);

const SHAPES: number[][] = [[1], [3], [17], [255], [1023], [3, 17], [17, 255], [2, 3, 17]];
/** Large enough for the kernels to split work across threads. */
const BIG: number[] = [1023, 255];
const SMALL_SHAPES: number[][] = [[1], [3], [17], [255], [3, 17], [2, 3, 17]];

// ------------------------------------------------------------------ the suite

function suite(threads: number): void {
  describe(`wasm backend, ${threads} thread(s)`, () => {
    before(() => be.setThreads(threads));
    afterEach(freeInputs);

    test("large (threaded) fill and zeroing", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        const n = 1_500_001;
        const want = dt === "bool" ? 1 : store(dt, -2.5);
        const fb = be.fill(dt, n, -2.5);
        const got = be.readSync(fb);
        be.free(fb);
        assert.equal(got.length, n);
        let ok = true;
        for (let i = 0; i < n; i++) if (got[i] !== want) ok = false;
        assert.ok(ok, `fill ${dt}`);
        const z = be.alloc(dt, n);
        const zr = be.readSync(z);
        be.free(z);
        assert.ok(zr.every((v) => v === 0), `alloc zeroes ${dt}`);
      }
    });

    test("large (threaded) elementwise, cast, copy, where", () => {
      for (const layout of ["contig", "transposed", "broadcast"] as Layout[]) {
        const x = make("float32", BIG, layout);
        assert.deepEqual(readOut(be.contiguous(x.view)), x.vals, `contiguous ${layout}`);
        for (const op of ["exp", "tanh"] as UnaryOp[]) {
          close(readOut(be.unary(op, x.view)), x.vals.map((v) => store("float32", UNARY_REF[op](v))), `${op} big ${layout}`, 3e-6, 1e-7);
        }
        const y = make("float32", BIG, layout === "contig" ? "broadcast" : "contig");
        close(readOut(be.binary("mul", x.view, y.view, "float32")), x.vals.map((v, i) => Math.fround(v * y.vals[i])), `mul big ${layout}`, 0, 0);
        assert.deepEqual(readOut(be.binary("gt", x.view, y.view, "bool")), x.vals.map((v, i) => +(v > y.vals[i])), `gt big ${layout}`);
        assert.deepEqual(readOut(be.cast(x.view, "int32")), x.vals.map(Math.trunc).map((v) => v | 0), `cast big ${layout}`);
        const c = make("bool", BIG, layout);
        assert.deepEqual(readOut(be.where(c.view, x.view, y.view)), c.vals.map((q, i) => (q ? x.vals[i] : y.vals[i])), `where big ${layout}`);
      }
    });

    test("memory: alloc zeroes, upload/read copy, free", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const n of [0, 1, 3, 17, 255, 1023]) {
          const z = be.alloc(dt, n);
          assert.equal(z.size, n);
          assert.equal(z.dtype, dt);
          assert.deepEqual(readOut(z), new Array(n).fill(0));
          const vals = randomData(dt, n);
          const u = be.upload(dt, typed(dt, vals));
          const r = be.readSync(u);
          assert.ok(r.constructor === typed(dt, []).constructor, `${dt} read type`);
          assert.deepEqual(Array.from(r), Array.from(typed(dt, vals)));
          r.fill(0); // a copy: the buffer is untouched
          assert.deepEqual(readOut(u), Array.from(typed(dt, vals)));
        }
      }
      const b = be.alloc("float32", 4);
      be.free(b);
      assert.throws(() => be.free(b), /freed/);
    });

    test("read (async)", async () => {
      const u = be.upload("float32", Float32Array.from([1, 2, 3]));
      assert.deepEqual(Array.from(await be.read(u)), [1, 2, 3]);
      be.free(u);
    });

    test("fill", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const n of [1, 3, 17, 1023]) {
          for (const v of [0, 1, -2.5, 7]) {
            assert.deepEqual(readOut(be.fill(dt, n, v)), new Array(n).fill(dt === "bool" ? +(v !== 0) : store(dt, v)));
          }
        }
      }
      assert.deepEqual(readOut(be.fill("float32", 3, -Infinity)), [-Infinity, -Infinity, -Infinity]);
    });

    test("contiguous: every dtype and layout", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const shape of SHAPES) {
          for (const layout of LAYOUTS) {
            const x = make(dt, shape, layout);
            assert.deepEqual(readOut(be.contiguous(x.view)), x.vals, `${dt} ${shape} ${layout}`);
          }
        }
      }
    });

    test("unary float32 / float64: every op, layout, odd size", () => {
      for (const dt of ["float32", "float64"] as DType[]) {
        for (const op of Object.keys(UNARY_REF) as UnaryOp[]) {
          const shapes = dt === "float64" ? SMALL_SHAPES : SHAPES;
          for (const shape of shapes) {
            for (const layout of LAYOUTS) {
              const x = make(dt, shape, layout, POSITIVE_ONLY.has(op) ? "positive" : "any");
              const got = readOut(be.unary(op, x.view));
              const outDt: DType = op === "logicalNot" ? "bool" : dt;
              const want = x.vals.map((v) => store(outDt, UNARY_REF[op](v)));
              close(got, want, `${op} ${dt} ${shape} ${layout}`, dt === "float64" ? 1e-12 : 3e-6, op === "erf" ? 3e-7 : 1e-7);
            }
          }
        }
      }
    });

    test("unary special values (float32)", () => {
      const vals = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-40, 88, 89, -87, -100, -104, 1e30];
      const x = be.upload("float32", Float32Array.from(vals));
      const v: View = { buf: x, shape: [vals.length], strides: [1], offset: 0, dtype: "float32" };
      const f32 = (a: number[]) => Array.from(Float32Array.from(a));
      close(readOut(be.unary("exp", v)), f32(vals.map(Math.exp)), "exp specials", 3e-6, 1e-44);
      close(readOut(be.unary("sigmoid", v)), f32(vals.map((z) => 1 / (1 + Math.exp(-z)))), "sigmoid specials", 3e-6, 1e-44);
      close(readOut(be.unary("tanh", v)), f32(vals.map(Math.tanh)), "tanh specials", 3e-6, 1e-44);
      const pos = [0, 1e-40, 1e-30, 1, 3, Infinity, -1, NaN];
      const p = be.upload("float32", Float32Array.from(pos));
      const pv: View = { buf: p, shape: [pos.length], strides: [1], offset: 0, dtype: "float32" };
      close(readOut(be.unary("log", pv)), f32(pos.map(Math.log)), "log specials", 3e-6, 1e-7);
      close(readOut(be.unary("sqrt", pv)), f32(pos.map(Math.sqrt)), "sqrt specials");
      assert.deepEqual(readOut(be.unary("relu", v)).map((z) => (Object.is(z, -0) ? 0 : z)).slice(0, 6), [0, 0, 1, 0, Infinity, 0]);
      be.free(x);
      be.free(p);
    });

    test("unary int32 and bool", () => {
      for (const op of ["neg", "abs", "sign", "relu", "floor", "ceil", "round", "logicalNot"] as UnaryOp[]) {
        for (const shape of SHAPES) {
          for (const layout of LAYOUTS) {
            const x = make("int32", shape, layout);
            const outDt: DType = op === "logicalNot" ? "bool" : "int32";
            assert.deepEqual(readOut(be.unary(op, x.view)), x.vals.map((v) => store(outDt, UNARY_REF[op](v))), `${op} ${shape} ${layout}`);
          }
        }
      }
      for (const shape of SMALL_SHAPES) {
        const x = make("bool", shape, "strided");
        assert.deepEqual(readOut(be.unary("logicalNot", x.view)), x.vals.map((v) => +(v === 0)));
      }
      // float ops on int32 fall back to JS and truncate
      const xi = make("int32", [17], "contig");
      assert.deepEqual(readOut(be.unary("sqrt", xi.view)), xi.vals.map((v) => store("int32", Math.sqrt(v))));
    });

    test("binary float32 / float64: every op, layout pair, odd size", () => {
      for (const dt of ["float32", "float64"] as DType[]) {
        for (const op of Object.keys(BINARY_REF) as BinaryOp[]) {
          const shapes = dt === "float64" ? SMALL_SHAPES : SHAPES;
          for (const shape of shapes) {
            for (const [la, lb] of [["contig", "contig"], ["transposed", "broadcast"], ["broadcast", "strided"], ["offset", "transposed"]] as [Layout, Layout][]) {
              const a = make(dt, shape, la, op === "pow" ? "positive" : "int");
              const b = make(dt, shape, lb, op === "pow" ? "any" : "int");
              const outDt: DType = CMP.has(op) ? "bool" : dt;
              const got = readOut(be.binary(op, a.view, b.view, outDt));
              const want = a.vals.map((v, i) => store(outDt, BINARY_REF[op](v, b.vals[i])));
              close(got, want, `${op} ${dt} ${shape} ${la}/${lb}`, dt === "float64" ? 1e-12 : 4e-6, 1e-6);
            }
          }
        }
      }
    });

    test("binary float32 on random reals, pow specials", () => {
      for (const op of ["add", "sub", "mul", "div", "maximum", "minimum", "lt", "ge"] as BinaryOp[]) {
        const a = make("float32", [255, 257], "transposed");
        const b = make("float32", [255, 257], "broadcast");
        const outDt: DType = CMP.has(op) ? "bool" : "float32";
        close(readOut(be.binary(op, a.view, b.view, outDt)), a.vals.map((v, i) => store(outDt, BINARY_REF[op](v, b.vals[i]))), op, 1e-6, 0);
      }
      const av = [-8, -2, -2, 0, 0, 0, 2, 1, NaN, 4, -3];
      const bv = [1 / 3, 3, 2, 0, -1, 2, 0.5, NaN, 0, -0.5, -2];
      const a = be.upload("float32", Float32Array.from(av)), b = be.upload("float32", Float32Array.from(bv));
      const va: View = { buf: a, shape: [av.length], strides: [1], offset: 0, dtype: "float32" };
      const vb: View = { buf: b, shape: [bv.length], strides: [1], offset: 0, dtype: "float32" };
      close(readOut(be.binary("pow", va, vb, "float32")), [NaN, -8, 4, 1, Infinity, 0, Math.SQRT2, 1, 1, 0.5, 1 / 9], "pow specials", 4e-6);
      // scalar exponent (stride 0) takes the exact fast paths
      for (const e of [2, 3, 0.5, -1, 1, 1.7]) {
        const x = make("float32", [255], "contig", "positive");
        const ev = be.upload("float32", Float32Array.from([e]));
        const got = readOut(be.binary("pow", x.view, { buf: ev, shape: [255], strides: [0], offset: 0, dtype: "float32" }, "float32"));
        close(got, x.vals.map((v) => Math.fround(Math.pow(v, e))), `pow ^${e}`, 4e-6);
        be.free(ev);
      }
      be.free(a);
      be.free(b);
    });

    test("binary int32 and bool", () => {
      for (const op of Object.keys(BINARY_REF) as BinaryOp[]) {
        for (const shape of SHAPES) {
          const a = make("int32", shape, "transposed");
          const b = make("int32", shape, "broadcast", "int");
          const outDt: DType = CMP.has(op) ? "bool" : "int32";
          const bvals = b.vals;
          let want: number[];
          if (op === "pow") want = a.vals.map((v, i) => store("int32", Math.pow(v, Math.abs(bvals[i]) % 5)));
          else if (op === "div") want = a.vals.map((v, i) => store("int32", v / bvals[i]));
          else if (op === "mul") want = a.vals.map((v, i) => Math.imul(v, bvals[i]));
          else want = a.vals.map((v, i) => store(outDt, BINARY_REF[op](v, bvals[i])));
          let bview = b.view;
          if (op === "pow") {
            const e = be.upload("int32", Int32Array.from(bvals.map((v) => Math.abs(v) % 5)));
            toFree.push([be, e]);
            bview = { buf: e, shape, strides: cstrides(shape), offset: 0, dtype: "int32" };
          }
          assert.deepEqual(readOut(be.binary(op, a.view, bview, outDt)), want, `${op} int32 ${shape}`);
        }
      }
      for (const op of ["eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"] as BinaryOp[]) {
        for (const shape of SMALL_SHAPES) {
          const a = make("bool", shape, "strided"), b = make("bool", shape, "broadcast");
          assert.deepEqual(readOut(be.binary(op, a.view, b.view, "bool")), a.vals.map((v, i) => BINARY_REF[op](v, b.vals[i])), `${op} bool`);
        }
      }
      // mixed output dtype falls back to JS
      const a = make("float32", [17], "contig"), b = make("float32", [17], "contig");
      assert.deepEqual(readOut(be.binary("lt", a.view, b.view, "float32")), a.vals.map((v, i) => +(v < b.vals[i])));
    });

    test("where: every dtype", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const shape of SHAPES) {
          const c = make("bool", shape, "strided");
          const a = make(dt, shape, "transposed");
          const b = make(dt, shape, "broadcast");
          assert.deepEqual(readOut(be.where(c.view, a.view, b.view)), c.vals.map((v, i) => (v ? a.vals[i] : b.vals[i])), `where ${dt} ${shape}`);
        }
      }
    });

    test("cast: every dtype pair", () => {
      const dts: DType[] = ["float32", "int32", "bool", "float64"];
      for (const from of dts) {
        for (const to of dts) {
          for (const shape of SHAPES) {
            const x = make(from, shape, "transposed");
            const want = x.vals.map((v) => (to === "bool" ? +(v !== 0) : to === "int32" ? store("int32", Math.trunc(v)) : store(to, v)));
            assert.deepEqual(readOut(be.cast(x.view, to)), want, `${from}->${to} ${shape}`);
          }
        }
      }
    });

    test("reduce: sum/max/min/prod over axis sets, dtypes, layouts", () => {
      const cases: [number[], number[][]][] = [
        [[17], [[0]]],
        [[1023], [[0]]],
        [[3, 17], [[0], [1], [0, 1]]],
        [[17, 3, 255], [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]],
        [[1023, 255], [[0], [1], [0, 1]]],
        [[1, 17, 1], [[0], [0, 2], [1]]],
        [[3, 65536], [[1], [0, 1]]],
      ];
      for (const dt of ["float32", "int32", "float64"] as DType[]) {
        for (const [shape, axesList] of cases) {
          if (dt !== "float32" && numel(shape) > 20000) continue;
          for (const layout of ["contig", "transposed", "strided", "broadcast"] as Layout[]) {
            if (numel(shape) > 20000 && (layout === "broadcast" || layout === "strided")) continue;
            if (numel(shape) > 100000 && layout !== "contig") continue;
            for (const op of ["sum", "max", "min", "prod"] as ReduceOp[]) {
              for (const axes of axesList) {
                // prod of many values under/overflows: use values near 1 there
                const x = make(dt, shape, layout, dt === "int32" ? "any" : "int");
                const got = readOut(be.reduce(op, x.view, axes));
                const want = refReduce(op, x.vals, shape, axes, dt);
                const absSum = refReduce("sum", x.vals.map(Math.abs), shape, axes, "float64");
                const msg = `${op} ${dt} ${shape} axes ${axes} ${layout}`;
                if (op === "prod" || dt === "int32") {
                  if (dt === "int32") assert.deepEqual(got, want, msg);
                  else close(got, want.map((w) => store(dt, w)), msg, 1e-4, 1e-30);
                } else if (op === "sum") {
                  for (let i = 0; i < want.length; i++) {
                    assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * absSum[i] + 1e-6, `${msg}[${i}]: ${got[i]} vs ${want[i]}`);
                  }
                } else {
                  assert.deepEqual(got, want.map((w) => store(dt, w)), msg);
                }
              }
            }
          }
        }
      }
    });

    test("reduce: NaN propagation, bool, empty", () => {
      const x = be.upload("float32", Float32Array.from([1, NaN, 3, 2, 5, 4]));
      const v: View = { buf: x, shape: [2, 3], strides: [3, 1], offset: 0, dtype: "float32" };
      const got = readOut(be.reduce("max", v, [1]));
      assert.ok(Number.isNaN(got[0]));
      assert.equal(got[1], 5);
      const gotc = readOut(be.reduce("min", v, [0]));
      assert.ok(Number.isNaN(gotc[1]));
      const e = be.alloc("float32", 0);
      assert.deepEqual(readOut(be.reduce("sum", { buf: e, shape: [0, 3], strides: [3, 1], offset: 0, dtype: "float32" }, [0])), [0, 0, 0]);
      be.free(x);
      be.free(e);
      const bx = make("bool", [3, 17], "contig");
      assert.deepEqual(readOut(be.reduce("max", bx.view, [1])), [0, 1, 2].map((r) => +bx.vals.slice(r * 17, r * 17 + 17).some((q) => q)));
    });

    test("argReduce: argmax/argmin on every axis", () => {
      for (const dt of ["float32", "int32", "float64"] as DType[]) {
        for (const shape of [[17], [1023], [3, 17], [17, 3, 255], [255, 1023]]) {
          if (dt !== "float32" && numel(shape) > 20000) continue;
          for (const layout of ["contig", "transposed", "strided"] as Layout[]) {
            for (let axis = 0; axis < shape.length; axis++) {
              const x = make(dt, shape, layout);
              for (const op of ["argmax", "argmin"] as const) {
                assert.deepEqual(readOut(be.argReduce(op, x.view, axis)), refArg(op, x.vals, shape, axis), `${op} ${dt} ${shape} axis ${axis} ${layout}`);
              }
            }
          }
        }
      }
      const n = be.upload("float32", Float32Array.from([1, NaN, 3, NaN]));
      assert.deepEqual(readOut(be.argReduce("argmax", { buf: n, shape: [4], strides: [1], offset: 0, dtype: "float32" }, 0)), [1]);
      be.free(n);
    });

    test("matmul: odd sizes, transposed views, batches, broadcast A/B", () => {
      const sizes: [number, number, number][] = [
        [1, 1, 1], [1, 17, 3], [3, 17, 255], [17, 3, 1], [255, 17, 3], [17, 1023, 17], [64, 255, 129], [255, 255, 255], [1, 1023, 1],
      ];
      for (const dt of ["float32", "float64", "int32"] as DType[]) {
        for (const [M, K, N] of sizes) {
          if (dt !== "float32" && M * K * N > 100000) continue;
          for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
            for (const B of M * K * N > 100000 ? [1] : [1, 3]) {
              for (const bcast of B > 1 ? ["none", "a", "b"] : ["none"]) {
                const a = makeMat(dt, B, M, K, ta, bcast === "a");
                const b = makeMat(dt, B, K, N, tb, bcast === "b");
                const got = readOut(be.matmul(a.view, b.view));
                checkMatmul(got, a, b, B, M, K, N, dt, `${dt} ${B}x${M}x${K}x${N} ta=${ta} tb=${tb} bcast=${bcast}`);
              }
            }
          }
        }
      }
      // 2-D views are accepted too
      const a = make("float32", [3, 17], "transposed"), b = make("float32", [17, 255], "strided");
      const got = readOut(be.matmul(a.view, b.view));
      checkMatmul(got, { vals: a.vals }, { vals: b.vals }, 1, 3, 17, 255, "float32", "2-D");
      assert.throws(() => be.matmul(a.view, a.view), /do not align/);
    });

    test("matmul: large batched (batch schedule) and K = 0", () => {
      const a = makeMat("float32", 8, 64, 288, false, true);
      const b = makeMat("float32", 8, 288, 196, false, false);
      checkMatmul(readOut(be.matmul(a.view, b.view)), a, b, 8, 64, 288, 196, "float32", "conv-like batched");
      const e = be.alloc("float32", 0);
      const z = be.matmul({ buf: e, shape: [2, 0], strides: [0, 1], offset: 0, dtype: "float32" }, { buf: e, shape: [0, 3], strides: [3, 1], offset: 0, dtype: "float32" });
      assert.deepEqual(readOut(z), [0, 0, 0, 0, 0, 0]);
      be.free(e);
    });

    test("gather and scatterAdd", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const [xshape, ishape] of [[[17], [3]], [[3, 17], [3, 255]], [[17, 3, 5], [17, 3, 1]], [[255, 10], [255, 1]]] as [number[], number[]][]) {
          for (let dim = 0; dim < xshape.length; dim++) {
            const ish = ishape.map((s, d) => (d === dim ? s : Math.min(s, xshape[d])));
            const x = make(dt, xshape, "transposed");
            const idxVals = randomData("float32", numel(ish)).map(() => Math.floor(rand() * xshape[dim]));
            const ib = be.upload("int32", Int32Array.from(idxVals));
            toFree.push([be, ib]);
            const iv: View = { buf: ib, shape: ish, strides: cstrides(ish), offset: 0, dtype: "int32" };
            const got = readOut(be.gather(x.view, dim, iv));
            assert.deepEqual(got, refGather(x.vals, xshape, dim, idxVals, ish), `gather ${dt} ${xshape} dim ${dim}`);
            if (dt === "bool") continue;
            const src = make(dt, ish, "strided", "int");
            const sgot = readOut(be.scatterAdd(xshape, dim, iv, src.view));
            assert.deepEqual(sgot, refScatterAdd(xshape, dim, idxVals, ish, src.vals), `scatterAdd ${dt} ${xshape} dim ${dim}`);
          }
        }
      }
      const x = make("float32", [3], "contig");
      const bad = be.upload("int32", Int32Array.from([0, 3]));
      assert.throws(() => be.gather(x.view, 0, { buf: bad, shape: [2], strides: [1], offset: 0, dtype: "int32" }), /out of range/);
      assert.throws(() => be.scatterAdd([3], 0, { buf: bad, shape: [2], strides: [1], offset: 0, dtype: "int32" }, { ...x.view, shape: [2] }), /out of range/);
      be.free(bad);
    });

    test("indexSelect and indexAdd", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const xshape of [[17], [3, 17], [1023, 3], [5, 3, 17]]) {
          for (let dim = 0; dim < xshape.length; dim++) {
            for (const layout of ["contig", "transposed", "strided"] as Layout[]) {
              const x = make(dt, xshape, layout);
              const nidx = 7;
              const idxVals = Array.from({ length: nidx }, () => Math.floor(rand() * xshape[dim]));
              const ibuf = be.upload("int32", Int32Array.from([...idxVals, 0, 0, 0, 0, 0, 0, 0].flatMap((v) => [v, -1])));
              toFree.push([be, ibuf]);
              const iv: View = { buf: ibuf, shape: [nidx], strides: [2], offset: 0, dtype: "int32" };
              const outShape = xshape.slice();
              outShape[dim] = nidx;
              const got = readOut(be.indexSelect(x.view, dim, iv));
              const want = refIndexSelect(x.vals, xshape, dim, idxVals);
              assert.deepEqual(got, want, `indexSelect ${dt} ${xshape} dim ${dim} ${layout}`);
              if (dt === "bool") continue;
              const src = make(dt, outShape, layout, "int");
              const agot = readOut(be.indexAdd(xshape, dim, iv, src.view));
              assert.deepEqual(agot, refIndexAdd(xshape, dim, idxVals, src.vals, outShape), `indexAdd ${dt} ${xshape} dim ${dim} ${layout}`);
            }
          }
        }
      }
      const x = make("float32", [3, 2], "contig");
      const bad = be.upload("int32", Int32Array.from([5]));
      assert.throws(() => be.indexSelect(x.view, 0, { buf: bad, shape: [1], strides: [1], offset: 0, dtype: "int32" }), /out of range/);
      be.free(bad);
    });

    test("cat and pad", () => {
      for (const dt of ["float32", "int32", "bool", "float64"] as DType[]) {
        for (const base of [[3, 17], [17, 1, 5], [255, 3]]) {
          for (let dim = 0; dim < base.length; dim++) {
            const parts = [1, 3, 2].map((k, i) => {
              const s = base.slice();
              s[dim] = k;
              return make(dt, s, LAYOUTS[i + 1]);
            });
            const outShape = base.slice();
            outShape[dim] = 6;
            const got = readOut(be.cat(parts.map((p) => p.view), dim, outShape));
            assert.deepEqual(got, refCat(parts.map((p) => ({ vals: p.vals, shape: p.view.shape as number[] })), dim, outShape), `cat ${dt} ${base} dim ${dim}`);
          }
          const x = make(dt, base, "transposed");
          const before = base.map((_, d) => d % 2), after = base.map((_, d) => (d + 1) % 3);
          const value = dt === "bool" ? 1 : -3;
          assert.deepEqual(readOut(be.pad(x.view, before, after, value)), refPad(x.vals, base, before, after, value), `pad ${dt} ${base}`);
        }
      }
    });

    test("im2col and col2im: padding, stride, dilation, pad value", () => {
      const geos: [number[], WindowGeometry][] = [
        [[2, 3, 7, 9], { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] }],
        [[1, 2, 8, 8], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }],
        [[2, 1, 9, 7], { kernel: [3, 2], stride: [2, 1], padding: [2, 1], dilation: [2, 1] }],
        [[3, 4, 17, 17], { kernel: [5, 5], stride: [3, 2], padding: [2, 0], dilation: [1, 2] }],
        [[4, 8, 28, 28], { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] }],
      ];
      for (const dt of ["float32", "int32", "float64"] as DType[]) {
        for (const [shape, g] of geos) {
          if (dt === "float64" && numel(shape) > 2000) continue;
          for (const layout of ["contig", "transposed", "strided"] as Layout[]) {
            const x = make(dt, shape, layout);
            const padValue = dt === "float32" ? -Infinity : -7;
            const got = readOut(be.im2col(x.view, g, padValue));
            const want = refIm2col(x.vals, shape, g, padValue);
            assert.deepEqual(got, want, `im2col ${dt} ${shape} ${layout}`);
            const oh = want.length / (shape[0] * shape[1] * g.kernel[0] * g.kernel[1]);
            const cshape = [shape[0], shape[1] * g.kernel[0] * g.kernel[1], oh];
            const cols = make(dt, cshape, layout, "int");
            const cgot = readOut(be.col2im(cols.view, g, shape as [number, number, number, number]));
            assert.deepEqual(cgot, refCol2im(cols.vals, shape, g), `col2im ${dt} ${shape} ${layout}`);
          }
        }
      }
    });

    test("max pooling (indices, values, backward) and the batch-summed matmul against the cpu kernels", () => {
      const ref = new CpuBackend();
      const onCpu = (dt: DType, vals: number[], shape: number[]): View => ({ buf: ref.upload(dt, typed(dt, vals)), shape, strides: cstrides(shape), offset: 0, dtype: dt });
      const geos: [number[], WindowGeometry, [number, number]][] = [
        [[2, 3, 28, 28], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }, [14, 14]],
        [[2, 2, 9, 11], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }, [4, 5]],
        [[1, 2, 7, 6], { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] }, [4, 3]],
        [[1, 2, 7, 8], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [2, 2] }, [3, 4]],
      ];
      for (const [shape, g, outSize] of geos) {
        for (const layout of ["contig", "transposed", "strided"] as Layout[]) {
          for (const dt of ["float32", "int32"] as DType[]) {
            const x = make(dt, shape, layout);
            const xc = onCpu(dt, x.vals, shape);
            const what = `${dt} ${shape} ${JSON.stringify(g)} ${layout}`;
            assert.deepEqual(readOut(be.maxPool2dIndices(x.view, g, outSize)), Array.from(ref.maxPool2dIndices(xc, g, outSize).data), `maxPool2dIndices ${what}`);
            assert.deepEqual(readOut(be.maxPool2d(x.view, g, outSize)), Array.from(ref.maxPool2d(xc, g, outSize).data), `maxPool2d ${what}`);
            if (dt !== "float32") continue;
            const gshape = [shape[0]!, shape[1]!, ...outSize];
            const grad = make("float32", gshape, layout);
            const want = Array.from(ref.maxPool2dBackward(xc, onCpu("float32", grad.vals, gshape), g, outSize).data);
            assert.deepEqual(readOut(be.maxPool2dBackward(x.view, grad.view, g, outSize)), want, `maxPool2dBackward ${what}`);
          }
        }
      }
      const a = make("float32", [5, 7, 9], "contig"), b = make("float32", [5, 9, 6], "transposed");
      const want = Array.from(ref.matmulSumBatch(onCpu("float32", a.vals, [5, 7, 9]), onCpu("float32", b.vals, [5, 9, 6])).data);
      close(readOut(be.matmulSumBatch(a.view, b.view)), want, "matmulSumBatch", 1e-5, 1e-5);
    });

    test("errors name the op and shapes", () => {
      const a = make("float32", [3, 4], "contig"), b = make("float32", [5, 6], "contig");
      assert.throws(() => be.binary("add", a.view, b.view, "float32"), /add: shapes \[3, 4\] and \[5, 6\]/);
      assert.throws(() => be.matmul(a.view, b.view), /matmul: shapes \[3, 4\] and \[5, 6\] do not align \(4 != 5\)/);
    });
  });
}

// ------------------------------------------------------------------ reference kernels

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d] + idx[d];
  return o;
}

/** For each element of `shape` (row-major), its index in the array with dims `drop` removed. */
function outIndexMap(shape: number[], drop: number[]): Int32Array {
  const keptShape = shape.filter((_, d) => !drop.includes(d));
  const kst = cstrides(keptShape);
  const ost = shape.map(() => 0);
  let k = 0;
  shape.forEach((_, d) => {
    if (!drop.includes(d)) ost[d] = kst[k++];
  });
  const n = numel(shape), nd = shape.length;
  const map = new Int32Array(n);
  const idx = new Array(nd).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    map[i] = o;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      o += ost[d];
      if (idx[d] < shape[d]) break;
      o -= ost[d] * shape[d];
      idx[d] = 0;
    }
  }
  return map;
}

function refReduce(op: ReduceOp, vals: number[], shape: number[], axes: number[], dt: DType): number[] {
  const outShape = shape.filter((_, d) => !axes.includes(d));
  const out = new Array(numel(outShape)).fill(op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity);
  const map = outIndexMap(shape, axes);
  for (let i = 0; i < vals.length; i++) {
    const o = map[i];
    const v = vals[i];
    if (op === "sum") out[o] = dt === "int32" ? (out[o] + v) | 0 : out[o] + v;
    else if (op === "prod") out[o] = dt === "int32" ? Math.imul(out[o], v) : out[o] * v;
    else if (op === "max") out[o] = Math.max(out[o], v);
    else out[o] = Math.min(out[o], v);
  }
  return out;
}

function refArg(op: "argmax" | "argmin", vals: number[], shape: number[], axis: number): number[] {
  const outShape = shape.filter((_, d) => d !== axis);
  const best = new Array(numel(outShape)).fill(-1);
  const bv = new Array(numel(outShape)).fill(0);
  const map = outIndexMap(shape, [axis]);
  const inner = numel(shape.slice(axis + 1));
  for (let i = 0; i < vals.length; i++) {
    const o = map[i];
    const j = Math.floor(i / inner) % shape[axis];
    if (best[o] < 0 || (op === "argmax" ? vals[i] > bv[o] : vals[i] < bv[o])) {
      best[o] = j;
      bv[o] = vals[i];
    }
  }
  return best;
}

interface Mat {
  view: View;
  vals: number[]; // [B][rows][cols] logical, B = 1 when broadcast
}

function makeMat(dt: DType, B: number, rows: number, cols: number, transposed: boolean, bcast: boolean): Mat {
  const nb = bcast ? 1 : B;
  const m = make(dt, transposed ? [nb, cols, rows] : [nb, rows, cols], "contig", dt === "float32" ? "any" : "int");
  let strides = m.view.strides.slice();
  if (transposed) strides = [strides[0], strides[2], strides[1]];
  if (bcast) strides[0] = 0;
  const vals: number[] = [];
  for (let b = 0; b < nb; b++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) vals.push(m.vals[transposed ? (b * cols + c) * rows + r : (b * rows + r) * cols + c]);
  return { view: { ...m.view, shape: [B, rows, cols], strides }, vals };
}

function checkMatmul(got: number[], a: { vals: number[] }, b: { vals: number[] }, B: number, M: number, K: number, N: number, dt: DType, msg: string): void {
  assert.equal(got.length, B * M * N, `${msg}: size`);
  const abat = a.vals.length === M * K ? 1 : B, bbat = b.vals.length === K * N ? 1 : B;
  for (let bi = 0; bi < B; bi++) {
    const ao = (abat === 1 ? 0 : bi) * M * K, bo = (bbat === 1 ? 0 : bi) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0, sa = 0;
        for (let k = 0; k < K; k++) {
          const p = a.vals[ao + i * K + k] * b.vals[bo + k * N + j];
          s = dt === "int32" ? (s + Math.imul(a.vals[ao + i * K + k], b.vals[bo + k * N + j])) | 0 : s + p;
          sa += Math.abs(p);
        }
        const g = got[(bi * M + i) * N + j];
        if (dt === "int32") {
          if (g !== s) assert.fail(`${msg}: [${bi},${i},${j}] ${g} != ${s}`);
        } else if (!(Math.abs(g - s) <= (dt === "float64" ? 1e-12 : 2e-6) * sa + 1e-6)) {
          assert.fail(`${msg}: [${bi},${i},${j}] ${g} vs ${s}`);
        }
      }
  }
}

function refGather(xv: number[], xshape: number[], dim: number, idx: number[], ishape: number[]): number[] {
  return idx.map((v, p) => {
    const i = unravel(p, ishape);
    i[dim] = v;
    return xv[ravel(i, xshape)];
  });
}

function refScatterAdd(shape: number[], dim: number, idx: number[], ishape: number[], src: number[]): number[] {
  const out = new Array(numel(shape)).fill(0);
  idx.forEach((v, p) => {
    const i = unravel(p, ishape);
    i[dim] = v;
    out[ravel(i, shape)] += src[p];
  });
  return out;
}

function refIndexSelect(xv: number[], xshape: number[], dim: number, idx: number[]): number[] {
  const oshape = xshape.slice();
  oshape[dim] = idx.length;
  const out: number[] = [];
  for (let p = 0; p < numel(oshape); p++) {
    const i = unravel(p, oshape);
    i[dim] = idx[i[dim]];
    out.push(xv[ravel(i, xshape)]);
  }
  return out;
}

function refIndexAdd(shape: number[], dim: number, idx: number[], src: number[], sshape: number[]): number[] {
  const out = new Array(numel(shape)).fill(0);
  for (let p = 0; p < src.length; p++) {
    const i = unravel(p, sshape);
    i[dim] = idx[i[dim]];
    out[ravel(i, shape)] += src[p];
  }
  return out;
}

function refCat(parts: { vals: number[]; shape: number[] }[], dim: number, outShape: number[]): number[] {
  const out = new Array(numel(outShape)).fill(0);
  let at = 0;
  for (const p of parts) {
    p.vals.forEach((v, q) => {
      const i = unravel(q, p.shape);
      i[dim] += at;
      out[ravel(i, outShape)] = v;
    });
    at += p.shape[dim];
  }
  return out;
}

function refPad(xv: number[], shape: number[], before: number[], after: number[], value: number): number[] {
  const oshape = shape.map((s, d) => s + before[d] + after[d]);
  const out = new Array(numel(oshape)).fill(value);
  xv.forEach((v, q) => {
    const i = unravel(q, shape).map((c, d) => c + before[d]);
    out[ravel(i, oshape)] = v;
  });
  return out;
}

function outHW(shape: number[], g: WindowGeometry): [number, number] {
  const [, , H, W] = shape;
  return [
    Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (g.kernel[0] - 1) - 1) / g.stride[0]) + 1,
    Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (g.kernel[1] - 1) - 1) / g.stride[1]) + 1,
  ];
}

function refIm2col(xv: number[], shape: number[], g: WindowGeometry, padValue: number): number[] {
  const [N, C, H, W] = shape;
  const [oh, ow] = outHW(shape, g);
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let ki = 0; ki < g.kernel[0]; ki++)
        for (let kj = 0; kj < g.kernel[1]; kj++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const iy = oy * g.stride[0] - g.padding[0] + ki * g.dilation[0];
              const ix = ox * g.stride[1] - g.padding[1] + kj * g.dilation[1];
              out.push(iy < 0 || iy >= H || ix < 0 || ix >= W ? padValue : xv[((n * C + c) * H + iy) * W + ix]);
            }
  return out;
}

function refCol2im(cv: number[], shape: number[], g: WindowGeometry): number[] {
  const [N, C, H, W] = shape;
  const [oh, ow] = outHW(shape, g);
  const out = new Array(N * C * H * W).fill(0);
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let ki = 0; ki < g.kernel[0]; ki++)
        for (let kj = 0; kj < g.kernel[1]; kj++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++, p++) {
              const iy = oy * g.stride[0] - g.padding[0] + ki * g.dilation[0];
              const ix = ox * g.stride[1] - g.padding[1] + kj * g.dilation[1];
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) out[((n * C + c) * H + iy) * W + ix] += cv[p];
            }
  return out;
}

// ------------------------------------------------------------------ run

before(async () => {
  be = await createWasmBackend({ threads: 2 });
});

after(async () => {
  freeInputs();
  await be?.dispose();
});

test("backend starts with 2 threads and the relaxed or plain SIMD build", () => {
  assert.equal(be.name, "wasm");
  assert.equal(be.threads, 2);
  assert.ok(be.threadsSupported);
  assert.match(be.variant, /^(relaxed|simd)-mt$/);
});

suite(1);
suite(2);

test("setThreads grows the pool on demand and results do not depend on the thread count", async () => {
  const a = makeMat("float32", 1, 255, 257, false, false), b = makeMat("float32", 1, 257, 129, true, false);
  be.setThreads(1);
  const one = readOut(be.matmul(a.view, b.view));
  be.setThreads(3); // one more worker than the pool has: started in the background
  assert.equal(be.threads, 3);
  const started = performance.now();
  while (be.activeThreads() < 3 && performance.now() - started < 10000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(be.activeThreads(), 3);
  const three = readOut(be.matmul(a.view, b.view));
  assert.deepEqual(three, one, "same blocking, same sums: bit-identical");
  const x = make("float32", [1023, 255], "transposed");
  const s1 = readOut(be.reduce("sum", x.view, [0, 1]));
  be.setThreads(2);
  checkMatmul(one, a, b, 1, 255, 257, 129, "float32", "threads 1/3");
  assert.ok(Math.abs(s1[0] - x.vals.reduce((p, q) => p + q, 0)) < 1e-2);
  freeInputs();
});

test("memory accounting returns to baseline after freeing", () => {
  freeInputs();
  const base = be.memoryInfo();
  const bufs = [be.alloc("float32", 1023), be.fill("int32", 17, 3), be.upload("float64", Float64Array.from([1, 2]))];
  const x = bufs[0];
  const v: View = { buf: x, shape: [1023], strides: [1], offset: 0, dtype: "float32" };
  for (let i = 0; i < 5; i++) be.free(be.unary("exp", v));
  for (const b of bufs) be.free(b);
  const now = be.memoryInfo();
  assert.equal(now.buffers, base.buffers);
  assert.equal(now.bytesInUse, base.bytesInUse);
});

test("memory growth keeps earlier buffers valid", () => {
  const small = be.upload("float32", Float32Array.from([1, 2, 3]));
  const before = be.memoryInfo().memoryBytes;
  const big = be.alloc("float32", 40 * 1024 * 1024); // 160 MiB: forces memory.grow
  assert.ok(be.memoryInfo().memoryBytes > before);
  assert.deepEqual(Array.from(be.readSync(small)), [1, 2, 3]);
  const s = be.reduce("sum", { buf: big, shape: [40 * 1024 * 1024], strides: [1], offset: 0, dtype: "float32" }, [0]);
  assert.deepEqual(Array.from(be.readSync(s)), [0]);
  for (const b of [small, big, s]) be.free(b);
});

describe("other builds", () => {
  test("plain SIMD (no relaxed FMA) build", async () => {
    const b2 = await createWasmBackend({ threads: 2, relaxedSimd: false });
    try {
      assert.equal(b2.variant, "simd-mt");
      const saved = be;
      be = b2;
      try {
        const a = makeMat("float32", 1, 255, 129, true, false), b = makeMat("float32", 1, 129, 63, false, false);
        checkMatmul(readOut(be.matmul(a.view, b.view)), a, b, 1, 255, 129, 63, "float32", "simd build matmul");
        const x = make("float32", [1023], "strided");
        close(readOut(be.unary("exp", x.view)), x.vals.map((v) => Math.fround(Math.exp(v))), "simd build exp", 3e-6);
        close(readOut(be.unary("erf", x.view)), x.vals.map(erfRef), "simd build erf", 3e-6, 3e-7);
      } finally {
        freeInputs();
        be = saved;
      }
    } finally {
      await b2.dispose();
    }
  });

  test("single-thread build (no shared memory)", async () => {
    const b3 = await createWasmBackend({ threads: 1, sharedMemory: false });
    try {
      assert.match(b3.variant, /-st$/);
      assert.equal(b3.threadsSupported, false);
      const saved = be;
      be = b3;
      try {
        const a = makeMat("float32", 2, 64, 100, false, true), b = makeMat("float32", 2, 100, 33, true, false);
        checkMatmul(readOut(be.matmul(a.view, b.view)), a, b, 2, 64, 100, 33, "float32", "st build matmul");
        const x = make("float32", [255, 17], "transposed");
        const got = readOut(be.reduce("sum", x.view, [0]));
        const want = refReduce("sum", x.vals, [255, 17], [0], "float32");
        close(got, want, "st build reduce", 1e-5, 1e-5);
        const big = be.alloc("float32", 20 * 1024 * 1024); // growth of a non-shared memory
        assert.deepEqual(readOut(be.contiguous(x.view)), x.vals);
        be.free(big);
      } finally {
        freeInputs();
        be = saved;
      }
    } finally {
      await b3.dispose();
    }
  });
});

test("embedded kernels are the committed wasm/*.wasm artefacts", async () => {
  for (const [name, load] of Object.entries(EMBEDDED_BUILDS)) {
    const entry = await load();
    const embedded = gunzipSync(Buffer.from(entry.data, "base64"));
    const file = readFileSync(fileURLToPath(new URL(`../wasm/neurite-${name}.wasm`, import.meta.url)));
    assert.ok(embedded.equals(file), `binary/${name}.ts differs from wasm/neurite-${name}.wasm`);
    assert.equal(createHash("sha256").update(file).digest("hex"), entry.sha256);
    assert.ok(WebAssembly.validate(file) || name.startsWith("relaxed"), `${name} validates`);
  }
});

const clang = ["clang-16", "clang-17", "clang-18", "clang-19"].find((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
test("tools/build-wasm.sh reproduces the committed artefacts", { skip: clang ? false : "no clang >= 16 here" }, () => {
  const script = fileURLToPath(new URL("../tools/build-wasm.sh", import.meta.url));
  assert.ok(existsSync(script));
  const r = spawnSync("sh", [script, "--check"], { encoding: "utf8", timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
});

test("a process with a live (undisposed) thread pool exits by itself", () => {
  const mod = fileURLToPath(new URL("../src/backend/wasm/index.ts", import.meta.url));
  const code = `
    const { createWasmBackend } = await import(${JSON.stringify(mod)});
    const be = await createWasmBackend({ threads: 2 });
    const n = 256;
    const a = be.upload("float32", new Float32Array(n * n).fill(1));
    const v = { buf: a, shape: [n, n], strides: [n, 1], offset: 0, dtype: "float32" };
    const c = be.matmul(v, v);
    console.log("ok", be.threads, be.readSync(c)[0]);
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    timeout: 30000,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `child exited with ${r.status} / ${r.signal}: ${r.stderr}`);
  assert.match(r.stdout, /ok 2 256/);
});
