// The own-data readers: image folders (PNG and JPEG), tables with numeric and text columns,
// the seeded validation split, and the checks on preprocessing metadata read from files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { splitIndices } from "../src/data/split.js";
import { parseTable, fitTableEncoder, encodeTable, encodedWidth, checkTableEncoder, TableError } from "../src/data/tabular.js";
import { loadImageFolder, ImageFolderError } from "../src/data/image-folder.js";
import { decodeJpeg } from "../src/data/jpeg.js";
import { resizeToPlanes, checkImageTransform } from "../src/data/image-transform.js";
import { writeImageFolder, tableCsv, SHAPE_CLASSES } from "./helpers/own-data.js";

const tmp = () => mkdtempSync(join(tmpdir(), "neurite-own-data-"));

test("splitIndices: seeded, disjoint, covering, and the requested fraction", () => {
  const a = splitIndices(100, 0.1, 7);
  assert.equal(a.val.length, 10);
  assert.equal(a.train.length, 90);
  assert.deepEqual([...a.train, ...a.val].sort((x, y) => x - y), [...Array(100).keys()]);
  assert.deepEqual(splitIndices(100, 0.1, 7), a, "same seed, same split");
  assert.notDeepEqual(splitIndices(100, 0.1, 8).val, a.val, "another seed, another split");
  assert.deepEqual(splitIndices(5, 0, 1).val, []);
  assert.equal(splitIndices(3, 0.01, 1).val.length, 1, "at least one validation sample");
  assert.throws(() => splitIndices(10, 1, 0), /fraction must be in \[0, 1\)/);
});

test("tables: numeric columns standardised, text columns one-hot, classes from the target", () => {
  const t = parseTable("a,colour,label\n1,red,yes\n3,blue,no\n5,red,yes\n", "t.csv");
  const enc = fitTableEncoder(t, "label", "t.csv");
  assert.deepEqual(enc.classes, ["no", "yes"]);
  assert.deepEqual(enc.columns[0], { name: "a", kind: "numeric", mean: 3, std: Math.sqrt(8 / 3) });
  assert.deepEqual(enc.columns[1], { name: "colour", kind: "categorical", categories: ["blue", "red"] });
  assert.equal(encodedWidth(enc), 3);
  const { inputs, labels } = encodeTable(enc, t, "t.csv");
  const s = Math.sqrt(8 / 3);
  assert.deepEqual(Array.from(inputs), [-2 / s, 0, 1, 0, 1, 0, 2 / s, 0, 1].map(Math.fround));
  assert.deepEqual(Array.from(labels!), [1, 0, 1]);
  // Columns are found by name; an unseen text value encodes as zeros; no target column: no labels.
  const other = encodeTable(enc, parseTable("colour,a\ngreen,3\n", "new.csv"), "new.csv");
  assert.deepEqual(Array.from(other.inputs), [0, 0, 0]);
  assert.equal(other.labels, null);
  // Numeric targets are classes in numeric order.
  assert.deepEqual(fitTableEncoder(parseTable("x,y\n1,10\n2,9\n3,10\n", "n.csv"), "y", "n.csv").classes, ["9", "10"]);
});

