// `neurite train --model ddpm` is an ordinary zoo run: fit()'s checkpoint (with the EMA weights),
// sample grids, then generate / eval / sample read that run folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng } from "../src/data/png.js";
import { neuriteAsync } from "./cli-bin.js";

const root = new URL("..", import.meta.url).pathname;
const bundled = join(root, "data/fashion-mnist-subset");
const lastJson = (s: string) => JSON.parse(s.trim().split("\n").pop()!) as Record<string, unknown>;

test("neurite train --model ddpm → checkpoint with EMA, sample grid; generate, eval and sample read the run", async () => {
  const out = mkdtempSync(join(tmpdir(), "neurite-ddpm-cli-"));
  try {
    const help = await neuriteAsync(["train", "--help"]);
    assert.match(help.stdout, /--model NAME .*\bddpm\b/);
    const unknown = await neuriteAsync(["train", "--model", "nope"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown model 'nope' \(choose one of: .*\bddpm\b/);

    const r = await neuriteAsync(["train", "--model", "ddpm", "--data", bundled, "--limit", "16", "--batch-size", "8", "--epochs", "1", "--test-limit", "8", "--out", out, "--no-report", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = lastJson(r.stdout);
    assert.equal(result.model, "ddpm");
    assert.equal(result.steps, 2);
    assert.equal(result.trainAccuracy, null, "no accuracy for a diffusion model");
    assert.ok(typeof result.testLoss === "number" && result.testLoss > 0 && result.testLoss < 5, `test loss ${String(result.testLoss)}`);
    for (const f of ["model.safetensors", "optimizer.safetensors", "optimizer.json", "callbacks.safetensors", "state.json", "manifest.json"]) {
      assert.ok(existsSync(join(out, "checkpoint", f)), `checkpoint/${f}`);
    }
    const state = JSON.parse(readFileSync(join(out, "checkpoint", "state.json"), "utf8")) as { train: { callbacks: { ema: { numUpdates: number } } }; config: { scheduler: string; gradClip: number } };
    assert.equal(state.train.callbacks.ema.numUpdates, 2, "the EMA was updated once per step");
    assert.equal(state.config.scheduler, "warmup");
    assert.equal(state.config.gradClip, 1);
    const grid = await decodePng(new Uint8Array(readFileSync(join(out, "samples", "epoch-001.png"))));
    assert.equal(grid.width, 4 * 28 + 5 * 2, "4 images per row (2 per class, 2 classes per row)");

    const png = join(out, "g.png");
    const g = await neuriteAsync(["generate", "--checkpoint", out, "--n", "3", "--steps", "2", "--class", "7", "--out", png, "--json", "--quiet"]);
    assert.equal(g.code, 0, g.stderr);
    const gen = lastJson(g.stdout);
    assert.equal(gen.weights, "ema");
    assert.equal(gen.checkpoint, join(out, "checkpoint"));
    assert.equal((await decodePng(new Uint8Array(readFileSync(png)))).height, 28 + 2 * 2);

    const e = await neuriteAsync(["eval", "--checkpoint", out, "--data", bundled, "--limit", "8", "--json"]);
    assert.equal(e.code, 0, e.stderr);
    const ev = lastJson(e.stdout);
    assert.equal(ev.testAccuracy, null);
    assert.ok(typeof ev.testLoss === "number" && ev.testLoss > 0);

    const s = await neuriteAsync(["sample", "--checkpoint", out]);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /holds a 'ddpm' model, which does not generate text .*neurite generate --checkpoint/);
    const p = await neuriteAsync(["generate", "--checkpoint", out, "--prompt", "The "]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /--prompt is for character models/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
