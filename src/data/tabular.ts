/**
 * Tables for classification (`neurite train --data table.csv --target COLUMN`): numeric columns
 * are standardised, text columns one-hot encoded, the target's distinct values become the
 * classes. The fitted TableEncoder is plain JSON, stored with the model (metadata key "input"),
 * so that `predict` and `eval` encode new rows exactly as training did. Browser-safe; reading a
 * file: readTable.
 */
import { parseCsv, type CsvTable, type CsvValue } from "./csv.js";
import { TensorDataset } from "./dataset.js";
import { tensor } from "../ops/creation.js";

export type TableColumn =
  | { name: string; kind: "numeric"; mean: number; std: number }
  | { name: string; kind: "categorical"; categories: string[] };

export interface TableEncoder {
  kind: "table";
  target: string;
  columns: TableColumn[];
  /** The target's values in class-index order. */
  classes: string[];
}

/** Distinct values a text column may have before it is refused (an id column would explode the input). */
export const MAX_CATEGORIES = 1000;
/** Classes a target column may have. */
export const MAX_CLASSES = 10000;

/** Bad table data: the message names the file, the row and the column. */
export class TableError extends Error {
  override name = "TableError";
}

const isMissing = (v: CsvValue) => typeof v === "string" && v.trim() === "";
const asText = (v: CsvValue) => (typeof v === "number" ? String(v) : v.trim());

/** Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2. */
const rowName = (file: string, i: number) => `${file} row ${i + 2}`;

/** Parses CSV text with a header; a ragged row or bad quoting becomes a TableError naming `file`. */
export function parseTable(text: string, file: string): CsvTable & { header: string[] } {
  let table: CsvTable;
  try {
    table = parseCsv(text, { header: true });
  } catch (e) {
    throw new TableError(`${file}: ${(e as Error).message.replace(/^csv: /, "")}`);
  }
  if (table.header === null || table.header.length === 0) throw new TableError(`${file}: the file is empty (expected a header row of column names)`);
  if (table.rows.length === 0) throw new TableError(`${file}: the table has a header but no rows`);
  const seen = new Set<string>();
  for (const name of table.header) {
    if (seen.has(name)) throw new TableError(`${file}: the column name '${name}' appears twice in the header`);
    seen.add(name);
  }
  return table as CsvTable & { header: string[] };
}

function targetIndex(table: CsvTable & { header: string[] }, target: string, file: string): number {
  const t = table.header.indexOf(target);
  if (t < 0) throw new TableError(`${file}: no column '${target}' to predict (the columns are: ${table.header.join(", ").slice(0, 300)})`);
  return t;
}

/**
 * Fits an encoder to a table: a column whose every value is a number is numeric (standardised
 * with its mean and population std), any other column categorical. Missing values (empty
 * cells) are refused, naming the row.
 */
export function fitTableEncoder(table: CsvTable & { header: string[] }, target: string, file: string): TableEncoder {
  const t = targetIndex(table, target, file);
  const columns: TableColumn[] = [];
  for (const [c, name] of table.header.entries()) {
    if (c === t) continue;
    const missing = table.rows.findIndex((r) => isMissing(r[c]!));
    if (missing >= 0) throw new TableError(`${rowName(file, missing)}: column '${name}' is empty (fill in or drop missing values first)`);
    if (table.rows.every((r) => typeof r[c] === "number" && Number.isFinite(r[c]))) {
      const values = table.rows.map((r) => r[c] as number);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
      // A constant column gets std 1: it encodes as 0 instead of dividing by zero.
      columns.push({ name, kind: "numeric", mean, std: variance > 0 ? Math.sqrt(variance) : 1 });
    } else {
      const categories = [...new Set(table.rows.map((r) => asText(r[c]!)))].sort();
      if (categories.length > MAX_CATEGORIES) {
        throw new TableError(`${file}: column '${name}' has ${categories.length} distinct text values (more than ${MAX_CATEGORIES}); is it an id? Drop it from the table`);
      }
      columns.push({ name, kind: "categorical", categories });
    }
  }
  if (columns.length === 0) throw new TableError(`${file}: the table has no columns besides the target '${target}'`);
  const missingTarget = table.rows.findIndex((r) => isMissing(r[t]!));
  if (missingTarget >= 0) throw new TableError(`${rowName(file, missingTarget)}: the target column '${target}' is empty`);
  const values = [...new Set(table.rows.map((r) => r[t]!))];
  const numeric = values.every((v) => typeof v === "number");
  const classes = (numeric ? (values as number[]).sort((a, b) => a - b) : values.map(asText).sort()).map(String);
  const unique = [...new Set(classes)];
  if (unique.length < 2) throw new TableError(`${file}: the target column '${target}' has only one value (${JSON.stringify(unique[0])}); classification needs at least two`);
  if (unique.length > MAX_CLASSES) throw new TableError(`${file}: the target column '${target}' has ${unique.length} distinct values (at most ${MAX_CLASSES} classes)`);
  return { kind: "table", target, columns, classes: unique };
}

/** Number of model inputs an encoder produces per row. */
export function encodedWidth(encoder: TableEncoder): number {
  return encoder.columns.reduce((s, c) => s + (c.kind === "numeric" ? 1 : c.categories.length), 0);
}

/**
 * Encodes a table's rows with a fitted encoder: [N, encodedWidth] float inputs and, when the
 * table has the target column (and `readTarget` is not false), int class labels. Columns are found by name (their order may
 * differ from training); an unknown text value encodes as all zeros (scikit-learn's
 * handle_unknown="ignore"), an unknown target value is refused.
 */
