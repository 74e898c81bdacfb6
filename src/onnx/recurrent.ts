import type { Tensor } from "../tensor/tensor.js";
import { GRU, LSTM, RNN } from "../nn/layers/rnn.js";
import type { ConvertContext } from "./context.js";
import type { Attr } from "./graph.js";
import type { ModuleEvent, TracedValue } from "./trace.js";
import { tensorArg } from "./module-call.js";

type Recurrent = RNN | LSTM | GRU;

/** Why ONNX's recurrent ops cannot express `m` (then it is traced op by op), or null. */
export function recurrentUnsupported(m: Recurrent): string | null {
  return m.projSize > 0 ? "LSTM projection (projSize) has no ONNX LSTM counterpart" : null;
}

/**
 * ONNX orders the gate blocks differently from PyTorch: LSTM i,o,f,c (PyTorch i,f,g,o) and
 * GRU z,r,h (PyTorch r,z,n). Entry k is the PyTorch block that goes to ONNX position k.
 */
function gateOrder(m: Recurrent): number[] {
  if (m instanceof LSTM) return [0, 3, 1, 2];
  if (m instanceof GRU) return [1, 0, 2];
  return [0];
}

const field = (m: Recurrent, name: string): Tensor | null => ((m as unknown as Record<string, unknown>)[name] as Tensor | undefined) ?? null;
const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/** Rows of `t` ([gates*H, ...]) regrouped into ONNX's gate order, appended to `into`. */
function reorderRows(t: Tensor, order: readonly number[], into: number[]): void {
  const data = t.dataSync() as Float32Array;
  const block = data.length / order.length;
  for (const g of order) for (let i = 0; i < block; i++) into.push(data[g * block + i]!);
}

/**
 * One ONNX LSTM/GRU/RNN node per layer (both directions in one node), fed by the previous
 * layer's output; hidden states of all layers are concatenated as PyTorch's hN [L*D, B, H].
 */
export function convertRecurrent(ctx: ConvertContext, ev: ModuleEvent): void {
  const m = ev.module as Recurrent;
  const b = ctx.b;
  const lstm = m instanceof LSTM;
  const opType = lstm ? "LSTM" : m instanceof GRU ? "GRU" : "RNN";
  const D = m.bidirectional ? 2 : 1;
  const H = m.hiddenSize;
  const x = tensorArg(ev);
  const batched = x.shape.length === 3;
  const stateArg = ev.args[1] as TracedValue | TracedValue[] | null | undefined;
  const [h0, c0] = (lstm ? (stateArg as TracedValue[] | null | undefined) ?? [] : [stateArg as TracedValue | null | undefined]).map((v) =>
    !v ? null : batched ? v.name : b.node("Unsqueeze", [v.name, b.int64([1])]),
  );
  let seq = !batched ? b.node("Unsqueeze", [x.name, b.int64([1])]) : m.batchFirst ? b.node("Transpose", [x.name], { perm: { ints: [1, 0, 2] } }) : x.name;
  const order = gateOrder(m);
  const hs: string[] = [];
  const cs: string[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const w: number[] = [];
    const r: number[] = [];
    const bias: number[] = [];
    let inSize = 0;
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? "_reverse" : ""}`;
      const wIh = field(m, `weight_ih${sfx}`)!;
      inSize = wIh.shape[1]!;
      reorderRows(wIh, order, w);
      reorderRows(field(m, `weight_hh${sfx}`)!, order, r);
      if (m.bias) {
        reorderRows(field(m, `bias_ih${sfx}`)!, order, bias);
        reorderRows(field(m, `bias_hh${sfx}`)!, order, bias);
      }
    }
    const G = order.length * H;
    const name = (what: string): string => b.addInitializer({ name: join(ev.path, `onnx_${what}_l${l}`), type: "float32", dims: what === "W" ? [D, G, inSize] : what === "R" ? [D, G, H] : [D, 2 * G], data: Float32Array.from(what === "W" ? w : what === "R" ? r : bias) });
    const layerState = (s: string | null): string => (s ? b.node("Slice", [s, b.int64([l * D]), b.int64([(l + 1) * D]), b.int64([0])]) : "");
    const inputs = [seq, name("W"), name("R"), m.bias ? name("B") : "", "", layerState(h0 ?? null)];
    if (lstm) inputs.push(layerState(c0 ?? null));
    while (inputs[inputs.length - 1] === "") inputs.pop();
    const attrs: Record<string, Attr> = { hidden_size: { i: H }, direction: { s: D === 2 ? "bidirectional" : "forward" } };
    // PyTorch's GRU applies the reset gate after the recurrent matmul (h·W_hnᵀ + b_hn).
    if (opType === "GRU") attrs.linear_before_reset = { i: 1 };
    if (m instanceof RNN) attrs.activations = { strings: Array<string>(D).fill(m.nonlinearity === "relu" ? "Relu" : "Tanh") };
    const [y, yh, yc] = b.nodeMulti(opType, inputs, attrs, lstm ? 3 : 2);
    hs.push(yh!);
    if (yc) cs.push(yc);
    // Y is [T, D, B, H]; the next layer (and PyTorch's output) wants [T, B, D*H].
    seq = b.node("Reshape", [b.node("Transpose", [y!], { perm: { ints: [0, 2, 1, 3] } }), b.int64([0, 0, -1])]);
  }
  const [outName, hName, cName] = ev.outputs.map((o) => o.name);
  const finish = (v: string, target: string, axisForUnbatched: number, perm?: number[]): void => {
    if (!batched) b.node("Squeeze", [v, b.int64([axisForUnbatched])], {}, [target]);
    else if (perm) b.node("Transpose", [v], { perm: { ints: perm } }, [target]);
    else b.node("Identity", [v], {}, [target]);
  };
  finish(seq, outName!, 1, m.batchFirst ? [1, 0, 2] : undefined);
  finish(hs.length === 1 ? hs[0]! : b.node("Concat", hs, { axis: { i: 0 } }), hName!, 1);
  if (lstm) finish(cs.length === 1 ? cs[0]! : b.node("Concat", cs, { axis: { i: 0 } }), cName!, 1);
}
