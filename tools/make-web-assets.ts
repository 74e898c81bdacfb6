/**
 * Prepares the playground's assets from checkpoints trained by the CLI:
 *   web/assets/cnn-bn.safetensors   ← RUN_CNN/model.safetensors (default runs/web-cnn-bn)
 *   web/assets/char-gpt.safetensors ← RUN_GPT/model.safetensors (default runs/web-char-gpt)
 *   web/assets/ddpm.safetensors     ← RUN_DDPM/model.safetensors, the EMA weights, as a one-file
 *                                     sampling model (DDPM.save: U-Net weights + config; default runs/web-ddpm)
 *   web/assets/samples/             10 Fashion-MNIST test images as PNG, one per class, + index.json
 * For each class the sample is the first image of the bundled test subset that the checkpoint
 * classifies correctly through the same path as the page (PNG → prepareFashionMnistImage); how
 * many were passed over is printed, so the choice is visible rather than silent.
 *
 *   node --import tsx tools/make-web-assets.ts [RUN_CNN] [RUN_GPT] [RUN_DDPM]
 *
 * The checkpoints of the committed assets came from (2026-12-02):
 *   neurite train --model cnn-bn --epochs 2 --out runs/web-cnn-bn          (test accuracy 90.19 %)
 *   neurite train --model char-gpt --text /usr/share/games/fortunes/computers --epochs 8 --out runs/web-char-gpt  (validation loss 2.1776 nats/char)
 *   the ddpm's: 1,500 steps of 64 by the diffusion trainer that fit() has since replaced (final loss
 *   0.098); the same model and objective today: neurite train --model ddpm --epochs 2 --out runs/web-ddpm
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as nt from "neurite";
import { createCnnBn, DDPM } from "neurite/models";

const [cnnRun = "runs/web-cnn-bn", gptRun = "runs/web-char-gpt", ddpmRun = "runs/web-ddpm"] = process.argv.slice(2);
const assets = "web/assets";
const samplesDir = join(assets, "samples");
copyFileSync(join(cnnRun, "model.safetensors"), join(assets, "cnn-bn.safetensors"));
copyFileSync(join(gptRun, "model.safetensors"), join(assets, "char-gpt.safetensors"));
// A finished run's model.safetensors holds the EMA average (its EmaCallback applies it at the end).
const ddpm = DDPM.preset("fashion-mnist");
ddpm.loadStateDict(await nt.io.load(join(ddpmRun, "model.safetensors")));
await ddpm.save(join(assets, "ddpm.safetensors"));

const model = createCnnBn();
model.loadStateDict(await nt.io.load(join(assets, "cnn-bn.safetensors")));
model.eval();
const test = (await nt.data.loadFashionMnist(await nt.data.bundledFashionMnistDir())).test;
rmSync(samplesDir, { recursive: true, force: true });
mkdirSync(samplesDir, { recursive: true });
const index: { file: string; label: string }[] = [];
for (let cls = 0; cls < 10; cls++) {
  let passedOver = 0;
  for (let i = 0; i < test.n; i++) {
    if (test.labels[i] !== cls) continue;
    const png = await nt.data.encodePng({ width: 28, height: 28, channels: 1, data: test.images.slice(i * 784, (i + 1) * 784) });
    const pixels = nt.data.prepareFashionMnistImage(await nt.data.decodePng(png));
    const predicted = nt.noGrad(() => nt.tidy(() => (model.forward(nt.tensor(pixels, { shape: [1, 1, 28, 28] })) as nt.Tensor).argmax(-1).itemSync()));
    if (predicted !== cls) {
      passedOver++;
      continue;
    }
    const file = `c${cls}-${i}.png`;
    writeFileSync(join(samplesDir, file), png);
    index.push({ file, label: nt.data.FASHION_MNIST_CLASSES[cls]! });
    console.log(`${nt.data.FASHION_MNIST_CLASSES[cls]}: test image ${i}${passedOver ? ` (${passedOver} earlier one(s) misclassified, passed over)` : ""}`);
    break;
  }
}
writeFileSync(join(samplesDir, "index.json"), JSON.stringify(index, null, 1) + "\n");
