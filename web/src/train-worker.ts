/**
 * Trains the reference MLP in a Web Worker: the wasm backend can only run its thread pool off
 * the page's main thread (Atomics.wait is not allowed there), and the page stays responsive.
 * Data comes from the bundled Fashion-MNIST subset, served by the page's origin.
 */
import * as nt from "neurite";
import { createMlp } from "neurite/models";
import type { BackendChoice, TrainRequest, WorkerMessage } from "./protocol.js";

const post = (m: WorkerMessage): void => (self as unknown as Worker).postMessage(m);

async function fetchIdx(url: string): Promise<nt.data.IdxArray> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url} (HTTP ${res.status})`);
  return nt.data.parseIdxAsync(new Uint8Array(await res.arrayBuffer()), url);
}

/** A Fashion-MNIST split from the served IDX files, as the CLI builds it: [N, 1, 28, 28] in [0, 1]. */
async function split(base: string, images: string, labels: string): Promise<nt.data.TensorDataset> {
  const [x, y] = await Promise.all([fetchIdx(`${base}/${images}`), fetchIdx(`${base}/${labels}`)]);
  if (!(x.data instanceof Uint8Array) || !(y.data instanceof Uint8Array)) throw new Error(`${base}: expected unsigned-byte IDX files`);
  return nt.data.fashionMnistDataset({ images: x.data, labels: y.data, n: x.shape[0]! });
}

/** Switches backend; webgpu falls back to wasm with a note when the browser has no usable GPU. */
async function useBackend(choice: BackendChoice): Promise<void> {
  const cores = (self.navigator as { hardwareConcurrency?: number }).hardwareConcurrency ?? 1;
  let note: string | undefined;
  if (choice === "webgpu") {
    try {
      await nt.setBackend("webgpu");
    } catch (e) {
      note = `WebGPU is not available here (${(e as Error).message}); training on wasm instead`;
      nt.setNumThreads(cores);
      await nt.setBackend("wasm");
    }
  } else {
    nt.setNumThreads(choice === "wasm-1" ? 1 : cores);
    await nt.setBackend("wasm");
  }
  const name = nt.getBackend();
  post({ type: "backend", name, threads: name === "wasm" ? nt.getNumThreads() : 0, ...(note ? { note } : {}) });
}

async function train(req: TrainRequest): Promise<void> {
  await useBackend(req.backend);
  post({ type: "status", text: "loading the Fashion-MNIST subset…" });
  const trainSet = await split(req.dataUrl, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  const testSet = await split(req.dataUrl, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
  nt.manualSeed(0);
  const model = createMlp();
  const optimizer = new nt.optim.Adam(model.parameters(), { lr: req.lr });
  const loader = new nt.data.DataLoader(trainSet, { batchSize: req.batchSize, shuffle: true, seed: 0 });
  const testLoader = new nt.data.DataLoader(testSet, { batchSize: 500 });
  let firstLoss = NaN;
  let lastLoss = NaN;
  let lastRate = 0;
  post({ type: "status", text: `training ${req.epochs} epoch(s) on ${trainSet.length} images…` });
  const result = await nt.train.fit(model, {
    train: loader,
    val: testLoader,
    optimizer,
    loss: (out, target) => nt.F.crossEntropy(out, target),
    epochs: req.epochs,
    callbacks: [
      {
        onStepEnd(s) {
          if (Number.isNaN(firstLoss)) firstLoss = s.loss;
          lastLoss = s.loss;
          lastRate = s.imagesPerSecond;
          post({ type: "step", epoch: s.epoch, step: s.step, stepsPerEpoch: s.stepsPerEpoch, loss: s.loss, accuracy: s.epochAccuracy, imagesPerSecond: s.imagesPerSecond });
        },
        onEpochEnd(e) {
          post({ type: "epoch", epoch: e.epoch, trainLoss: e.trainLoss, testLoss: e.val?.loss ?? NaN, testAccuracy: e.val?.accuracy ?? NaN, imagesPerSecond: e.imagesPerSecond, seconds: e.seconds });
        },
      },
    ],
  });
  const last = result.history[result.history.length - 1];
  post({
    type: "done",
    firstLoss,
    lastLoss,
    testAccuracy: last?.val?.accuracy ?? NaN,
    imagesPerSecond: last?.imagesPerSecond ?? lastRate,
    backend: nt.getBackend(),
    threads: nt.getBackend() === "wasm" ? nt.getNumThreads() : 0,
  });
}

self.onmessage = (e: MessageEvent<TrainRequest>) => {
  if (e.data.type !== "train") return;
  train(e.data).catch((err: unknown) => post({ type: "error", text: (err as Error).message ?? String(err) }));
};
// neurite's module graph has top-level awaits (the default backend starts while it loads);
// Chromium can deliver a module worker's first messages before they settle, with no handler yet,
// so the page waits for this before sending its request.
post({ type: "ready" });
