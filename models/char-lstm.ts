/**
 * Character-level language model: Embedding → LSTM (batch-first, stacked) → Linear to the
 * vocabulary. `forward(idx, state?)` returns logits [B, T, V] and the final LSTM state, so
 * generation feeds one character at a time and carries the state.
 */
import type { Tensor } from "../src/tensor/tensor.js";
import { Module } from "../src/nn/module.js";
import { Embedding, Linear, LSTM } from "../src/nn/index.js";
import { noGrad } from "../src/autograd/grad-mode.js";
import { tidy } from "../src/memory/tidy.js";
import { tensor } from "../src/ops/creation.js";
import { lastLogits, sampleFromLogits, type GenerateOptions } from "./sampling.js";

export interface CharLstmConfig {
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout between LSTM layers (training only). */
  dropout: number;
}

export const charLstmConfig: Omit<CharLstmConfig, "vocabSize"> = { embedDim: 64, hiddenSize: 256, numLayers: 2, dropout: 0.2 };

export type LstmState = [Tensor, Tensor];

export class CharLSTM extends Module {
  embed: Embedding;
  lstm: LSTM;
  head: Linear;

  constructor(readonly config: CharLstmConfig) {
    super();
    this.embed = new Embedding(config.vocabSize, config.embedDim);
    this.lstm = new LSTM(config.embedDim, config.hiddenSize, { numLayers: config.numLayers, batchFirst: true, dropout: config.numLayers > 1 ? config.dropout : 0 });
    this.head = new Linear(config.hiddenSize, config.vocabSize);
  }

  /** idx: int32 [B, T] → [logits [B, T, V], [h, c]]. */
  override forward(idx: Tensor, state?: LstmState | null): [Tensor, LstmState] {
    const [out, next] = this.lstm.forward(this.embed.forward(idx), state ?? null);
    return [this.head.forward(out), next];
  }
}

export function createCharLstm(config: Partial<CharLstmConfig> & { vocabSize: number }): CharLSTM {
  return new CharLSTM({ ...charLstmConfig, ...config });
}

/**
 * Samples `maxNewTokens` characters after `prompt` (token ids), streaming each through
 * `onToken`. Runs the prompt once, then one step per token with the carried LSTM state.
 */
export async function generateCharLstm(model: CharLSTM, prompt: readonly number[], options: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new RangeError("generateCharLstm: the prompt needs at least one token");
  const wasTraining = model.training;
  model.eval();
  const out: number[] = [];
  let state: LstmState | null = null;
  let input = [...prompt];
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const prev: LstmState | null = state;
      const [logits, h, c] = noGrad(() =>
        tidy(() => {
          const [l, s] = model.forward(tensor([input], { dtype: "int32" }), prev);
          return [l, s[0], s[1]];
        }),
      );
      prev?.forEach((t) => t.dispose());
      state = [h, c];
      const row = await lastLogits(logits);
      logits.dispose();
      const token = sampleFromLogits(row, options);
      out.push(token);
      if ((await options.onToken?.(token, step)) === false) break;
      input = [token];
    }
  } finally {
    (state as LstmState | null)?.forEach((t) => t.dispose());
    model.train(wasTraining);
  }
  return out;
}
