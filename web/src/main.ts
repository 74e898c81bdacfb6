/**
 * The neurite playground: classify a drawn or dropped image with a cnn-bn checkpoint trained by
 * the CLI, train the MLP in the tab (in a worker, on wasm with 1 or all threads or on WebGPU),
 * and sample text from a char-gpt checkpoint. Everything is served by this origin: it works
 * offline. Errors are shown in the panel where they happen.
 */
import * as nt from "neurite";
import { createCnnBn, createCharGpt, generateCharGpt, CharVocab, DDPM, type CharGPT } from "neurite/models";
import { LiveChart } from "./chart.js";
import type { BackendChoice, TrainRequest, WorkerMessage } from "./protocol.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: missing element #${id}`);
  return el as T;
};

function showError(panel: string, e: unknown): void {
  const box = $(`${panel}-error`);
  box.textContent = e === null ? "" : (e as Error).message ?? String(e);
  box.hidden = e === null;
}

// ---------------------------------------------------------------- (a) classifier

let classifier: { model: nt.nn.Module; classes: string[] } | null = null;

/** Builds cnn-bn from safetensors bytes (the CLI's model.safetensors); clear message if it does not fit. */
async function loadClassifier(source: Blob | Response, name: string): Promise<void> {
  const { tensors, metadata } = await nt.io.loadWithMetadata(source);
  if (metadata["model"] && metadata["model"] !== "cnn-bn") {
    throw new Error(`${name} holds '${metadata["model"]}' weights; the classifier needs a cnn-bn checkpoint (neurite train --model cnn-bn)`);
  }
  const model = createCnnBn();
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${name} does not fit cnn-bn: ${(e as Error).message.split("\n").slice(0, 3).join(" ")}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  model.eval();
  classifier?.model.parameters().forEach((p) => p.dispose());
  const classes = metadata["classes"] ? (JSON.parse(metadata["classes"]) as string[]) : [...nt.data.FASHION_MNIST_CLASSES];
  classifier = { model, classes };
  $("classify-model").textContent = `${name} (${metadata["model"] ?? "cnn-bn"}, ${classes.length} classes)`;
}

async function classifyImage(img: nt.data.Image): Promise<void> {
  if (!classifier) throw new Error("the classifier checkpoint is not loaded yet");
  const pixels = nt.data.prepareFashionMnistImage(img);
  const probs = await nt.noGrad(async () => {
    const p = nt.tidy(() => nt.softmax(classifier!.model.forward(nt.tensor(pixels, { shape: [1, 1, 28, 28] })) as nt.Tensor, -1));
    const values = await p.data();
    p.dispose();
    return Array.from(values);
  });
  const top = probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
  const list = $("classify-result");
  list.innerHTML = "";
  for (const [p, i] of top) {
    const row = document.createElement("li");
    row.dataset["class"] = classifier.classes[i] ?? String(i);
    row.innerHTML = `<span class="label"></span><span class="bar"><span style="width:${(p * 100).toFixed(1)}%"></span></span><span class="pct">${(p * 100).toFixed(1)} %</span>`;
    row.querySelector(".label")!.textContent = classifier.classes[i] ?? String(i);
    list.append(row);
  }
  drawPreview(pixels);
}

function drawPreview(pixels: Float32Array): void {
  const canvas = $<HTMLCanvasElement>("classify-preview");
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i]! * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

async function classifyFile(file: File): Promise<void> {
  showError("classify", null);
  if (file.name.endsWith(".safetensors")) {
    // loadClassifier's messages name the file already.
    await loadClassifier(file, file.name).catch((e) => showError("classify", e));
    return;
  }
  try {
    await classifyImage(await nt.data.decodeImage(file));
  } catch (e) {
    showError("classify", new Error(`${file.name}: ${(e as Error).message}`));
  }
}

function setUpDrawing(): void {
  const canvas = $<HTMLCanvasElement>("draw");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let drawing = false;
  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * canvas.width, ((e.clientY - r.top) / r.height) * canvas.height] as const;
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 18;
    ctx.lineCap = "round";
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const finish = () => {
    if (!drawing) return;
    drawing = false;
    showError("classify", null);
    classifyImage(nt.data.readPixels(canvas)).catch((e) => showError("classify", e));
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  $("draw-clear").addEventListener("click", clear);
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => e.preventDefault());
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (file) void classifyFile(file);
  });
  $<HTMLInputElement>("classify-file").addEventListener("change", (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void classifyFile(file);
  });
}

