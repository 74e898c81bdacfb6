/**
 * Writes neurite's own char-gpt initialisation (nt.manualSeed(0), as `neurite train --model
 * char-gpt` draws it) to runs/char-gpt-init-neurite.safetensors, for
 * `INIT=runs/char-gpt-init-neurite.safetensors same_init.py ...`.
 *
 *   node --import tsx tools/char-gpt-diagnostics/save-neurite-init.ts
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";
await nt.setBackend("cpu");
nt.manualSeed(0);
const m = createCharGpt({ vocabSize: 106, blockSize: 64 });
await nt.io.save(m.stateDict(), "runs/char-gpt-init-neurite.safetensors");