test("tables: bad data gets one line naming the file, row and column", () => {
  const fit = (text: string, target = "label") => fitTableEncoder(parseTable(text, "data.csv"), target, "data.csv");
  assert.throws(() => fit("a,label\n1,x\n2,y\n", "species"), (e: Error) => e instanceof TableError && /data\.csv: no column 'species' to predict \(the columns are: a, label\)/.test(e.message));
  assert.throws(() => fit("a,label\n1,x\n2\n"), /data\.csv: line 3: 1 fields, expected 2 like the header/);
  assert.throws(() => fit("a,label\n1,x\n2,\n"), /data\.csv row 3: the target column 'label' is empty/);
  assert.throws(() => fit("a,label\n1,x\n,y\n"), /data\.csv row 3: column 'a' is empty/);
  assert.throws(() => fit("a,label\n1,x\n2,x\n"), /only one value/);
  assert.throws(() => fit(""), /data\.csv: the file is empty/);
  assert.throws(() => fit("a,label\n"), /header but no rows/);
  const enc = fit("a,label\n1,x\n2,y\n");
  assert.throws(() => encodeTable(enc, parseTable("a,label\n1,x\nabc,y\n", "new.csv"), "new.csv"), /new\.csv row 3: column 'a' should be a number, got "abc"/);
  assert.throws(() => encodeTable(enc, parseTable("a,label\n1,z\n", "new.csv"), "new.csv"), /new\.csv row 2: the target 'label' is "z", not one of the model's classes \(x, y\)/);
  // Prediction ignores the target column: blank answers to be filled in are not an error.
  const blank = encodeTable(enc, parseTable("a,label\n1,\n2,\n", "new.csv"), "new.csv", { readTarget: false });
  assert.equal(blank.labels, null);
  assert.equal(blank.inputs.length, 2);
  assert.throws(() => checkTableEncoder({ kind: "table", target: "y", classes: ["a", "b"], columns: [{ name: "x", kind: "numeric", mean: 0, std: 0 }] }, "f"), /column 'x' needs a finite mean and a positive std/);
});

test("image folders: PNG and JPEG read, resized, standardised; classes from the sub-folders", async () => {
  const dir = await writeImageFolder(join(tmp(), "imgs"), 4, 12);
  const d = await loadImageFolder(dir, { size: 8 });
  assert.deepEqual(d.classNames, [...SHAPE_CLASSES].sort());
  assert.equal(d.labels.length, 12);
  assert.equal(d.transform.channels, 3, "colour images stay RGB");
  assert.equal(d.inputs.length, 12 * 3 * 8 * 8);
  assert.ok(d.files.some((f) => f.endsWith(".jpg")) && d.files.some((f) => f.endsWith(".png")));
  // Standardised per channel over the folder: mean 0, std 1.
  for (let ch = 0; ch < 3; ch++) {
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < 12; i++) for (let p = 0; p < 64; p++) {
      const v = d.inputs[i * 192 + ch * 64 + p]!;
      sum += v;
      sq += v * v;
    }
    assert.ok(Math.abs(sum / 768) < 1e-4, `channel ${ch} mean ${sum / 768}`);
    assert.ok(Math.abs(sq / 768 - 1) < 1e-3, `channel ${ch} variance ${sq / 768}`);
  }
  const grey = await loadImageFolder(dir, { size: 4, color: "grey", normalize: "none" });
  assert.equal(grey.transform.channels, 1);
  assert.deepEqual(grey.transform.mean, [0]);
  assert.ok(grey.inputs.every((v) => v >= 0 && v <= 1));
  // The default size is the first image's (12x12 here).
  assert.equal((await loadImageFolder(dir)).transform.height, 12);
});

test("image folders: an empty class folder, an unreadable image, no class folders", async () => {
  const dir = await writeImageFolder(join(tmp(), "imgs"), 2, 8);
  mkdirSync(join(dir, "zebra"));
  await assert.rejects(loadImageFolder(dir), (e: Error) => e instanceof ImageFolderError && /the class folder '.*zebra' has no PNG or JPEG images/.test(e.message));
  writeFileSync(join(dir, "zebra", "broken.png"), "not an image");
  await assert.rejects(loadImageFolder(dir), /zebra\/broken\.png: not a readable PNG or JPEG image/);
  const flat = tmp();
  writeFileSync(join(flat, "a.png"), "x");
  await assert.rejects(loadImageFolder(flat), /no class sub-folders/);
});

