// The user's own data for `neurite train/eval --data`: an image folder (one sub-folder per
// class) or a CSV table with a target column. Reading, checking and encoding are the library's
// (data/image-folder.ts, data/tabular.ts); this file turns them into TensorDatasets and turns
// their errors into one-line usage errors.
import { tensor } from "../ops/creation.js";
import { TensorDataset } from "../data/dataset.js";
import { loadImageFolder, ImageFolderError, type ImageFolderOptions } from "../data/image-folder.js";
import { readTable, fitTableEncoder, encodeTable, encodedWidth, TableError, type TableEncoder } from "../data/tabular.js";
import type { ImageTransform } from "../data/image-transform.js";
import { FileReadError } from "../io/node-file.js";
import { UsageError } from "./args.js";

/** Where task data sets live (see tasks.ts HOST_DEVICE). */
const HOST = "cpu";

/** How an own-data model prepares its input; stored as JSON under the weights' "input" metadata key. */
export type InputSpec = ImageTransform | TableEncoder;

export interface OwnData {
  all: TensorDataset;
  classNames: string[];
  sampleShape: number[];
  input: InputSpec;
  source: string;
}

/** Library data errors (they name the file and row) become usage errors: one line, exit code 2. */
async function asUsage<T>(command: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ImageFolderError || e instanceof TableError || e instanceof FileReadError) throw new UsageError(`neurite ${command}: ${e.message}`);
    throw e;
  }
}

export async function loadOwnImages(command: string, dir: string, options: ImageFolderOptions): Promise<OwnData> {
  const d = await asUsage(command, () => loadImageFolder(dir, options));
  const t = d.transform;
  const shape = [t.channels, t.height, t.width];
  const n = d.labels.length;
  const all = new TensorDataset(tensor(d.inputs, { shape: [n, ...shape], device: HOST }), tensor(d.labels, { shape: [n], dtype: "int32", device: HOST }));
  return { all, classNames: d.classNames, sampleShape: shape, input: t, source: `${dir} (${n} images, ${d.classNames.length} classes, ${t.channels === 1 ? "grey" : "RGB"} ${t.height}x${t.width})` };
}

export async function loadOwnTable(command: string, file: string, target: string | null, encoder?: TableEncoder): Promise<OwnData> {
  return asUsage(command, async () => {
    const table = await readTable(file);
    const enc = encoder ?? fitTableEncoder(table, target ?? "", file);
    const { inputs, labels, width } = encodeTable(enc, table, file);
    if (!labels) throw new TableError(`${file}: no column '${enc.target}' to evaluate against (the model predicts '${enc.target}')`);
    const n = labels.length;
    const all = new TensorDataset(tensor(inputs, { shape: [n, width], device: HOST }), tensor(labels, { shape: [n], dtype: "int32", device: HOST }));
    return { all, classNames: enc.classes, sampleShape: [encodedWidth(enc)], input: enc, source: `${file} (${n} rows, ${enc.columns.length} columns → ${width} inputs, ${enc.classes.length} classes of '${enc.target}')` };
  });
}
