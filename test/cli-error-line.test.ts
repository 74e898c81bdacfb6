// The one line a failed command prints: out-of-memory errors told apart by class, named once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { userLine } from "../src/cli/error-line.js";
import { OutOfMemoryError } from "../src/memory/out-of-memory.js";
import { TrainingError } from "../src/train/training-errors.js";
import { TrainingOutOfMemoryError } from "../src/cli/train/fit-errors.js";

test("error line: an OutOfMemoryError, wrapped or not, is named once; a raw allocation failure gets the name and the remedy", () => {
  const oom = new OutOfMemoryError("matmul", "cpu", "4.00 GiB", new RangeError("Array buffer allocation failed"));
  assert.match(userLine(oom), /^out of memory: matmul on 'cpu' could not allocate 4\.00 GiB/);
  const wrapped = new TrainingOutOfMemoryError(new TrainingError(`${oom.message} (at epoch 1, step 2, global step 2); no checkpoint was written`, 1, 2, 2, null, { cause: oom }));
  const line = userLine(wrapped);
  assert.equal(line.split("out of memory").length, 2, line);
  assert.match(line, /; try a smaller --batch-size$/);
  assert.equal(userLine(new RangeError("Array buffer allocation failed")), "out of memory: Array buffer allocation failed; try a smaller --batch-size");
  assert.equal(userLine(new Error("could not read x", { cause: new RangeError("Invalid typed array length: 1e12") })), "out of memory: could not read x; try a smaller --batch-size");
  assert.equal(userLine(new Error("first line\nsecond line")), "first line");
  assert.equal(userLine("a string"), "a string");
});
