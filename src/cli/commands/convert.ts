import { readFileSync, statSync } from "node:fs";
import * as registry from "../../backend/registry.js";
import { decodeSafetensors } from "../../io/safetensors-format.js";
import { save } from "../../io/safetensors.js";
import { fromBytes } from "../../io/safetensors.js";
import { numel as numelOf } from "../../tensor/shape.js";
import { UsageError, parseCommandArgs } from "../args.js";

export const CONVERT_HELP = `neurite convert FILE.safetensors [options]

Inspects a safetensors file (written by neurite, PyTorch or any other tool): every tensor's
name, dtype, shape and size, the total parameter count, and the file's metadata. With --out,
writes a copy that neurite reads natively (float tensors as float32, integers as int32).

Options:
  --out FILE    write the converted copy here (atomically)
  --json        print one JSON object

Examples:
  neurite convert runs/mlp/model.safetensors
  neurite convert torch-model.safetensors --out model-f32.safetensors --json`;

const STORED_DTYPE: Record<string, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };

/** Reads the header's own dtypes (the decoder widens F16/BF16/I64/U8...). */
function headerDtypes(bytes: Uint8Array): Record<string, string> {
  if (bytes.byteLength < 8) return {};
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype?: string }>;
    return Object.fromEntries(Object.entries(header).filter(([k]) => k !== "__metadata__").map(([k, v]) => [k, String(v.dtype)]));
  } catch {
    return {};
  }
}

export async function convertCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs("convert", argv, { out: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } }, true);
  if (args.flag("help")) {
    console.log(CONVERT_HELP);
    return 0;
  }
  if (args.positionals.length !== 1) throw new UsageError(`neurite convert: give exactly one safetensors file (see neurite convert --help)`);
  const file = args.positionals[0]!;
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`neurite convert: ${file}: no such file`);
  }
  if (st.isDirectory()) throw new UsageError(`neurite convert: ${file} is a folder; give a .safetensors file`);
  const bytes = new Uint8Array(readFileSync(file));
  const decoded = decodeSafetensors(bytes, file); // throws "safetensors: ..." for a bad file (exit 1)
  const stored = headerDtypes(bytes);
  const tensors = decoded.tensors.map((t) => {
    const numel = numelOf(t.shape);
    return { name: t.name, dtype: stored[t.name] ?? STORED_DTYPE[t.dtype] ?? t.dtype, loadsAs: t.dtype, shape: t.shape, numel };
  });
  const totalParams = tensors.reduce((s, t) => s + t.numel, 0);
  let out: string | null = null;
  if (args.str("out")) {
    out = args.str("out")!;
    await registry.setBackend("cpu");
    const { tensors: loaded, metadata } = fromBytes(bytes, { source: file });
    await save(loaded, out, metadata);
    for (const t of loaded.values()) t.dispose();
  }
  if (args.flag("json")) {
    console.log(JSON.stringify({ file, bytes: bytes.byteLength, tensors, totalParams, metadata: decoded.metadata, out }));
    return 0;
  }
  const w = Math.max(4, ...tensors.map((t) => t.name.length));
  console.log(`${file}: ${tensors.length} tensors, ${totalParams.toLocaleString("en-US")} values, ${bytes.byteLength.toLocaleString("en-US")} bytes`);
  console.log(`${"name".padEnd(w)}  ${"dtype".padEnd(5)}  shape`);
  for (const t of tensors) console.log(`${t.name.padEnd(w)}  ${t.dtype.padEnd(5)}  [${t.shape.join(", ")}]`);
  const meta = Object.entries(decoded.metadata);
  if (meta.length) {
    console.log("metadata:");
    for (const [k, v] of meta) console.log(`  ${k}: ${v.length > 100 ? v.slice(0, 100) + "…" : v}`);
  }
  if (out) console.log(`wrote ${out}`);
  return 0;
}
