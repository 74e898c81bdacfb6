// The seeded generator behind every random draw (initialisation, dropout, shuffling): bit-exact
// against the reference xoshiro128** and statistically sound for the ways neurite uses it. Checked
// while looking for the cause of the char-gpt gap (docs/results-architectures.md §2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator } from "../src/tensor/random.js";
import { randperm } from "../src/ops/creation.js";

test("Generator: matches the reference C implementation (Blackman & Vigna) from state {1, 2, 3, 4}", () => {
  // Outputs of xoshiro128starstar.c's next() with s = {1, 2, 3, 4}.
  const reference = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804];
  const g = new Generator();
  g.setState([1, 2, 3, 4, NaN]);
  assert.deepEqual(reference.map(() => g.nextUint32()), reference);
});

test("Generator: draws standard normals with the right moments and no lag-1 correlation (Box–Muller pairs)", () => {
  const g = new Generator(0);
  const n = 200_000;
  let s1 = 0;
  let s2 = 0;
  let s4 = 0;
  let lag1 = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const x = g.normal();
    s1 += x;
    s2 += x * x;
    s4 += x ** 4;
    lag1 += x * prev;
    prev = x;
  }
  // Tolerances are 5 standard errors of each estimate for n draws.
  assert.ok(Math.abs(s1 / n) < 5 / Math.sqrt(n), `mean ${s1 / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n), `variance ${s2 / n}`);
  assert.ok(Math.abs(s4 / n / (s2 / n) ** 2 - 3) < 5 * Math.sqrt(96 / n), `kurtosis ${s4 / n / (s2 / n) ** 2}`);
  assert.ok(Math.abs(lag1 / n) < 5 / Math.sqrt(n), `lag-1 correlation ${lag1 / n}`);
});

test("Generator: keeps float32-rounded uniforms at dropout's rate, independently at tensor-stride lags", () => {
  const g = new Generator(1);
  const n = 200_000;
  const p = Math.fround(0.1);
  const f = new Float32Array(n + 4096);
  for (let i = 0; i < f.length; i++) f[i] = g.random();
  const dropped = (i: number) => (f[i]! < p ? 1 : 0);
  let drops = 0;
  for (let i = 0; i < n; i++) drops += dropped(i);
  assert.ok(Math.abs(drops / n - 0.1) < 5 * Math.sqrt(0.09 / n), `drop rate ${drops / n}`);
  for (const lag of [1, 2, 64, 4096]) {
    let both = 0;
    for (let i = 0; i < n; i++) both += dropped(i) & dropped(i + lag);
    assert.ok(Math.abs(both / n - 0.01) < 5 * Math.sqrt(0.0099 / n), `P(drop, drop at lag ${lag}) = ${both / n}`);
  }
});

test("Generator: shuffles uniformly: every element lands in every position equally often (Fisher–Yates with int())", () => {
  const g = new Generator(2);
  const n = 8;
  const trials = 16_000;
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let t = 0; t < trials; t++) {
    const perm = randperm(n, { generator: g }).dataSync();
    perm.forEach((v, pos) => counts[Number(v)]![pos]!++);
  }
  // Pearson chi-square over the 64 cells, 49 degrees of freedom: mean 49, sd ≈ 9.9.
  const expected = trials / n;
  const chi2 = counts.flat().reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 49 + 5 * 9.9, `chi-square ${chi2}`);
});
