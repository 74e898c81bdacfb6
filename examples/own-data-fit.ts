/**
 * Your own data through `nt.train.fit`, as docs/training.md ("From code") shows it: a folder with
 * one sub-folder of PNG/JPEG images per class, or a CSV table with a target column; a seeded 10 %
 * validation split; a small network sized from the data; the accuracy on the held-out rows.
 *
 *   node --import tsx tools/make-own-data.ts /tmp/own          # example data from this machine
 *   node --import tsx examples/own-data-fit.ts /tmp/own/images/train
 *   node --import tsx examples/own-data-fit.ts /tmp/own/breast_cancer.csv diagnosis
 */
import * as nt from "neurite";

const [path, target] = process.argv.slice(2);
if (!path) throw new Error("usage: examples/own-data-fit.ts IMAGE_FOLDER | TABLE.csv TARGET_COLUMN");

nt.manualSeed(0);
const isTable = path.endsWith(".csv");
if (isTable && !target) throw new Error("examples/own-data-fit.ts: a table needs the name of its target column");
const { dataset, classNames } = isTable
  ? await nt.data.tableDataset(path, target!)
  : await nt.data.imageFolderDataset(path, { size: 28, color: "grey" });
const [inputs] = dataset.tensors;
const features = inputs!.shape.slice(1).reduce((a, b) => a * b, 1);

const { train, val } = nt.data.splitIndices(dataset.length, 0.1, 0);
const model = new nt.nn.Sequential(
  new nt.nn.Flatten(),
  new nt.nn.Linear(features, 128),
  new nt.nn.ReLU(),
  new nt.nn.Linear(128, classNames.length),
);
const started = performance.now();
const result = await nt.train.fit(model, {
  train: new nt.data.DataLoader(new nt.data.Subset(dataset, train), { batchSize: 64, shuffle: true, seed: 0 }),
  val: new nt.data.DataLoader(new nt.data.Subset(dataset, val), { batchSize: 512 }),
  optimizer: new nt.optim.Adam(model.parameters(), { lr: isTable ? 3e-3 : 1e-3 }),
  loss: nt.nn.functional.crossEntropy,
  epochs: isTable ? 30 : 10,
});
const last = result.history.at(-1)!;
console.log(
  `${classNames.length} classes, ${train.length} training / ${val.length} validation samples: ` +
    `validation accuracy ${(100 * (last.val?.accuracy ?? NaN)).toFixed(2)} % after ${result.history.length} epochs, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
