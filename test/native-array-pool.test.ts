/** The native backend's pool of freed result arrays: reuse by dtype and length, byte cap, oldest evicted first. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ArrayPool } from "../src/backend/native/array-pool.js";

test("freed arrays come back for the same dtype and length only; zeroed on request", () => {
  const pool = new ArrayPool(1 << 20);
  const a = new Float32Array(1000).fill(3);
  pool.put("float32", a);
  assert.notEqual(pool.take("int32", 1000), a);
  assert.notEqual(pool.take("float32", 999), a);
  const z = pool.takeZeroed("float32", 1000);
  assert.equal(z, a);
  assert.ok(z.every((v) => v === 0));
  assert.equal(pool.heldBytes, 0);
  // small arrays and views into a larger buffer are left to the garbage collector
  pool.put("float32", new Float32Array(10));
  pool.put("float32", new Float32Array(4000).subarray(0, 1000));
  assert.equal(pool.heldBytes, 0);
});

test("a full pool drops the arrays freed longest ago, and its bookkeeping stays bounded", () => {
  const pool = new ArrayPool(10_000);
  const old = new Float32Array(1000), newer = new Float32Array(1000), last = new Float32Array(600);
  pool.put("float32", old);
  pool.put("float32", newer);
  pool.put("float32", last); // 10,400 bytes: `old` goes
  assert.equal(pool.heldBytes, 6400);
  assert.equal(pool.take("float32", 1000), newer);
  assert.notEqual(pool.take("float32", 1000), old);
  for (let i = 0; i < 10_000; i++) pool.put("float32", pool.take("float32", 600));
  assert.equal(pool.heldBytes, 2400);
  assert.ok((pool as unknown as { order: unknown[] }).order.length < 200);
});
