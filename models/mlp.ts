/**
 * The BENCH.md MLP for Fashion-MNIST: Flatten → Linear(784,256) → ReLU → Linear(256,256) → ReLU →
 * Linear(256,10). As an `nn.Sequential` its state_dict keys are PyTorch's (`1.weight`, `1.bias`,
 * `3.weight`, `3.bias`, `5.weight`, `5.bias`), so a torch checkpoint of the same Sequential loads.
 */
import { Flatten, Linear, ReLU, Sequential } from "../src/nn/index.js";

export interface MlpConfig {
  inFeatures: number;
  hidden: number;
  numClasses: number;
}

export const mlpConfig: MlpConfig = { inFeatures: 784, hidden: 256, numClasses: 10 };

export function createMlp(config: Partial<MlpConfig> = {}): Sequential {
  const { inFeatures, hidden, numClasses } = { ...mlpConfig, ...config };
  return new Sequential(
    new Flatten(),
    new Linear(inFeatures, hidden),
    new ReLU(),
    new Linear(hidden, hidden),
    new ReLU(),
    new Linear(hidden, numClasses),
  );
}
