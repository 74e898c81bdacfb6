/**
 * Sample quality without an outside network: a Fashion-MNIST classifier (the cnn-bn model)
 * scores images by
 * - confidence: the mean over images of the largest class probability,
 * - the class histogram of its predictions (are all classes generated?),
 * - agreement with the class each image was generated for (class-conditional models),
 * - a Fréchet distance between Gaussians fitted to its penultimate features (FID-style).
 */
import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tidy } from "../../memory/tidy.js";
import type { Module } from "../../nn/module.js";
import { Sequential } from "../../nn/layers/container.js";
import { fitGaussian, frechetDistance, type Gaussian } from "./frechet.js";

/** A classifier split into a feature extractor and a head (logits = head(features(x))). */
export interface FeatureClassifier {
  features(x: Tensor): Tensor;
  head(f: Tensor): Tensor;
}

/**
 * Splits an nn.Sequential classifier before its last Linear: the features are the input of that
 * layer (for cnn-bn: the 256 ReLU outputs after BatchNorm1d; its Dropout is the identity in eval).
 */
export function splitSequentialClassifier(model: Module): FeatureClassifier {
  if (!(model instanceof Sequential)) throw new TypeError("splitSequentialClassifier: expected an nn.Sequential classifier (e.g. models/cnn-bn)");
  model.eval();
  const layers = model.children();
  const body = layers.slice(0, -1);
  const last = layers[layers.length - 1]!;
  return {
    features: (x) => body.reduce((h, m) => m.forward(h) as Tensor, x),
    head: (f) => last.forward(f) as Tensor,
  };
}

export interface ImageBatchSource {
  n: number;
  /** Images i..i+count as [count, 1, 28, 28] in [0, 1] (the classifier's input range). */
  batch(i: number, count: number): Tensor;
}

export interface ClassifierOutputs {
  n: number;
  numClasses: number;
  /** n·numClasses softmax probabilities. */
  probs: Float32Array;
  /** n·dim penultimate features. */
  features: Float32Array;
  dim: number;
}

/** Runs the classifier over all images in batches, keeping probabilities and features on the host. */
export async function classify(clf: FeatureClassifier, source: ImageBatchSource, batchSize = 250): Promise<ClassifierOutputs> {
  const probs: Float32Array[] = [];
  const feats: Float32Array[] = [];
  let dim = 0;
  let numClasses = 0;
  for (let i = 0; i < source.n; i += batchSize) {
    const count = Math.min(batchSize, source.n - i);
    const [p, f] = tidy(() =>
      noGrad(() => {
        const f = clf.features(source.batch(i, count));
        return [ops.softmax(clf.head(f), 1), f] as const;
      }),
    );
    numClasses = p.shape[1]!;
    dim = f.shape[1]!;
    probs.push((await p.data()) as Float32Array);
    feats.push((await f.data()) as Float32Array);
    p.dispose();
    f.dispose();
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, a) => s + a.length, 0));
    let o = 0;
    for (const a of parts) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  };
  return { n: source.n, numClasses, probs: cat(probs), features: cat(feats), dim };
}

export interface ConfidenceSummary {
  /** Mean over images of max_c p(c | x). */
  meanConfidence: number;
  /** Predicted-class counts. */
  histogram: number[];
  /** Classes predicted at least once. */
  classesPresent: number;
  /** Fraction whose prediction equals the requested label (when labels are given). */
  agreement?: number;
}

export function summarizeConfidence(out: ClassifierOutputs, labels?: ArrayLike<number | null>): ConfidenceSummary {
  const { n, numClasses, probs } = out;
  const histogram = new Array<number>(numClasses).fill(0);
  let conf = 0;
  let agree = 0;
  let labelled = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    conf += probs[i * numClasses + best]!;
    histogram[best]!++;
    const l = labels?.[i];
    if (l !== undefined && l !== null) {
      labelled++;
      if (l === best) agree++;
    }
  }
  return {
    meanConfidence: conf / n,
    histogram,
    classesPresent: histogram.filter((h) => h > 0).length,
    ...(labelled > 0 ? { agreement: agree / labelled } : {}),
  };
}

export function featureGaussian(out: ClassifierOutputs): Gaussian {
  return fitGaussian(out.features, out.n, out.dim);
}

export { frechetDistance };
