/**
 * The BENCH.md CNN for Fashion-MNIST: Conv2d(1,32,3,padding=1) → ReLU → MaxPool2d(2) →
 * Conv2d(32,64,3,padding=1) → ReLU → MaxPool2d(2) → Flatten → Linear(3136,128) → ReLU →
 * Linear(128,10). As an `nn.Sequential` its state_dict keys are PyTorch's (`0.weight`, `3.weight`,
 * `7.weight`, `9.weight`, ...). Channel and hidden sizes are configurable for small tests.
 */
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "../src/nn/index.js";

export interface CnnConfig {
  /** Output channels of the two conv layers. */
  channels: [number, number];
  hidden: number;
  numClasses: number;
  inChannels: number;
  /** Side of the square input; must be divisible by 4 (two 2x2 pools). */
  imageSize: number;
}

export const cnnConfig: CnnConfig = { channels: [32, 64], hidden: 128, numClasses: 10, inChannels: 1, imageSize: 28 };

export function createCnn(config: Partial<CnnConfig> = {}): Sequential {
  const { channels: [c1, c2], hidden, numClasses, inChannels, imageSize } = { ...cnnConfig, ...config };
  if (imageSize % 4 !== 0) throw new RangeError(`createCnn: imageSize must be divisible by 4, got ${imageSize}`);
  const side = imageSize / 4;
  return new Sequential(
    new Conv2d(inChannels, c1, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c1, c2, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(c2 * side * side, hidden),
    new ReLU(),
    new Linear(hidden, numClasses),
  );
}
