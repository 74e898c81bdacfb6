/**
 * Writes the order in which `neurite train --seed SEED` feeds the char-gpt training windows
 * (DataLoader shuffle: Fisher–Yates with `new Generator(SEED)`, one permutation per epoch) as a
 * JSON array of EPOCHS permutations, so spike.py can replay neurite's batches in PyTorch.
 *
 *   node --import tsx tools/char-gpt-diagnostics/loader-order.ts SEED EPOCHS OUT.json
 */
import { writeFileSync } from "node:fs";
import * as nt from "../../src/index.js";
const [seed, epochs, out] = [Number(process.argv[2] ?? 0), Number(process.argv[3] ?? 1), process.argv[4] ?? "runs/loader-order.json"];
const n = 3346; // training windows of /usr/share/games/fortunes/computers at block 64
const g = new nt.Generator(seed);
const perms: number[][] = [];
for (let e = 0; e < epochs; e++) {
  const o = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    [o[i], o[j]] = [o[j]!, o[i]!];
  }
  perms.push(o);
}
writeFileSync(out, JSON.stringify(perms));
