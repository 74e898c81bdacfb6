import * as registry from "../../backend/registry.js";
import { decodeSafetensors } from "../../io/safetensors-format.js";
import { save } from "../../io/safetensors.js";
import { fromBytes } from "../../io/safetensors.js";
import { readSafetensorsFile, FileReadError } from "../../io/node-file.js";
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

/** What `neurite convert` was asked to do. */
export type ConvertRequest = { kind: "help" } | { kind: "convert"; file: string; out: string | null; json: boolean };

/** Parses `neurite convert`'s argv; every option error is a UsageError. */
export function parseConvertArgs(argv: string[]): ConvertRequest {
  const args = parseCommandArgs("convert", argv, { out: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } }, true);
  if (args.flag("help")) return { kind: "help" };
  if (args.positionals.length !== 1) throw new UsageError(`neurite convert: give exactly one safetensors file (see neurite convert --help)`);
  // An empty --out writes nothing, as before.
  return { kind: "convert", file: args.positionals[0]!, out: args.str("out") || null, json: args.flag("json") };
}

export async function convertCommand(argv: string[]): Promise<number> {
  const request = parseConvertArgs(argv);
  if (request.kind === "help") {
    console.log(CONVERT_HELP);
    return 0;
  }
  const { file } = request;
  let bytes: Uint8Array;
  try {
    // Refuses devices, FIFOs and folders by type, and a bad header size before reading on.
    bytes = await readSafetensorsFile(file);
  } catch (e) {
    if (e instanceof FileReadError) throw e.code === "ENOENT" || e.code === "ENOTREG" ? new UsageError(`neurite convert: ${e.message}`) : e;
    throw e;
  }
  const decoded = decodeSafetensors(bytes, file); // throws "safetensors: ..." for a bad file (exit 1)
  const tensors = decoded.tensors.map((t) => {
    const numel = numelOf(t.shape);
    return { name: t.name, dtype: t.storedDtype ?? t.dtype, loadsAs: t.dtype, shape: t.shape, numel };
  });
  const totalParams = tensors.reduce((s, t) => s + t.numel, 0);
  const { out } = request;
  if (out !== null) {
    await registry.setBackend("cpu");
    const { tensors: loaded, metadata } = fromBytes(bytes, { source: file });
    await save(loaded, out, metadata);
    for (const t of loaded.values()) t.dispose();
  }
  if (request.json) {
    console.log(JSON.stringify({ file, bytes: bytes.byteLength, tensors, totalParams, metadata: decoded.metadata, out }));
    return 0;
  }
  // A loop, not Math.max(...list): spreading 150k names as arguments overflows the stack.
  let w = 4;
  for (const t of tensors) w = Math.max(w, t.name.length);
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
