import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString, shapesEqual } from "../../tensor/shape.js";
import { Module, Parameter } from "../module.js";
import { empty } from "../empty.js";
import { uniform_ } from "../init.js";
import { zeros } from "../../ops/creation.js";
import * as ops from "../../ops/index.js";
import { dropout as fdropout } from "../functional/activation.js";
import { gruStep, lstmStep, rnnStep } from "../functional/rnn.js";

export interface RNNOptions {
  numLayers?: number;
  /** RNN only: "tanh" (default) or "relu". */
  nonlinearity?: "tanh" | "relu";
  bias?: boolean;
  /** Input and output are [batch, seq, feature] (hidden states stay [layers*dirs, batch, hidden]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last (training only). */
  dropout?: number;
  bidirectional?: boolean;
  /** LSTM only: projects h to this size with weight_hr (PyTorch's proj_size). */
  projSize?: number;
  device?: string;
}

type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

interface RunResult {
  output: Tensor;
  hN: Tensor;
  cN: Tensor | null;
}

/**
 * Multi-layer (bi)directional recurrent network (PyTorch's RNNBase). Parameters are
 * `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (+ `_reverse`, + LSTM's
 * `weight_hr_l{k}`), initialised U(-1/√hidden, 1/√hidden). The input projection of a whole
 * sequence is one matmul per layer and direction; only h·W_hhᵀ and the gate math run per step.
 */
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;

  constructor(
    protected readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    const name = this.constructor.name;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = options.projSize ?? 0;
    for (const [what, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize], ["numLayers", this.numLayers]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${name}: dropout must be in [0, 1], got ${this.dropout}`);
    if (this.projSize < 0 || this.projSize >= hiddenSize || !Number.isInteger(this.projSize)) {
      throw new RangeError(`${name}: projSize must be an integer in [0, hiddenSize), got ${this.projSize}`);
    }
    if (this.projSize > 0 && mode !== "LSTM") throw new RangeError(`${name}: projSize is only supported by LSTM`);
    const G = GATES[mode] * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const realHidden = this.projSize || hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d ? "_reverse" : ""}`;
        const inSize = l === 0 ? inputSize : realHidden * D;
        this.registerParameter(`weight_ih${sfx}`, empty([G, inSize], options.device));
        this.registerParameter(`weight_hh${sfx}`, empty([G, realHidden], options.device));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, empty([G], options.device));
          this.registerParameter(`bias_hh${sfx}`, empty([G], options.device));
        }
        if (this.projSize) this.registerParameter(`weight_hr${sfx}`, empty([this.projSize, hiddenSize], options.device));
      }
    }
    this.resetParameters();
  }

  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  private param(name: string): Tensor | null {
    const v = (this as unknown as Record<string, unknown>)[name];
    return v ? (v as Tensor) : null;
  }

  private get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private checkState(h: Tensor | null | undefined, what: string, size: number, batch: number, batched: boolean): Tensor | null {
    if (!h) return null;
    const L = this.numLayers * this.numDirections;
    const want = batched ? [L, batch, size] : [L, size];
    if (!shapesEqual(h.shape, want)) {
      throw new RangeError(`${this.constructor.name}: expected ${what} of shape ${shapeToString(want)}, got ${shapeToString(h.shape)}`);
    }
    return batched ? h : ops.unsqueeze(h, 1);
  }

  protected run(input: Tensor, hx: Tensor | null | undefined, cx: Tensor | null | undefined): RunResult {
    const name = this.constructor.name;
    if (input.ndim !== 3 && input.ndim !== 2) {
      throw new RangeError(`${name}: expected a 3-D input ${this.batchFirst ? "[batch, seq, feature]" : "[seq, batch, feature]"} (or 2-D unbatched [seq, feature]), got shape ${shapeToString(input.shape)}`);
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: expected input with ${this.inputSize} features (inputSize) in the last dim, got shape ${shapeToString(input.shape)}`);
    }
    const batched = input.ndim === 3;
    let x = batched ? (this.batchFirst ? ops.transpose(input, 0, 1) : input) : ops.unsqueeze(input, 1); // [T, B, I]
    const [T, B] = x.shape as [number, number];
    const D = this.numDirections;
    const H = this.hiddenSize;
    const Hr = this.projSize || H;
    const G = GATES[this.mode] * H;
    const lstm = this.mode === "LSTM";
    const h0 = this.checkState(hx, lstm ? "h0" : "hx", Hr, B, batched) ?? zeros([this.numLayers * D, B, Hr], { device: input.device, dtype: input.dtype });
    const c0 = lstm ? (this.checkState(cx, "c0", H, B, batched) ?? zeros([this.numLayers * D, B, H], { device: input.device, dtype: input.dtype })) : null;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const dirOutputs: Tensor[] = [];
      const inSize = x.shape[2]!;
      const flat = ops.reshape(x, [T * B, inSize]);
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d ? "_reverse" : ""}`;
        const wIh = this.param(`weight_ih${sfx}`)!;
        const wHhT = ops.transpose(this.param(`weight_hh${sfx}`)!, 0, 1);
        const bIh = this.param(`bias_ih${sfx}`);
        const bHh = this.param(`bias_hh${sfx}`);
        const wHr = this.param(`weight_hr${sfx}`);
        const wHrT = wHr ? ops.transpose(wHr, 0, 1) : null;
        // One matmul for every time step; b_hh folds in too except for GRU's n gate.
        let gi = ops.matmul(flat, ops.transpose(wIh, 0, 1));
        const stepBias = this.mode === "GRU" ? bHh : null;
        if (bIh && bHh && !stepBias) gi = ops.add(gi, ops.add(bIh, bHh));
        else if (bIh) gi = ops.add(gi, bIh);
        // Per-step views of the projection (split by halving: cheap backward, see ops.unbind).
        const steps = ops.unbind(ops.reshape(gi, [T, B, G]), 0);
        const idx = l * D + d;
        let h = ops.reshape(ops.narrow(h0, 0, idx, 1), [B, Hr]);
        let c = c0 ? ops.reshape(ops.narrow(c0, 0, idx, 1), [B, H]) : null;
        const outs = new Array<Tensor>(T);
        for (let s = 0; s < T; s++) {
          const t = d ? T - 1 - s : s;
          const g = steps[t]!;
          if (lstm) [h, c] = lstmStep(g, h, c!, wHhT, null, wHrT);
          else if (this.mode === "GRU") h = gruStep(g, h, wHhT, stepBias);
          else h = rnnStep(g, h, wHhT, null, this.mode === "RNN_TANH" ? "tanh" : "relu");
          outs[t] = h;
        }
        hs.push(h);
        if (c) cs.push(c);
        dirOutputs.push(ops.stack(outs, 0));
      }
      x = D === 2 ? ops.cat(dirOutputs, 2) : dirOutputs[0]!;
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = fdropout(x, { p: this.dropout, training: true });
    }
    let output = x;
    let hN = ops.stack(hs, 0);
    let cN = lstm ? ops.stack(cs, 0) : null;
    if (!batched) {
      output = ops.squeeze(output, 1);
      hN = ops.squeeze(hN, 1);
      if (cN) cN = ops.squeeze(cN, 1);
    } else if (this.batchFirst) {
      output = ops.transpose(output, 0, 1);
    }
    return { output, hN, cN };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}` +
      (this.numLayers !== 1 ? `, num_layers=${this.numLayers}` : "") +
      (this.batchFirst ? ", batch_first=True" : "") +
      (this.dropout ? `, dropout=${this.dropout}` : "") +
      (this.bidirectional ? ", bidirectional=True" : "");
  }
}

/** Elman RNN: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). `forward(x, h0?)` → [output, hN]. */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nl = options.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new RangeError(`RNN: unknown nonlinearity '${nl as string}' (expected 'tanh' or 'relu')`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  override forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const r = this.run(x, h0, null);
    return [r.output, r.hN];
  }
}

/** LSTM (gates i, f, g, o). `forward(x, [h0, c0]?)` → [output, [hN, cN]]. */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }
  override forward(x: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const r = this.run(x, hx?.[0], hx?.[1]);
    return [r.output, [r.hN, r.cN!]];
  }
}

/** GRU (gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))). `forward(x, h0?)` → [output, hN]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }
  override forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const r = this.run(x, h0, null);
    return [r.output, r.hN];
  }
}

export interface RNNCellOptions {
  bias?: boolean;
  nonlinearity?: "tanh" | "relu";
  device?: string;
}

/** Shared parameters of the single-step cells: weight_ih, weight_hh, bias_ih, bias_hh. */
abstract class RNNCellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    gates: number,
    options: RNNCellOptions,
  ) {
    super();
    this.weight_ih = Parameter(empty([gates * hiddenSize, inputSize], options.device));
    this.weight_hh = Parameter(empty([gates * hiddenSize, hiddenSize], options.device));
    this.bias_ih = options.bias === false ? null : Parameter(empty([gates * hiddenSize], options.device));
    this.bias_hh = options.bias === false ? null : Parameter(empty([gates * hiddenSize], options.device));
    this.resetParameters();
  }

  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** Checks x ([B, I] or [I]) and a state, returning batched views and whether x was batched. */
  protected prepare(x: Tensor, states: (Tensor | null | undefined)[]): { xb: Tensor; hs: Tensor[]; batched: boolean } {
    const name = this.constructor.name;
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: expected input of shape [batch, ${this.inputSize}] or [${this.inputSize}], got ${shapeToString(x.shape)}`);
    }
    const batched = x.ndim === 2;
    const xb = batched ? x : ops.unsqueeze(x, 0);
    const B = xb.shape[0]!;
    const hs = states.map((h) => {
      if (!h) return zeros([B, this.hiddenSize], { device: x.device, dtype: x.dtype });
      const want = batched ? [B, this.hiddenSize] : [this.hiddenSize];
      if (!shapesEqual(h.shape, want)) throw new RangeError(`${name}: expected hidden state of shape ${shapeToString(want)}, got ${shapeToString(h.shape)}`);
      return batched ? h : ops.unsqueeze(h, 0);
    });
    return { xb, hs, batched };
  }

  protected inputProjection(xb: Tensor): Tensor {
    const gi = ops.matmul(xb, ops.transpose(this.weight_ih, 0, 1));
    return this.bias_ih ? ops.add(gi, this.bias_ih) : gi;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? "" : ", bias=False"}`;
  }
}

/** One Elman RNN step: `forward(x, h?)` → h'. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 1, options);
    this.nonlinearity = options.nonlinearity ?? "tanh";
    if (this.nonlinearity !== "tanh" && this.nonlinearity !== "relu") throw new RangeError(`RNNCell: unknown nonlinearity '${this.nonlinearity as string}'`);
  }
  override forward(x: Tensor, h?: Tensor | null): Tensor {
    const { xb, hs, batched } = this.prepare(x, [h]);
    const out = rnnStep(this.inputProjection(xb), hs[0]!, ops.transpose(this.weight_hh, 0, 1), this.bias_hh, this.nonlinearity);
    return batched ? out : ops.squeeze(out, 0);
  }
}

/** One LSTM step: `forward(x, [h, c]?)` → [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, "nonlinearity"> = {}) {
    super(inputSize, hiddenSize, 4, options);
  }
  override forward(x: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const { xb, hs, batched } = this.prepare(x, [hx?.[0], hx?.[1]]);
    const [h, c] = lstmStep(this.inputProjection(xb), hs[0]!, hs[1]!, ops.transpose(this.weight_hh, 0, 1), this.bias_hh);
    return batched ? [h, c] : [ops.squeeze(h, 0), ops.squeeze(c, 0)];
  }
}

/** One GRU step: `forward(x, h?)` → h'. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, "nonlinearity"> = {}) {
    super(inputSize, hiddenSize, 3, options);
  }
  override forward(x: Tensor, h?: Tensor | null): Tensor {
    const { xb, hs, batched } = this.prepare(x, [h]);
    const out = gruStep(this.inputProjection(xb), hs[0]!, ops.transpose(this.weight_hh, 0, 1), this.bias_hh);
    return batched ? out : ops.squeeze(out, 0);
  }
}