export function encodeTable(
  encoder: TableEncoder,
  table: CsvTable & { header: string[] },
  file: string,
  options: { readTarget?: boolean } = {},
): { inputs: Float32Array; labels: Int32Array | null; width: number } {
  const width = encodedWidth(encoder);
  const n = table.rows.length;
  const index = encoder.columns.map((col) => {
    const i = table.header.indexOf(col.name);
    if (i < 0) throw new TableError(`${file}: no column '${col.name}', which the model was trained with (the columns are: ${table.header.join(", ").slice(0, 300)})`);
    return i;
  });
  const t = table.header.indexOf(encoder.target);
  const classIndex = new Map(encoder.classes.map((c, i) => [c, i]));
  const inputs = new Float32Array(n * width);
  // Prediction reads no target: a column left blank for the answers must not be refused.
  const labels = t >= 0 && options.readTarget !== false ? new Int32Array(n) : null;
  const categoryIndex = encoder.columns.map((c) => (c.kind === "categorical" ? new Map(c.categories.map((v, i) => [v, i])) : null));
  for (let r = 0; r < n; r++) {
    const row = table.rows[r]!;
    let o = r * width;
    for (const [k, col] of encoder.columns.entries()) {
      const v = row[index[k]!]!;
      if (col.kind === "numeric") {
        if (typeof v !== "number" || !Number.isFinite(v)) throw new TableError(`${rowName(file, r)}: column '${col.name}' should be a number, got ${JSON.stringify(String(v).slice(0, 40))}`);
        inputs[o++] = (v - col.mean) / col.std;
      } else {
        const j = categoryIndex[k]!.get(asText(v));
        if (j !== undefined) inputs[o + j] = 1;
        o += col.categories.length;
      }
    }
    if (labels) {
      const y = row[t]!;
      const cls = classIndex.get(typeof y === "number" ? String(y) : asText(y));
      if (cls === undefined) throw new TableError(`${rowName(file, r)}: the target '${encoder.target}' is ${JSON.stringify(String(y).slice(0, 40))}, not one of the model's classes (${encoder.classes.slice(0, 10).join(", ")})`);
      labels[r] = cls;
    }
  }
  return { inputs, labels, width };
}

/** Throws unless `e` (untrusted: parsed from a file) is a usable TableEncoder; `where` names its source. */
export function checkTableEncoder(e: unknown, where: string): TableEncoder {
  const o = e as Partial<TableEncoder> | null;
  const bad = (why: string) => new Error(`${where}: the table encoder ${why}`);
  if (o === null || typeof o !== "object" || o.kind !== "table") throw bad('must be an object with kind "table"');
  if (typeof o.target !== "string") throw bad("needs a target column name");
  if (!Array.isArray(o.classes) || o.classes.length < 2 || o.classes.length > MAX_CLASSES || !o.classes.every((c) => typeof c === "string")) throw bad(`needs 2 to ${MAX_CLASSES} class names`);
  if (!Array.isArray(o.columns) || o.columns.length === 0) throw bad("needs at least one column");
  let width = 0;
  for (const c of o.columns as unknown[]) {
    const col = c as Partial<TableColumn> & { mean?: unknown; std?: unknown; categories?: unknown };
    if (typeof col?.name !== "string") throw bad("has a column without a name");
    if (col.kind === "numeric") {
      if (typeof col.mean !== "number" || !Number.isFinite(col.mean) || typeof col.std !== "number" || !(col.std > 0) || !Number.isFinite(col.std)) throw bad(`column '${col.name}' needs a finite mean and a positive std`);
      width += 1;
    } else if (col.kind === "categorical") {
      if (!Array.isArray(col.categories) || col.categories.length > MAX_CATEGORIES || !col.categories.every((v) => typeof v === "string")) throw bad(`column '${col.name}' needs up to ${MAX_CATEGORIES} category names`);
      width += col.categories.length;
    } else throw bad(`column '${col.name}' has an unknown kind`);
  }
  if (width === 0) throw bad("encodes rows into no inputs");
  return o as TableEncoder;
}

/** Reads a CSV file with a header row (Node only: the file is read through io/node-file). */
export async function readTable(path: string): Promise<CsvTable & { header: string[] }> {
  const { readTextFile } = await import("./text.js");
  return parseTable(await readTextFile(path), path);
}

/**
 * A CSV file as a TensorDataset of [inputs [N, F] float32, labels [N] int32] for predicting
 * `target`, with the fitted encoder (pass it back as `encoder` to encode other files the same way).
 */
export async function tableDataset(path: string, target: string, options: { encoder?: TableEncoder; device?: string } = {}): Promise<{ dataset: TensorDataset; encoder: TableEncoder; classNames: string[] }> {
  const table = await readTable(path);
  const encoder = options.encoder ?? fitTableEncoder(table, target, path);
  const { inputs, labels, width } = encodeTable(encoder, table, path);
  if (!labels) throw new TableError(`${path}: no column '${encoder.target}' (the target)`);
  const n = labels.length;
  const on = options.device === undefined ? {} : { device: options.device };
  const dataset = new TensorDataset(tensor(inputs, { shape: [n, width], ...on }), tensor(labels, { shape: [n], dtype: "int32", ...on }));
  return { dataset, encoder, classNames: encoder.classes };
}