// ---------------------------------------------------------------- (b) training in a worker

function setUpTraining(): void {
  const chart = new LiveChart($<HTMLCanvasElement>("train-chart"));
  const status = $("train-status");
  const button = $<HTMLButtonElement>("train-start");
  let worker: Worker | null = null;
  button.addEventListener("click", () => {
    showError("train", null);
    worker?.terminate();
    chart.clear();
    const result = $("train-result");
    result.textContent = "";
    delete result.dataset["done"];
    worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
    const request: TrainRequest = {
      type: "train",
      backend: $<HTMLSelectElement>("train-backend").value as BackendChoice,
      epochs: Number($<HTMLInputElement>("train-epochs").value) || 1,
      batchSize: 128,
      lr: 1e-3,
      dataUrl: new URL("data/fashion-mnist-subset", document.baseURI).href,
    };
    button.disabled = true;
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.type === "ready") worker!.postMessage(request);
      else if (m.type === "status") status.textContent = m.text;
      else if (m.type === "backend") {
        $("train-backend-used").textContent = m.name === "wasm" ? `wasm, ${m.threads} thread${m.threads === 1 ? "" : "s"}` : m.name;
        if (m.note) showError("train", new Error(m.note));
      } else if (m.type === "step") {
        chart.push(m.loss, m.accuracy);
        status.textContent = `epoch ${m.epoch} · step ${m.step}/${m.stepsPerEpoch} · loss ${m.loss.toFixed(4)} · accuracy ${(m.accuracy * 100).toFixed(1)} % · ${Math.round(m.imagesPerSecond)} images/s`;
      } else if (m.type === "epoch") {
        result.textContent += `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy ${(m.testAccuracy * 100).toFixed(2)} %, ${Math.round(m.imagesPerSecond)} images/s, ${m.seconds.toFixed(1)} s\n`;
      } else if (m.type === "done") {
        Object.assign(result.dataset, { done: "1", firstLoss: String(m.firstLoss), lastLoss: String(m.lastLoss), testAccuracy: String(m.testAccuracy), imagesPerSecond: String(m.imagesPerSecond), backend: m.backend, threads: String(m.threads) });
        status.textContent = `done: loss ${m.firstLoss.toFixed(3)} → ${m.lastLoss.toFixed(3)}, test accuracy ${(m.testAccuracy * 100).toFixed(2)} %`;
        button.disabled = false;
      } else if (m.type === "error") {
        showError("train", new Error(m.text));
        button.disabled = false;
      }
    };
    worker.onerror = (e) => {
      showError("train", new Error(e.message || "the training worker failed to start"));
      button.disabled = false;
    };
  });
  $("train-isolated").textContent = crossOriginIsolated ? "cross-origin isolated: wasm threads available" : "not cross-origin isolated: wasm runs on one thread";
}

// ---------------------------------------------------------------- (c) char-gpt sampler

let sampler: { model: CharGPT; vocab: CharVocab } | null = null;

async function loadSampler(): Promise<void> {
  const { tensors, metadata } = await nt.io.loadWithMetadata(await fetch("assets/char-gpt.safetensors"));
  const chars = JSON.parse(metadata["vocab"] ?? "null") as string | null;
  if (typeof chars !== "string") throw new Error("assets/char-gpt.safetensors has no vocabulary in its metadata");
  const vocab = new CharVocab([...chars]);
  const model = createCharGpt({ vocabSize: vocab.size, blockSize: Number(metadata["block_size"] ?? 64) });
  model.loadStateDict(tensors);
  for (const t of tensors.values()) t.dispose();
  model.eval();
  sampler = { model, vocab };
}

