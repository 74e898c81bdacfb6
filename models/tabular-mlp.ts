/**
 * A small MLP for classifying table rows (numeric columns standardised, text columns one-hot):
 * Linear(F,64) → ReLU → Dropout(0.1) → Linear(64,64) → ReLU → Linear(64,classes). As an
 * nn.Sequential its state_dict keys are PyTorch's (`0.weight`, `3.weight`, `5.weight`, ...).
 */
import { Dropout, Linear, ReLU, Sequential } from "../src/nn/index.js";

export interface TabularMlpConfig {
  inFeatures: number;
  hidden: number;
  numClasses: number;
  dropout: number;
}

export const tabularMlpConfig: TabularMlpConfig = { inFeatures: 1, hidden: 64, numClasses: 2, dropout: 0.1 };

export function createTabularMlp(config: Partial<TabularMlpConfig> = {}): Sequential {
  const { inFeatures, hidden, numClasses, dropout } = { ...tabularMlpConfig, ...config };
  return new Sequential(new Linear(inFeatures, hidden), new ReLU(), new Dropout(dropout), new Linear(hidden, hidden), new ReLU(), new Linear(hidden, numClasses));
}