test("decodeJpeg and resizeToPlanes: a flat colour survives the JPEG round trip and the resize", async () => {
  const rgba = new Uint8Array(16 * 16 * 4);
  for (let p = 0; p < 256; p++) rgba.set([200, 100, 50, 255], 4 * p);
  const img = await decodeJpeg(new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba }, 95).data));
  assert.equal(img.channels, 3);
  assert.ok(Math.abs(img.data[0]! - 200) <= 3 && Math.abs(img.data[1]! - 100) <= 3 && Math.abs(img.data[2]! - 50) <= 3, `${img.data.subarray(0, 3)}`);
  const planes = resizeToPlanes(img, 4, 4, 1);
  assert.ok(Math.abs(planes[5]! - (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255) < 0.02);
  await assert.rejects(decodeJpeg(new Uint8Array([1, 2, 3])), /not a JPEG file/);
  assert.throws(() => checkImageTransform({ kind: "image", height: 100000, width: 2, channels: 1, mean: [0], std: [1] }, "f.safetensors"), /height and width must be integers from 1 to 1024/);
  assert.throws(() => checkImageTransform({ kind: "image", height: 2, width: 2, channels: 3, mean: [0], std: [1] }, "f"), /needs 3 finite mean/);
});

test("tableCsv helper writes a learnable table", () => {
  const t = parseTable(tableCsv(50), "h.csv");
  assert.equal(t.rows.length, 50);
  assert.deepEqual(t.header, ["x", "y", "colour", "label"]);
});

test("own data from code: imageFolderDataset and tableDataset train with fit() on a seeded split", async () => {
  const nt = await import("../src/node.js");
  const dir = tmp();
  const csv = join(dir, "t.csv");
  writeFileSync(csv, tableCsv(300));
  const { dataset, encoder, classNames } = await nt.data.tableDataset(csv, "label");
  assert.deepEqual(classNames, ["high", "low"]);
  const { train, val } = nt.data.splitIndices(dataset.length, 0.2, 0);
  const trainLoader = new nt.data.DataLoader(new nt.data.Subset(dataset, train), { batchSize: 32, shuffle: true, seed: 0 });
  const valLoader = new nt.data.DataLoader(new nt.data.Subset(dataset, val), { batchSize: 100 });
  nt.manualSeed(0);
  const model = new nt.nn.Sequential(new nt.nn.Linear(nt.data.encodedWidth(encoder), 32), new nt.nn.ReLU(), new nt.nn.Linear(32, 2));
  const result = await nt.train.fit(model, { train: trainLoader, val: valLoader, optimizer: new nt.optim.Adam(model.parameters(), { lr: 0.01 }), loss: nt.nn.functional.crossEntropy, epochs: 15 });
  assert.ok(result.history.at(-1)!.val!.accuracy >= 0.9, `val accuracy ${result.history.at(-1)!.val!.accuracy}`);

  const imgs = await writeImageFolder(join(dir, "imgs"), 6, 8);
  const folder = await nt.data.imageFolderDataset(imgs, { color: "grey" });
  assert.deepEqual(folder.dataset.tensors[0]!.shape, [18, 1, 8, 8]);
  assert.deepEqual(folder.classNames, ["left", "right", "top"]);
});

test("weights metadata: an own-data model's input spec is checked before it sizes anything", async () => {
  const { parseModelMetadata, MetadataError } = await import("../src/cli/model-metadata.js");
  const image = { kind: "image", height: 32, width: 32, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] };
  const ok = parseModelMetadata("m.safetensors", { input: JSON.stringify(image), classes: '["cat","dog"]' });
  assert.deepEqual(ok.inputShape, [3, 32, 32]);
  assert.deepEqual(ok.classNames, ["cat", "dog"], "any number of classes for own images");
  assert.throws(() => parseModelMetadata("m.safetensors", { input: JSON.stringify({ ...image, height: 1e6 }) }), (e: Error) => e instanceof MetadataError && /m\.safetensors: metadata "input": the image transform's height and width/.test(e.message));
  const table = { kind: "table", target: "y", classes: ["a", "b"], columns: [{ name: "x", kind: "numeric", mean: 0, std: 1 }, { name: "c", kind: "categorical", categories: ["p", "q"] }] };
  assert.deepEqual(parseModelMetadata("t.safetensors", { input: JSON.stringify(table), classes: '["a","b"]' }).inputShape, [3]);
  assert.throws(() => parseModelMetadata("t.safetensors", { input: JSON.stringify(table), classes: '["a","b","c"]' }), /metadata "classes" must be a JSON array of 2 class names/);
  assert.throws(() => parseModelMetadata("t.safetensors", { input: "{" }), /metadata "input" is not valid JSON/);
});
