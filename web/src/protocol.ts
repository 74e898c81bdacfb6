/** Messages between the playground page and its training worker. */

/** "wasm-1": wasm on one thread; "wasm-all": one thread per core; "webgpu": the GPU. */
export type BackendChoice = "wasm-1" | "wasm-all" | "webgpu";

export interface TrainRequest {
  type: "train";
  backend: BackendChoice;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Where the page serves the Fashion-MNIST IDX files. */
  dataUrl: string;
}

export type WorkerMessage =
  /** Sent once the worker's module (and neurite's default backend) is ready for requests. */
  | { type: "ready" }
  | { type: "status"; text: string }
  | { type: "backend"; name: string; threads: number; note?: string }
  | { type: "step"; epoch: number; step: number; stepsPerEpoch: number; loss: number; accuracy: number; imagesPerSecond: number }
  | { type: "epoch"; epoch: number; trainLoss: number; testLoss: number; testAccuracy: number; imagesPerSecond: number; seconds: number }
  | { type: "done"; firstLoss: number; lastLoss: number; testAccuracy: number; imagesPerSecond: number; backend: string; threads: number }
  | { type: "error"; text: string };
