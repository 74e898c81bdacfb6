/**
 * Benchmark peer: TensorFlow.js 4.22 with the `cpu` or `wasm` backend (argv[2]). Same line protocol
 * as peer-neurite.ts. The models are the BENCH.md MLP and CNN written with tf.layers; training
 * uses tf.train.adam(1e-3) and softmax cross-entropy; the loss is read back every step.
 */
import { createInterface } from "node:readline";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";

const backend = process.argv[2] ?? "wasm";
if (backend === "wasm") setThreadsCount(2);
await tf.setBackend(backend);
await tf.ready();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
let bestTime = Infinity;
let minCalls = 3;
function timeCalls(fn, warm, seconds) {
  for (let i = 0; i < warm; i++) fn();
  const times = [];
  const t0 = performance.now();
  while (times.length < minCalls || performance.now() - t0 < seconds * 1000) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  bestTime = Math.min(...times);
  return median(times);
}

function mlp() {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}
function cnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

const state = new Map();
// A training task starts from a fresh model, as in peer-neurite.ts (a memorised batch would put
// later rounds in the subnormal-gradient regime).
function setup(model, batch, fresh) {
  const key = `${model}:${batch}`;
  if (fresh && state.has(key)) {
    const old = state.get(key);
    old.m.dispose();
    old.opt.dispose();
    old.x.dispose();
    old.y.dispose();
    state.delete(key);
  }
  if (!state.has(key)) {
    const m = model === "mlp" ? mlp() : cnn();
    const opt = tf.train.adam(1e-3);
    const x = tf.randomUniform([batch, 28, 28, 1]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32"), 10);
    state.set(key, { m, opt, x, y });
  }
  return state.get(key);
}

let best = NaN;
function run(task) {
  if (task.task === "rss") {
    best = process.resourceUsage().maxRSS / 1024; // KiB -> MiB, as peer-neurite.ts reports it
    return best;
  }
  minCalls = task.min ?? 3;
  const warm = task.warm;
  if (task.task === "sgemm") {
    const n = task.n;
    const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
    const s = timeCalls(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), Math.max(2, Math.round(2e9 / n ** 3)), task.seconds);
    a.dispose();
    b.dispose();
    best = (2 * n ** 3) / bestTime / 1e9;
    return (2 * n ** 3) / s / 1e9;
  }
  const { m, opt, x, y } = setup(task.model, task.batch, task.task === "train");
  if (task.task === "train") {
    const step = () => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.predict(x)), true);
      loss.dataSync();
      loss.dispose();
    };
    const s = timeCalls(step, warm ?? 3, task.seconds);
    best = task.batch / bestTime;
    return task.batch / s;
  }
  if (task.task === "infer") {
    const s = timeCalls(() => tf.tidy(() => void m.predict(x).dataSync()), warm ?? 2, task.seconds);
    best = task.batch / bestTime;
    return task.batch / s;
  }
  throw new Error(`unknown task ${task.task}`);
}

console.log(JSON.stringify({ ready: true, name: `tfjs-${backend}`, threads: backend === "wasm" ? getThreadsCount() : 1, version: tf.version.tfjs }));
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const task = JSON.parse(line);
  if (task.task === "quit") break;
  try {
    const value = run(task);
    console.log(JSON.stringify({ value, best }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  }
}
rl.close();
