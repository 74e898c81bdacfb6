// Writes the artefacts derived from the elementwise op table (src/backend/scalar-ops/table.ts):
// the cpu reference kernels and the wasm dispatch header. Run: npx tsx tools/gen-scalar-ops.ts
// (tools/build-wasm.sh runs it before compiling). test/scalar-ops.test.ts fails when they are stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_C_PATH, GENERATED_JS_PATH, generateCHeader, generateJs } from "../src/backend/scalar-ops/generate.js";

const root = join(import.meta.dirname, "..");
writeFileSync(join(root, GENERATED_JS_PATH), generateJs());
writeFileSync(join(root, GENERATED_C_PATH), generateCHeader());
console.log(`wrote ${GENERATED_JS_PATH} and ${GENERATED_C_PATH}`);
