import type { Module } from "../nn/module.js";
import { Embedding } from "../nn/layers/embedding.js";
import { createMlp } from "../../models/mlp.js";

/**
 * What a model trains on:
 * - "fashion-mnist": images float32 [N, 1, 28, 28] in [0, 1] → logits [N, 10]
 * - "char-lm": character ids int32 [N, T] → next-character logits [N, T, vocabSize]
 *   (trained on a text file, `--text FILE`, default data/fortunes-sample.txt)
 */
export type Task = "fashion-mnist" | "char-lm";

/** Passed to `create`: sizes that come from the data. */
export interface ModelContext {
  /** Number of classes (fashion-mnist: 10). */
  numClasses?: number;
  /** Number of distinct characters (char-lm). */
  vocabSize?: number;
  /** Context length in characters (char-lm). */
  blockSize?: number;
}

/** A trainable reference model for `neurite train --model NAME`. */
export interface ZooEntry {
  name: string;
  description: string;
  /** Which data the model trains on. */
  task: Task;
  create(ctx?: ModelContext): Module;
  defaults: {
    epochs: number;
    batchSize: number;
    lr: number;
    optimizer: "adam" | "adamw" | "sgd";
    /** char-lm: characters of context per training sequence. */
    blockSize?: number;
  };
}

/** The classic bigram language model: one embedding row of next-character logits per character. */
class Bigram extends Embedding {
  constructor(vocabSize: number) {
    super(vocabSize, vocabSize);
  }
}

export const MODEL_ZOO: Record<string, ZooEntry> = {
  mlp: {
    name: "mlp",
    description: "BENCH.md MLP: Flatten → Linear(784,256) → ReLU → Linear(256,256) → ReLU → Linear(256,10)",
    task: "fashion-mnist",
    create: () => createMlp(),
    defaults: { epochs: 5, batchSize: 128, lr: 1e-3, optimizer: "adam" },
  },
  bigram: {
    name: "bigram",
    description: "character bigram language model: Embedding(vocab, vocab) of next-character logits",
    task: "char-lm",
    create: (ctx) => new Bigram(ctx?.vocabSize ?? 128),
    defaults: { epochs: 5, batchSize: 32, lr: 5e-2, optimizer: "adam", blockSize: 64 },
  },
};

export function registerZooModel(entry: ZooEntry): void {
  MODEL_ZOO[entry.name] = entry;
}

export const modelNames = (): string[] => Object.keys(MODEL_ZOO);
