/**
 * Writes "a user's own data" in the layouts `neurite train --data` takes, from data this machine
 * already has, so the own-data runs in docs/training.md can be repeated by anyone:
 *
 *   OUT/images/train/<class>/<n>.png|.jpg   Fashion-MNIST images, alternately PNG and JPEG
 *   OUT/images/test/<class>/<n>.png|.jpg    held-out images from the test split
 *   OUT/breast_cancer.csv                   scikit-learn's breast-cancer table (569 rows, 30
 *                                           numeric columns, target `diagnosis`), when Debian's
 *                                           python3-sklearn is installed
 *
 *   node --import tsx tools/make-own-data.ts OUT [--per-class 300] [--test-per-class 100]
 *
 * Images come from the full set in /usr/share/datasets/fashion-mnist (apt-get install
 * dataset-fashion-mnist) or else the bundled subset.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import jpeg from "jpeg-js";
import { CLASS_NAMES, findFashionMnistDir, loadFashionMnist, type FashionMnistSplit } from "../src/data/fashion-mnist.js";
import { encodePng } from "../src/data/png.js";

const SKLEARN_BREAST_CANCER = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv";
/** scikit-learn's feature names for that file (its own header row holds only counts). */
const FEATURES = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave_points", "symmetry", "fractal_dimension"];
const STATS = ["mean", "se", "worst"] as const;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { "per-class": { type: "string", default: "300" }, "test-per-class": { type: "string", default: "100" } },
});
const out = positionals[0];
if (!out) {
  console.error("usage: node --import tsx tools/make-own-data.ts OUT [--per-class N] [--test-per-class N]");
  process.exit(2);
}

/** A file- and shell-friendly folder name for a class ("T-shirt/top" -> "t-shirt-top"). */
const folderName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

async function writeImages(split: FashionMnistSplit, dir: string, perClass: number): Promise<number> {
  const counts = new Array<number>(CLASS_NAMES.length).fill(0);
  let written = 0;
  for (let i = 0; i < split.n && written < perClass * CLASS_NAMES.length; i++) {
    const label = split.labels[i]!;
    if (counts[label]! >= perClass) continue;
    const classDir = join(dir, folderName(CLASS_NAMES[label]!));
    mkdirSync(classDir, { recursive: true });
    const pixels = split.images.subarray(i * 784, (i + 1) * 784);
    const n = counts[label]!;
    if (n % 2 === 0) {
      writeFileSync(join(classDir, `${n}.png`), await encodePng({ width: 28, height: 28, channels: 1, data: pixels }));
    } else {
      const rgba = new Uint8Array(784 * 4);
      for (let p = 0; p < 784; p++) rgba.set([pixels[p]!, pixels[p]!, pixels[p]!, 255], 4 * p);
      writeFileSync(join(classDir, `${n}.jpg`), jpeg.encode({ width: 28, height: 28, data: rgba }, 95).data);
    }
    counts[label] = n + 1;
    written++;
  }
  return written;
}

/** scikit-learn's file: a counts header, 30 numbers and a 0 (malignant) / 1 (benign) target per row. */
function breastCancerCsv(text: string): string {
  const columns = STATS.flatMap((s) => FEATURES.map((f) => `${s}_${f}`));
  const rows = text.trim().split("\n").slice(1).map((line) => {
    const cells = line.split(",");
    const target = cells.pop()!.trim();
    return [...cells, target === "0" ? "malignant" : "benign"].join(",");
  });
  return [[...columns, "diagnosis"].join(","), ...rows].join("\n") + "\n";
}

const data = await loadFashionMnist(await findFashionMnistDir());
const perClass = Number(values["per-class"]);
const testPerClass = Number(values["test-per-class"]);
const nTrain = await writeImages(data.train, join(out, "images", "train"), perClass);
const nTest = await writeImages(data.test, join(out, "images", "test"), testPerClass);
console.log(`wrote ${nTrain} training and ${nTest} test images (${data.source}) under ${join(out, "images")}`);
if (existsSync(SKLEARN_BREAST_CANCER)) {
  writeFileSync(join(out, "breast_cancer.csv"), breastCancerCsv(readFileSync(SKLEARN_BREAST_CANCER, "utf8")));
  console.log(`wrote ${join(out, "breast_cancer.csv")} (scikit-learn's breast-cancer table, target column "diagnosis")`);
} else {
  console.log(`no table: ${SKLEARN_BREAST_CANCER} is missing (apt-get install python3-sklearn)`);
}
