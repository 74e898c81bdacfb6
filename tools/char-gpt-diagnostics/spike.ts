/**
 * Early-training probe for the char-gpt gap: the first STEPS training steps of the real recipe
 * (batch 32, AdamW 1e-3 wd 0.01, dropout 0.1, shuffled batches), with each source of randomness
 * settable on its own, so one can be varied while the others stay fixed. Prints the per-step
 * losses' summary (largest from step 10 on; neurite's seed-0 run spikes to ≈ 5.2 at step 20), and
 * the validation loss after the last step (all held-out windows, batches of 64, as `neurite train`).
 *
 *   node --import tsx tools/char-gpt-diagnostics/spike.ts [KEY=VALUE ...]
 *
 * Keys (defaults = what `neurite train --model char-gpt --seed 0` does):
 *   steps=60         training steps
 *   init=0           global seed for the initialisation, or a .safetensors file to load
 *   dropoutSeed=     reseed the global generator after the model is built (default: keep the
 *                    stream the initialisation left, as the CLI does)
 *   loaderSeed=0     seed of the shuffling generator (the CLI uses the global seed)
 *   dropout=0.1      dropout probability
 *   backend=wasm     backend
 *   losses=1         also print every step's loss
 *   rng=mt19937      every draw of the global generator (initialisation and dropout) from MT19937,
 *                    PyTorch's CPU generator algorithm, seeded with the init seed, instead of
 *                    xoshiro128**: the same recipe with another random stream of the same kind
 *   masks=FILE       record the dropout masks this run draws (one keep bit per element, in draw
 *                    order, packed little-endian) for replay.py's MASKS=FILE: the same masks
 *                    applied by PyTorch's arithmetic
 */
import * as nt from "../../src/node.js";
import { createCharGpt } from "../../models/index.js";
import { hostLoader, loadTaskData, taskLoss } from "../../src/cli/tasks.js";
import { MODEL_ZOO } from "../../src/cli/model-zoo.js";
import { load } from "../../src/io/safetensors.js";
import { closeSync, openSync, writeSync } from "node:fs";

const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.split("=") as [string, string]));
const steps = Number(opts["steps"] ?? 60);
const init = opts["init"] ?? "0";
const dropout = Number(opts["dropout"] ?? 0.1);
nt.setNumThreads(1);
await nt.setBackend(opts["backend"] ?? "wasm");
const initSeed = /^\d+$/.test(init) ? Number(init) : 0;
nt.manualSeed(initSeed);
if (opts["rng"] === "mt19937") useMt19937(initSeed);
const data = await loadTaskData(MODEL_ZOO["char-gpt"]!, { command: "x", text: "/usr/share/games/fortunes/computers" });
const model = createCharGpt({ vocabSize: data.ctx.vocabSize!, blockSize: 64, dropout });
if (!/^\d+$/.test(init)) model.loadStateDict(await load(init));
if (opts["dropoutSeed"] !== undefined) nt.manualSeed(Number(opts["dropoutSeed"]));
const masks = opts["masks"] ? recordDropoutMasks(opts["masks"], dropout) : null;
const opt = new nt.optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
const train = hostLoader(data.train, { batchSize: 32, shuffle: true, seed: Number(opts["loaderSeed"] ?? initSeed) });
model.train();
const losses: number[] = [];
outer: for (;;) {
  for (const [x, y] of train) {
    nt.tidy(() => {
      opt.zeroGrad();
      const loss = taskLoss(model.forward(x!), y!);
      loss.backward();
      opt.step();
      losses.push(loss.itemSync());
    });
    if (losses.length >= steps) break outer;
  }
}
masks?.close();
model.eval();
const [XV, YV] = [data.test!.tensors[0]!.to(nt.getBackend()), data.test!.tensors[1]!.to(nt.getBackend())];
let total = 0;
const M = XV.shape[0]!;
nt.noGrad(() => {
  for (let i = 0; i < M; i += 64) nt.tidy(() => { const n = Math.min(64, M - i); total += taskLoss(model.forward(XV.narrow(0, i, n)), YV.narrow(0, i, n)).itemSync() * n; });
});
const max = Math.max(...losses.slice(9));
const summary = { ...opts, maxFromStep10: +max.toFixed(4), at: losses.indexOf(max) + 1, last10: +(losses.slice(-10).reduce((a, b) => a + b, 0) / 10).toFixed(4), val: +(total / M).toFixed(4) };
console.log(JSON.stringify(opts["losses"] ? { ...summary, losses: losses.map((l) => +l.toFixed(4)) } : summary));

/**
 * Wraps the global generator's uniform draws (after initialisation only dropout draws from it)
 * and writes each draw's keep bit, fround(u) >= fround(p) as the float32 dropout compares them.
 */
function recordDropoutMasks(path: string, p: number): { close(): void } {
  const g = nt.defaultGenerator;
  const draw = g.random.bind(g);
  const p32 = Math.fround(p);
  const fd = openSync(path, "w");
  const bytes = new Uint8Array(1 << 20);
  let bit = 0;
  let total = 0;
  g.random = () => {
    const u = draw();
    if (Math.fround(u) >= p32) bytes[bit >> 3]! |= 1 << (bit & 7);
    bit++;
    total++;
    if (bit === bytes.length * 8) {
      writeSync(fd, bytes);
      bytes.fill(0);
      bit = 0;
    }
    return u;
  };
  return {
    close() {
      writeSync(fd, bytes, 0, (bit + 7) >> 3);
      closeSync(fd);
      g.random = draw;
      console.error(`masks: ${total} keep bits written to ${path}`);
    },
  };
}

/** MT19937 (Matsumoto & Nishimura, init_genrand seeding) behind the global generator's 32-bit draws. */
function useMt19937(seed: number): void {
  const mt = new Uint32Array(624);
  let index = 624;
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1]! ^ (mt[i - 1]! >>> 30)) + i) >>> 0;
  const twist = () => {
    for (let i = 0; i < 624; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    index = 0;
  };
  nt.defaultGenerator.nextUint32 = () => {
    if (index >= 624) twist();
    let y = mt[index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}
