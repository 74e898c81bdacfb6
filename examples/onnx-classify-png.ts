// Classify a 28x28 Fashion-MNIST-style PNG with an exported cnn-bn in ONNX Runtime. First:
//   neurite export --checkpoint runs/cnn-bn --format onnx --out cnn-bn.onnx --dynamic-batch
//   node --import tsx examples/onnx-classify-png.ts cnn-bn.onnx shoe.png
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import * as nt from "neurite";

const [modelPath = "cnn-bn.onnx", pngPath = "shoe.png"] = process.argv.slice(2);
const session = await ort.InferenceSession.create(modelPath);
const img = nt.data.toGrayscale(await nt.data.decodePng(readFileSync(pngPath))); // light object on black
const pixels = Float32Array.from(img.data, (v) => v / 255); // scaled as in training
const { logits } = await session.run({ image: new ort.Tensor("float32", pixels, [1, 1, 28, 28]) });
const scores = Array.from(logits!.data as Float32Array);
const best = scores.indexOf(Math.max(...scores));
console.log(`${nt.data.FASHION_MNIST_CLASSES[best]} (class ${best})`);
