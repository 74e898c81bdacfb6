/**
 * Writes neurite's own char-gpt initialisation (nt.manualSeed(SEED), as `neurite train --model
 * char-gpt --seed SEED` draws it) to OUT (default runs/char-gpt-init-neurite.safetensors), for
 * `INIT=runs/char-gpt-init-neurite.safetensors same_init.py ...` and spike.py.
 *
 *   node --import tsx tools/char-gpt-diagnostics/save-neurite-init.ts [SEED [OUT]]
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";
await nt.setBackend("cpu");
nt.manualSeed(Number(process.argv[2] ?? 0));
const m = createCharGpt({ vocabSize: 106, blockSize: 64 });
await nt.io.save(m.stateDict(), process.argv[3] ?? "runs/char-gpt-init-neurite.safetensors");
