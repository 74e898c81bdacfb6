import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as nt from "../../src/index.js";
import { flattenTensors } from "../../src/onnx/trace.js";
import { assertClose } from "./fixtures.js";

/**
 * assertClose, plus: a NaN on one side only is a mismatch. (assertClose lets it through: its
 * error ratio is NaN, which never exceeds 1.)
 */
export function assertOnnxClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-3, atol = 1e-4): void {
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    if (Number.isNaN(actual[i]!) !== Number.isNaN(expected[i]!)) throw new Error(`${what}: mismatch at flat index ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
  assertClose(actual, expected, what, rtol, atol);
}

/** Makes the inputs of a case at a given batch size (same seed → same values). */
export type InputMaker = (batch: number) => nt.Tensor[];

export interface OnnxCase {
  name: string;
  model: nt.nn.Module;
  inputs: InputMaker;
  inputNames?: string[];
  /** Which axis of each input is the batch: one for all (default 0), one per input, or null = no dynamic batch. */
  batchAxis?: number | readonly number[] | null;
}

const dir = mkdtempSync(join(tmpdir(), "neurite-onnx-"));

function toOrt(t: nt.Tensor): ort.Tensor {
  const data = t.dataSync();
  if (t.dtype === "int32") return new ort.Tensor("int32", Int32Array.from(data), [...t.shape]);
  if (t.dtype === "bool") return new ort.Tensor("bool", Uint8Array.from(data), [...t.shape]);
  return new ort.Tensor("float32", Float32Array.from(data), [...t.shape]);
}

/**
 * Exports the case at batch 1 with a dynamic batch axis, writes the file (for the ONNX checker),
 * then runs it in ONNX Runtime at batch 1 and 7 and compares with neurite's forward pass.
 * Returns the file's path.
 */
export async function exportAndCompare(c: OnnxCase, rtol = 1e-3, atol = 1e-4): Promise<string> {
  const example = c.inputs(1);
  const inputNames = c.inputNames ?? example.map((_, i) => `input_${i}`);
  const axis = c.batchAxis === undefined ? 0 : c.batchAxis;
  const axisOf = (i: number): number => (typeof axis === "number" ? axis : axis![i]!);
  const dynamicAxes = axis === null ? undefined : Object.fromEntries(inputNames.map((n, i) => [n, [axisOf(i)]]));
  const bytes = nt.onnx.exportModel(c.model, example, { inputNames, dynamicAxes });
  const path = join(dir, `${c.name.replace(/[^a-zA-Z0-9_-]+/g, "_")}.onnx`);
  writeFileSync(path, bytes);
  const session = await ort.InferenceSession.create(bytes);
  for (const batch of axis === null ? [2] : [1, 7]) {
    const inputs = c.inputs(batch);
    const feeds = Object.fromEntries(inputs.map((t, i) => [inputNames[i]!, toOrt(t)]));
    const got = await session.run(feeds);
    c.model.eval();
    const want = flattenTensors(nt.noGrad(() => c.model.forward(...inputs)));
    if (want.length !== session.outputNames.length) throw new Error(`${c.name}: ${session.outputNames.length} ONNX outputs, neurite returns ${want.length}`);
    want.forEach((w, i) => {
      const o = got[session.outputNames[i]!]!;
      const what = `${c.name} batch ${batch} output ${i}`;
      if (o.dims.join(",") !== w.shape.join(",")) throw new Error(`${what}: ONNX shape [${o.dims.join(", ")}], neurite [${w.shape.join(", ")}]`);
      assertOnnxClose(Array.from(o.data as ArrayLike<number>, Number), Array.from(w.dataSync(), Number), what, rtol, atol);
    });
  }
  return path;
}

/** Runs Debian's python3-onnx full checker (with shape inference) on every file in one process. */
export function checkWithOnnxChecker(paths: readonly string[]): void {
  const script = "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\nprint('checked', len(sys.argv) - 1)";
  const r = spawnSync("/usr/bin/python3", ["-c", script, ...paths], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`onnx.checker failed (status ${r.status}):\n${r.stderr}${r.stdout}`);
  if (!r.stdout.includes(`checked ${paths.length}`)) throw new Error(`onnx.checker did not report all files: ${r.stdout}`);
}

/** A seeded input maker. */
export const seeded =
  (seed: number, make: (batch: number) => nt.Tensor[]): InputMaker =>
  (batch) => {
    nt.manualSeed(seed + batch);
    return make(batch);
  };
