/**
 * The op table (src/backend/scalar-ops/table.ts) and what is derived from it: the generated cpu
 * kernels and wasm header are current, every formula lowers in every language, and the wasm op
 * codes are the table's positions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_C_PATH, GENERATED_JS_PATH, generateCHeader, generateJs } from "../src/backend/scalar-ops/generate.js";
import { JS, cSimd, emitFormula, wgsl } from "../src/backend/scalar-ops/emit.js";
import { BINARY_CODE, BINARY_NAMES, BINARY_OPS, UNARY_CODE, UNARY_NAMES, UNARY_OPS } from "../src/backend/scalar-ops/table.js";
import { BINARY_FLOAT, UNARY_FLOAT } from "../src/backend/cpu/scalar-ops.gen.js";

const root = join(import.meta.dirname, "..");

test("generated cpu kernels and wasm header match the op table (run: npx tsx tools/gen-scalar-ops.ts)", () => {
  assert.equal(readFileSync(join(root, GENERATED_JS_PATH), "utf8"), generateJs(), `${GENERATED_JS_PATH} is stale`);
  assert.equal(readFileSync(join(root, GENERATED_C_PATH), "utf8"), generateCHeader(), `${GENERATED_C_PATH} is stale`);
});

test("every formula lowers to JS, C (f32/i32) and WGSL (f32/i32)", () => {
  for (const [name, def] of [...Object.entries(UNARY_OPS), ...Object.entries(BINARY_OPS)]) {
    for (const lang of [JS, cSimd("f32"), wgsl("f32")]) assert.ok(emitFormula(def.float, lang, ["a", "b"], name).length > 0);
    if (def.int) for (const lang of [JS, cSimd("i32"), wgsl("i32")]) assert.ok(emitFormula(def.int, lang, ["a", "b"], name).length > 0);
  }
});

test("wasm op codes are table positions, as in the generated C enum", () => {
  const header = generateCHeader();
  const unaryEnum = /enum \{ (U_[^}]*), U_COUNT \}/.exec(header)![1]!.split(", ");
  const binaryEnum = /enum \{ (B_[^}]*), B_COUNT \}/.exec(header)![1]!.split(", ");
  assert.equal(unaryEnum.length, UNARY_NAMES.length);
  assert.equal(binaryEnum.length, BINARY_NAMES.length);
  assert.equal(unaryEnum[UNARY_CODE.logicalNot], "U_LOGICAL_NOT");
  assert.equal(binaryEnum[BINARY_CODE.atan2], "B_ATAN2");
});

test("a missing helper is reported with the op and language", () => {
  assert.throws(() => emitFormula(UNARY_OPS.exp.float, cSimd("i32"), ["x"], "exp"), /c-i32 has no helper for 'exp' \(op 'exp'\)/);
});

test("PyTorch's NaN rules hold in the reference formulas", () => {
  assert.ok(Number.isNaN(UNARY_FLOAT.relu(NaN)));
  assert.equal(UNARY_FLOAT.logicalNot(NaN), 0);
  assert.equal(UNARY_FLOAT.sign(NaN), 0);
  assert.equal(BINARY_FLOAT.pow(1, NaN), 1);
  assert.equal(BINARY_FLOAT.pow(NaN, 0), 1);
  assert.ok(Number.isNaN(BINARY_FLOAT.maximum(NaN, 1)) && Number.isNaN(BINARY_FLOAT.maximum(1, NaN)));
  assert.ok(Number.isNaN(BINARY_FLOAT.minimum(NaN, 1)) && Number.isNaN(BINARY_FLOAT.minimum(1, NaN)));
  assert.equal(BINARY_FLOAT.ne(NaN, NaN), 1);
  assert.equal(BINARY_FLOAT.logicalAnd(NaN, 1), 1);
});
