import type { Module } from "../nn/module.js";
import { createMlp } from "../../models/mlp.js";

/** A trainable reference model for `neurite train --model NAME`. */
export interface ZooEntry {
  name: string;
  description: string;
  /** Which data the model trains on. */
  task: "fashion-mnist";
  create(): Module;
  defaults: { epochs: number; batchSize: number; lr: number; optimizer: "adam" | "adamw" | "sgd" };
}

export const MODEL_ZOO: Record<string, ZooEntry> = {
  mlp: {
    name: "mlp",
    description: "BENCH.md MLP: Flatten → Linear(784,256) → ReLU → Linear(256,256) → ReLU → Linear(256,10)",
    task: "fashion-mnist",
    create: createMlp,
    defaults: { epochs: 5, batchSize: 128, lr: 1e-3, optimizer: "adam" },
  },
};

export function registerZooModel(entry: ZooEntry): void {
  MODEL_ZOO[entry.name] = entry;
}
