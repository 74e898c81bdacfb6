// A small RFC 4180 CSV parser: quoted fields may contain delimiters, newlines and
// doubled quotes (""); \n, \r\n and \r all end a record. Unquoted fields that look
// like numbers become numbers; quoted fields always stay strings, so "007" can be
// kept verbatim by quoting it.

export type CsvValue = number | string;

export interface CsvOptions {
  /** Treat the first record as column names (default false). */
  header?: boolean;
  /** Field separator, one character (default ","). */
  delimiter?: string;
  /** Convert unquoted numeric fields to numbers (default true). */
  numbers?: boolean;
}

export interface CsvTable {
  /** Column names when `header` was set, else null. */
  header: string[] | null;
  rows: CsvValue[][];
}

// Decimal literals as written by common tools, plus nan/inf spellings from numpy/pandas.
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = {
  nan: NaN,
  "+nan": NaN,
  "-nan": NaN,
  inf: Infinity,
  "+inf": Infinity,
  "-inf": -Infinity,
  infinity: Infinity,
  "+infinity": Infinity,
  "-infinity": -Infinity,
};

function convert(raw: string): CsvValue {
  const s = raw.trim();
  if (NUMBER.test(s)) return Number(s);
  const special = SPECIAL[s.toLowerCase()];
  return special !== undefined ? special : raw;
}

interface Field {
  text: string;
  quoted: boolean;
}

/** Split text into records of raw fields, tracking line numbers for error messages. */
function tokenize(text: string, delim: string): { fields: Field[]; line: number }[] {
  const records: { fields: Field[]; line: number }[] = [];
  let fields: Field[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  // A record is "blank" if it ends with no characters at all; such lines are skipped.
  let recordHasContent = false;

  const endRecord = (): void => {
    if (recordHasContent) records.push({ fields, line: recordLine });
    fields = [];
    recordHasContent = false;
  };

  while (i < n) {
    let field: Field;
    if (text[i] === '"') {
      recordHasContent = true;
      const startLine = line;
      let value = "";
      i++;
      for (;;) {
        if (i >= n) throw new Error(`csv: line ${startLine}: unterminated quoted field`);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
        value += c;
        i++;
      }
      if (i < n && text[i] !== delim && text[i] !== "\n" && text[i] !== "\r") {
        throw new Error(`csv: line ${line}: unexpected character ${JSON.stringify(text[i])} after a closing quote`);
      }
      field = { text: value, quoted: true };
    } else {
      const start = i;
      while (i < n && text[i] !== delim && text[i] !== "\n" && text[i] !== "\r") i++;
      field = { text: text.slice(start, i), quoted: false };
      if (i > start) recordHasContent = true;
    }
    fields.push(field);
    if (i >= n) break;
    const c = text[i]!;
    if (c === delim) {
      recordHasContent = true;
      i++;
      // A delimiter at the very end of input still implies a final empty field.
      if (i >= n) fields.push({ text: "", quoted: false });
      continue;
    }
    // Record separator: \r\n, \n or \r.
    i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    line++;
    endRecord();
    recordLine = line;
  }
  endRecord();
  return records;
}

/** Parse CSV text into rows (and optional header). Every row must have the same number of fields. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const delim = options.delimiter ?? ",";
  if (delim.length !== 1 || delim === '"' || delim === "\n" || delim === "\r") {
    throw new Error(`csv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delim)}`);
  }
  const numbers = options.numbers ?? true;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // drop a byte-order mark
  const records = tokenize(body, delim);

  let header: string[] | null = null;
  let first = 0;
  if (options.header === true && records.length > 0) {
    header = records[0]!.fields.map((f) => f.text);
    first = 1;
  }
  const width = records[0]?.fields.length ?? 0;
  const rows: CsvValue[][] = [];
  for (let r = first; r < records.length; r++) {
    const { fields, line } = records[r]!;
    if (fields.length !== width) {
      throw new Error(`csv: line ${line}: ${fields.length} fields, expected ${width} like ${header !== null ? "the header" : "the first row"}`);
    }
    rows.push(fields.map((f) => (numbers && !f.quoted ? convert(f.text) : f.text)));
  }
  return { header, rows };
}
