/**
 * The char-gpt recipe of `neurite train` (seed 0: initialisation and dropout) with the data
 * loader shuffled by an independent generator seeded LOADER_SEED; prints the validation loss
 * after each of the 8 epochs (docs/results-architectures.md §2).
 *
 *   node --import tsx tools/char-gpt-diagnostics/loader-seed.ts LOADER_SEED
 */
import * as nt from "../../src/index.js";
import { fit } from "../../src/train/index.js";
import { loadTaskData, taskLoss } from "../../src/cli/tasks.js";
import { MODEL_ZOO } from "../../src/cli/model-zoo.js";
const loaderSeed = Number(process.argv[2]);
await nt.setBackend("wasm");
nt.manualSeed(0);
const entry = MODEL_ZOO["char-gpt"]!;
const data = await loadTaskData(entry, { command: "x", text: "/usr/share/games/fortunes/computers" });
const model = entry.create(data.ctx);
const optimizer = new nt.optim.AdamW(model.parameters(), { lr: 1e-3 });
const train = new nt.data.DataLoader(data.train, { batchSize: 32, shuffle: true, seed: loaderSeed });
const val = new nt.data.DataLoader(data.test!, { batchSize: 64 });
const r = await fit(model, { train, val, optimizer, loss: taskLoss, epochs: 8, metrics: [] });
console.log(JSON.stringify({ loaderSeed, val: r.history.map((h) => h.val?.loss) }));
