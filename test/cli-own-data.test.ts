// `neurite train/eval/predict` on the user's own data: an image folder of PNG and JPEG files and
// a CSV table, written by the test; the validation split; bad data as one line naming the file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neuriteAsync } from "./cli-bin.js";
import { writeImageFolder, tableCsv } from "./helpers/own-data.js";

const tmp = () => mkdtempSync(join(tmpdir(), "neurite-cli-own-"));
const neurite = (args: string[]) => neuriteAsync(args, {});
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("own data", { concurrency: 2 }, () => {
  test("an image folder: train with a validation split, then eval and predict with its class names", async () => {
    const dir = tmp();
    const imgs = await writeImageFolder(join(dir, "imgs"), 20, 16);
    const out = join(dir, "run");
    const r = await neurite(["train", "--model", "cnn", "--data", imgs, "--epochs", "4", "--batch-size", "16", "--out", out, "--backend", "cpu", "--json", "--no-report"]);
    assert.equal(r.code, 0, r.stderr);
    const res = lastJson(r.stdout);
    assert.equal(res.trainSamples, 54, "60 images, 10% held out");
    assert.equal(res.valSamples, 6);
    assert.ok((res.valAccuracy as number) >= 0.8, `val accuracy ${String(res.valAccuracy)}`);
    assert.equal(res.testLoss, null, "no test set in own data");
    assert.deepEqual(res.classes, ["left", "right", "top"]);
    assert.match(r.stderr, /val loss .* val accuracy/, "each epoch is evaluated on the validation split");

    const ev = await neurite(["eval", "--checkpoint", out, "--data", imgs, "--json"]);
    assert.equal(ev.code, 0, ev.stderr);
    const e = lastJson(ev.stdout);
    assert.equal(e.testSamples, 60);
    assert.ok((e.testAccuracy as number) >= 0.8, `eval accuracy ${String(e.testAccuracy)}`);

    const pr = await neurite(["predict", "--checkpoint", out, join(imgs, "top", "1.jpg"), join(imgs, "left", "0.png"), "--top-k", "1", "--json"]);
    assert.equal(pr.code, 0, pr.stderr);
    const preds = (lastJson(pr.stdout).predictions as { top: { class: string }[] }[]).map((p) => p.top[0]!.class);
    assert.deepEqual(preds, ["top", "left"]);
  });

  test("a CSV table: tabular-mlp by default, standardisation in the weights, predict per row, exact resume", async () => {
    const dir = tmp();
    const csv = join(dir, "table.csv");
    writeFileSync(csv, tableCsv(400));
    const args = ["train", "--data", csv, "--target", "label", "--epochs", "8", "--backend", "cpu", "--json", "--no-report"];
    const out = join(dir, "run");
    const r = await neurite([...args, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    const res = lastJson(r.stdout);
    assert.equal(res.model, "tabular-mlp");
    assert.equal(res.valSamples, 40);
    assert.ok((res.valAccuracy as number) >= 0.9, `val accuracy ${String(res.valAccuracy)}`);
    assert.deepEqual(res.classes, ["high", "low"]);

    writeFileSync(join(dir, "new.csv"), "colour,x,y\nred,0.9,-50\nblue,-0.9,90\n");
    const pr = await neurite(["predict", "--checkpoint", out, join(dir, "new.csv"), "--top-k", "1", "--json"]);
    assert.equal(pr.code, 0, pr.stderr);
    const preds = lastJson(pr.stdout).predictions as { row: number; top: { class: string }[] }[];
    assert.deepEqual(preds.map((p) => [p.row, p.top[0]!.class]), [[2, "high"], [3, "low"]]);

    // Stopped after 20 steps and resumed: the same weights as the uninterrupted run.
    const out2 = join(dir, "run2");
    const stopped = await neurite([...args, "--out", out2, "--max-steps", "20"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const resumed = await neurite(["train", "--resume", out2, "--json", "--no-report"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(sha(join(out2, "model.safetensors")), sha(join(out, "model.safetensors")));
  });

  test("Fashion-MNIST with --val-split: each epoch on the validation split, the test set once at the end", async () => {
    const bundled = new URL("../data/fashion-mnist-subset", import.meta.url).pathname;
    const r = await neurite(["train", "--model", "mlp", "--data", bundled, "--limit", "500", "--test-limit", "100", "--val-split", "0.2", "--epochs", "2", "--out", join(tmp(), "run"), "--backend", "cpu", "--json", "--no-report"]);
    assert.equal(r.code, 0, r.stderr);
    const res = lastJson(r.stdout);
    assert.equal(res.trainSamples, 400);
    assert.equal(res.valSamples, 100);
    assert.equal(res.testSamples, 100);
    assert.equal(typeof res.valAccuracy, "number");
    assert.equal(typeof res.testAccuracy, "number");
    const history = res.history as { valLoss: number | null; testLoss: number | null }[];
    assert.ok(history.every((h) => typeof h.valLoss === "number" && h.testLoss === null));
  });

  test("bad data: one line naming the folder, file or row; exit code 2", async () => {
    const dir = tmp();
    const imgs = await writeImageFolder(join(dir, "imgs"), 2, 8);
    mkdirSync(join(imgs, "empty"));
    const a = await neurite(["train", "--data", imgs, "--out", join(dir, "a"), "--backend", "cpu"]);
    assert.equal(a.code, 2);
    assert.match(a.stderr.trim(), /^neurite train: image folder '.*imgs': the class folder '.*empty' has no PNG or JPEG images$/);
    writeFileSync(join(imgs, "empty", "x.jpg"), "garbage");
    const b = await neurite(["train", "--data", imgs, "--out", join(dir, "b"), "--backend", "cpu"]);
    assert.equal(b.code, 2);
    assert.match(b.stderr.trim(), /^neurite train: .*empty\/x\.jpg: not a readable PNG or JPEG image/);
    const csv = join(dir, "t.csv");
    writeFileSync(csv, "a,b,label\n1,2,x\n3,4\n");
    const c = await neurite(["train", "--data", csv, "--target", "label", "--out", join(dir, "c"), "--backend", "cpu"]);
    assert.equal(c.code, 2);
    assert.match(c.stderr.trim(), /^neurite train: .*t\.csv: line 3: 2 fields, expected 3 like the header$/);
    const d = await neurite(["train", "--data", csv, "--out", join(dir, "d"), "--backend", "cpu"]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /is a table; say which column to predict with --target COLUMN/);
    writeFileSync(csv, "a,b,label\n1,2,x\n3,4,y\n");
    const e = await neurite(["train", "--data", csv, "--target", "species", "--out", join(dir, "e"), "--backend", "cpu"]);
    assert.equal(e.code, 2);
    assert.match(e.stderr.trim(), /^neurite train: .*t\.csv: no column 'species' to predict \(the columns are: a, b, label\)$/);
  });
});