function setUpSampler(): void {
  const button = $<HTMLButtonElement>("sample-run");
  button.addEventListener("click", async () => {
    showError("sample", null);
    button.disabled = true;
    const out = $("sample-output");
    delete out.dataset["done"];
    try {
      if (!sampler) await loadSampler();
      const { model, vocab } = sampler!;
      const prompt = $<HTMLInputElement>("sample-prompt").value || "The ";
      const unknown = [...prompt].find((c) => !vocab.chars.includes(c));
      if (unknown !== undefined) throw new Error(`the prompt has a character the model has never seen: ${JSON.stringify(unknown)}`);
      out.textContent = prompt;
      const generator = new nt.Generator(Number($<HTMLInputElement>("sample-seed").value) || 0);
      await generateCharGpt(model, vocab.encode(prompt), {
        maxNewTokens: Number($<HTMLInputElement>("sample-length").value) || 200,
        temperature: Number($<HTMLInputElement>("sample-temperature").value),
        topK: 40,
        generator,
        onToken: (token) => {
          out.textContent += vocab.decode([token]);
        },
      });
      out.dataset["done"] = "1";
    } catch (e) {
      showError("sample", e);
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- (d) diffusion

let ddpm: DDPM | null = null;

/** Shows a [N, 1, 28, 28] batch in [-1, 1] as one row of images on the canvas. */
function showGrid(x: nt.Tensor, values: Float32Array): void {
  const grid = nt.diffusion.makeGrid(values, x.shape, { nrow: x.shape[0], padding: 2 });
  const canvas = $<HTMLCanvasElement>("ddpm-canvas");
  canvas.width = grid.width;
  canvas.height = grid.height;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(grid.width, grid.height);
  for (let i = 0; i < grid.width * grid.height; i++) {
    const v = grid.data[i]!;
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

function setUpDiffusion(): void {
  const select = $<HTMLSelectElement>("ddpm-class");
  nt.data.FASHION_MNIST_CLASSES.forEach((name, i) => select.add(new Option(name, String(i))));
  const button = $<HTMLButtonElement>("ddpm-run");
  button.addEventListener("click", async () => {
    showError("ddpm", null);
    button.disabled = true;
    const status = $("ddpm-status");
    delete status.dataset["done"];
    try {
      status.textContent = "loading the DDPM checkpoint…";
      ddpm ??= await DDPM.fromSafetensors(await fetch("assets/ddpm.safetensors"));
      const n = 4;
      const label = Number(select.value);
      const steps = Math.max(1, Math.min(1000, Number($<HTMLInputElement>("ddpm-steps").value) || 50));
      const started = performance.now();
      const x = await ddpm.sample({
        n,
        steps,
        labels: new Array<number>(n).fill(label),
        guidanceScale: Number($<HTMLInputElement>("ddpm-guidance").value),
        generator: new nt.Generator(Number($<HTMLInputElement>("ddpm-seed").value) || 0),
        onStep: async (i, total, xt) => {
          showGrid(xt, (await xt.data()) as Float32Array);
          status.textContent = `step ${i}/${total} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
        },
      });
      showGrid(x, (await x.data()) as Float32Array);
      x.dispose();
      status.textContent += " · done";
      status.dataset["done"] = "1";
    } catch (e) {
      showError("ddpm", e);
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  setUpDrawing();
  setUpTraining();
  setUpSampler();
  setUpDiffusion();
  $("backend-info").textContent = `main thread backend: ${nt.getBackend()}${"gpu" in navigator ? " · WebGPU present" : " · no WebGPU in this browser"}`;
  try {
    await loadClassifier(await fetch("assets/cnn-bn.safetensors"), "assets/cnn-bn.safetensors");
    document.body.dataset["ready"] = "1";
  } catch (e) {
    showError("classify", e);
  }
  await showSamples();
}

/** Thumbnails of the bundled test images (web/assets/samples/index.json); a click classifies one. */
async function showSamples(): Promise<void> {
  const list = (await (await fetch("assets/samples/index.json")).json()) as { file: string; label: string }[];
  for (const { file, label } of list) {
    const img = document.createElement("img");
    img.src = `assets/samples/${file}`;
    img.alt = img.title = label;
    img.addEventListener("click", async () => {
      showError("classify", null);
      try {
        await classifyImage(await nt.data.decodeImage(await (await fetch(img.src)).blob()));
      } catch (e) {
        showError("classify", e);
      }
    });
    $("samples").append(img);
  }
}

start().catch((e) => showError("classify", e));
