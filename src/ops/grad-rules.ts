import type { GradNode } from "../autograd/node.js";
import type { Tensor } from "../tensor/tensor.js";
import type { DifferentiablePrim, Prim } from "./prims.js";
import type { Contribution } from "../autograd/grad-accumulator.js";
import * as o from "./index.js";

/**
 * Reverse-mode gradient rules, one per primitive. The mapped type makes a missing rule a
 * compile error. A rule gets the output gradient `g` and the node (params, input shapes, and
 * the saved tensors named by `save`), and returns one gradient per input (null = none).
 * Rules run with gradient recording off.
 */
export interface GradRule<P extends Prim> {
  save: "none" | "inputs" | "output" | "both";
  vjp(g: Tensor, node: GradNode<P>): (Tensor | null)[];
  /**
   * Optional lazy form used by backward instead of `vjp`: contributions the gradient
   * accumulator may combine with others before materialising (a slice's gradient stays
   * unpadded, so many disjoint slices of one tensor are joined by a single cat).
   */
  contributions?(g: Tensor, node: GradNode<P>): (Contribution | null)[];
}

const need = (node: GradNode, i: number): boolean => node.inputMeta[i]!.requiresGrad;

/** Gradient of a reduction over `axes`: reshape to keepdim form, then broadcast back. */
function unreduce(g: Tensor, inputShape: readonly number[], axes: readonly number[]): Tensor {
  const keep = inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return o.expand(o.reshape(g, keep), inputShape);
}

/**
 * Whether a [B,R,C] matmul operand stores its matrices column by column: a transposed view, as
 * linear's weightᵀ. Its gradient is then computed as the transpose of a row-major product, so it
 * comes back in the parameter's own layout and accumulating it into .grad is a plain copy rather
 * than a transposing one (the product reads either layout at the same cost).
 */
function transposedLayout(t: Tensor): boolean {
  const [, rows, cols] = t.shape as [number, number, number];
  return rows > 1 && cols > 1 && t.strides[1] === 1 && t.strides[2] !== 1;
}

/**
 * matmul with a broadcast first operand (batch 1 against b's B, as a convolution's weight): its
 * gradient is the sum over the batch of g·bᵀ, computed as one batch-reducing product instead of
 * B products and a sum. Null for an unbroadcast product.
 */
function broadcastMatmulGrad(g: Tensor, node: GradNode<"matmul">): (Tensor | null)[] | null {
  const a = node.input(0);
  const b = node.input(1);
  const B = b.shape[0]!;
  if (a.shape[0] === B) return null;
  return [
    need(node, 0) ? o.matmulSumBatch(g, o.transpose(b, 1, 2)) : null,
    need(node, 1) ? o.bmm(o.expand(o.transpose(a, 1, 2), [B, a.shape[2]!, a.shape[1]!]), g) : null,
  ];
}

/** Gradient of max/min: split evenly among the positions that attain the extreme value. */
function extremeGrad(g: Tensor, node: GradNode<"max" | "min">): Tensor[] {
  const x = node.input(0);
  const axes = node.params.axes;
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const mask = o.cast(o.eq(x, o.reshape(node.output(), keep)), x.dtype);
  const count = o.sum(mask, axes, true);
  return [o.div(o.mul(unreduce(g, x.shape, axes), mask), count)];
}

export const gradRules: { [P in DifferentiablePrim]: GradRule<P> } = {
  reshape: { save: "none", vjp: (g, n) => [o.reshape(g, n.inputMeta[0]!.shape)] },
  permute: {
    save: "none",
    vjp: (g, n) => {
      const inverse = new Array<number>(n.params.dims.length);
      n.params.dims.forEach((d, i) => (inverse[d] = i));
      return [o.permute(g, inverse)];
    },
  },
  expand: {
    save: "none",
    vjp: (g, n) => {
      const inShape = n.inputMeta[0]!.shape;
      const axes = inShape.map((d, i) => (d === 1 && g.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
      return [axes.length ? o.sum(g, axes, true) : g];
    },
  },
  slice: {
    save: "none",
    vjp: (g, n) => {
      const shape = n.inputMeta[0]!.shape;
      return [o.pad(g, n.params.starts, n.params.ends.map((e, i) => shape[i]! - e), 0)];
    },
    contributions: (g, n) => [{ kind: "slice", g, starts: n.params.starts, ends: n.params.ends }],
  },
  contiguous: { save: "none", vjp: (g) => [g] },
  cast: {
    save: "none",
    vjp: (g, n) => {
      const from = n.inputMeta[0]!.dtype;
      return [from === "float32" || from === "float64" ? o.cast(g, from) : null];
    },
  },
  neg: { save: "none", vjp: (g) => [o.neg(g)] },
  exp: { save: "output", vjp: (g, n) => [o.mul(g, n.output())] },
  log: { save: "inputs", vjp: (g, n) => [o.div(g, n.input(0))] },
  sqrt: { save: "output", vjp: (g, n) => [o.div(g, o.mul(n.output(), 2))] },
  rsqrt: { save: "output", vjp: (g, n) => [o.mul(o.mul(g, o.pow(n.output(), 3)), -0.5)] },
  abs: { save: "inputs", vjp: (g, n) => [o.mul(g, o.sign(n.input(0)))] },
  sin: { save: "inputs", vjp: (g, n) => [o.mul(g, o.cos(n.input(0)))] },
  cos: { save: "inputs", vjp: (g, n) => [o.neg(o.mul(g, o.sin(n.input(0))))] },
  tanh: { save: "output", vjp: (g, n) => [o.mul(g, o.rsub(1, o.mul(n.output(), n.output())))] },
  sigmoid: { save: "output", vjp: (g, n) => [o.mul(g, o.mul(n.output(), o.rsub(1, n.output())))] },
  erf: {
    save: "inputs",
    vjp: (g, n) => {
      const x = n.input(0);
      return [o.mul(g, o.mul(o.exp(o.neg(o.mul(x, x))), 2 / Math.sqrt(Math.PI)))];
    },
  },
  relu: { save: "output", vjp: (g, n) => [o.reluBackward(g, n.output())] },
  // Linear in the gradient; piecewise constant in the relu's output.
  reluBackward: { save: "inputs", vjp: (gg, n) => [need(n, 0) ? o.reluBackward(gg, n.input(1)) : null, null] },
  log1p: { save: "inputs", vjp: (g, n) => [o.div(g, o.add(n.input(0), 1))] },
  expm1: { save: "output", vjp: (g, n) => [o.mul(g, o.add(n.output(), 1))] },
  hardswish: {
    save: "inputs",
    // PyTorch's hardswish_backward: 0 below -3, x/3 + 1/2 up to 3 (inclusive), 1 above
    vjp: (g, n) => {
      const x = n.input(0);
      return [o.mul(g, o.where(o.lt(x, -3), 0, o.where(o.le(x, 3), o.add(o.div(x, 3), 0.5), 1)))];
    },
  },
  reciprocal: { save: "output", vjp: (g, n) => [o.neg(o.mul(g, o.mul(n.output(), n.output())))] },
  add: { save: "none", vjp: (g) => [g, g] },
  sub: { save: "none", vjp: (g, n) => [g, need(n, 1) ? o.neg(g) : null] },
  mul: {
    save: "inputs",
    vjp: (g, n) => [need(n, 0) ? o.mul(g, n.input(1)) : null, need(n, 1) ? o.mul(g, n.input(0)) : null],
  },
  div: {
    save: "inputs",
    vjp: (g, n) => {
      const b = n.input(1);
      return [need(n, 0) ? o.div(g, b) : null, need(n, 1) ? o.neg(o.div(o.mul(g, n.input(0)), o.mul(b, b))) : null];
    },
  },
  pow: {
    save: "both",
    vjp: (g, n) => {
      const a = n.input(0);
      const b = n.input(1);
      return [
        need(n, 0) ? o.mul(g, o.mul(b, o.pow(a, o.sub(b, 1)))) : null,
        need(n, 1) ? o.mul(g, o.mul(n.output(), o.log(a))) : null,
      ];
    },
  },
  atan2: {
    save: "inputs",
    vjp: (g, n) => {
      // d/da atan2(a, b) = b / (a² + b²), d/db = -a / (a² + b²)
      const a = n.input(0);
      const b = n.input(1);
      const r2 = o.add(o.mul(a, a), o.mul(b, b));
      return [need(n, 0) ? o.div(o.mul(g, b), r2) : null, need(n, 1) ? o.neg(o.div(o.mul(g, a), r2)) : null];
    },
  },
  maximum: {
    save: "inputs",
    vjp: (g, n) => {
      // Ties share the gradient equally, as in PyTorch.
      const a = n.input(0);
      const b = n.input(1);
      const wa = o.add(o.cast(o.gt(a, b), g.dtype), o.mul(o.cast(o.eq(a, b), g.dtype), 0.5));
      return [need(n, 0) ? o.mul(g, wa) : null, need(n, 1) ? o.mul(g, o.rsub(1, wa)) : null];
    },
  },
  minimum: {
    save: "inputs",
    vjp: (g, n) => {
      const a = n.input(0);
      const b = n.input(1);
      const wa = o.add(o.cast(o.lt(a, b), g.dtype), o.mul(o.cast(o.eq(a, b), g.dtype), 0.5));
      return [need(n, 0) ? o.mul(g, wa) : null, need(n, 1) ? o.mul(g, o.rsub(1, wa)) : null];
    },
  },
  where: {
    save: "inputs",
    vjp: (g, n) => {
      const c = n.input(0);
      const zero = o.zerosLike(g);
      return [null, need(n, 1) ? o.where(c, g, zero) : null, need(n, 2) ? o.where(c, zero, g) : null];
    },
  },
  sum: { save: "none", vjp: (g, n) => [unreduce(g, n.inputMeta[0]!.shape, n.params.axes)] },
  max: { save: "both", vjp: (g, n) => extremeGrad(g, n as GradNode<"max" | "min">) },
  min: { save: "both", vjp: (g, n) => extremeGrad(g, n as GradNode<"max" | "min">) },
  matmul: {
    save: "inputs",
    // dA = g Bᵀ and dB = Aᵀ g, each in its input's layout (see transposedLayout); a broadcast
    // first operand (a convolution's weight) gets one batch-reducing product (broadcastMatmulGrad).
    vjp: (g, n) => {
      const broadcast = broadcastMatmulGrad(g, n);
      if (broadcast) return broadcast;
      const a = n.input(0);
      const b = n.input(1);
      const gT = (): Tensor => o.transpose(g, 1, 2);
      return [
        need(n, 0) ? (transposedLayout(a) ? o.transpose(o.bmm(b, gT()), 1, 2) : o.bmm(g, o.transpose(b, 1, 2))) : null,
        need(n, 1) ? (transposedLayout(b) ? o.transpose(o.bmm(gT(), a), 1, 2) : o.bmm(o.transpose(a, 1, 2), g)) : null,
      ];
    },
  },
  matmulSumBatch: {
    save: "inputs",
    vjp: (g, n) => {
      const a = n.input(0);
      const b = n.input(1);
      const B = a.shape[0]!;
      const gb = o.expand(g, [B, g.shape[1]!, g.shape[2]!]);
      return [need(n, 0) ? o.bmm(gb, o.transpose(b, 1, 2)) : null, need(n, 1) ? o.bmm(o.transpose(a, 1, 2), gb) : null];
    },
  },
  gather: {
    save: "inputs",
    vjp: (g, n) => [o.scatterAdd(n.inputMeta[0]!.shape, n.params.dim, n.input(1), g), null],
  },
  scatterAdd: { save: "inputs", vjp: (g, n) => [null, o.gather(g, n.params.dim, n.input(0))] },
  indexSelect: {
    save: "inputs",
    vjp: (g, n) => [o.indexAdd(n.inputMeta[0]!.shape, n.params.dim, n.input(1), g), null],
  },
  indexAdd: { save: "inputs", vjp: (g, n) => [null, o.indexSelect(g, n.params.dim, n.input(0))] },
  cat: {
    save: "none",
    vjp: (g, n) => {
      let start = 0;
      return n.inputMeta.map((m) => {
        const len = m.shape[n.params.dim]!;
        const piece = o.narrow(g, n.params.dim, start, len);
        start += len;
        return m.requiresGrad ? piece : null;
      });
    },
  },
  pad: {
    save: "none",
    vjp: (g, n) => {
      const { before } = n.params;
      const shape = n.inputMeta[0]!.shape;
      return [o.slice(g, before, before.map((b, i) => b + shape[i]!))];
    },
  },
  im2col: {
    save: "none",
    vjp: (g, n) => [o.col2im(g, n.params.geometry, n.inputMeta[0]!.shape as [number, number, number, number])],
  },
  col2im: { save: "none", vjp: (g, n) => [o.im2col(g, n.params.geometry, 0)] },
  // The three are bilinear, and each one's adjoints are the other two (so every order differentiates).
  convolution: {
    save: "inputs",
    vjp: (g, n) => [
      need(n, 0) ? o.convolutionInputGrad(g, n.input(1), n.params.geometry, n.inputMeta[0]!.shape as [number, number, number, number]) : null,
      need(n, 1) ? o.convolutionWeightGrad(g, n.input(0), n.params.geometry) : null,
      n.inputMeta.length > 2 && need(n, 2) ? o.sum(g, [0, 2]) : null,
    ],
  },
  convolutionInputGrad: {
    save: "inputs",
    vjp: (h, n) => [
      need(n, 0) ? o.convolution(h, n.input(1), n.params.geometry) : null,
      need(n, 1) ? o.convolutionWeightGrad(n.input(0), h, n.params.geometry) : null,
    ],
  },
  convolutionWeightGrad: {
    save: "inputs",
    vjp: (h, n) => [
      need(n, 0) ? o.convolution(n.input(1), h, n.params.geometry) : null,
      need(n, 1) ? o.convolutionInputGrad(n.input(0), h, n.params.geometry, n.inputMeta[1]!.shape as [number, number, number, number]) : null,
    ],
  },
  maxPool2dValues: { save: "inputs", vjp: (g, n) => [o.maxPool2dBackward(n.input(0), g, n.params.geometry, n.params.outSize)] },
  maxPool2dBackward: {
    save: "inputs",
    // Linear in the gradient: its adjoint reads gg at each window's argmax. Piecewise constant in x.
    vjp: (gg, n) => {
      const x = n.input(0);
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const { geometry, outSize } = n.params;
      const idx = o.reshape(o.maxPool2dIndices(x, geometry, outSize), [N, C, outSize[0] * outSize[1]]);
      return [null, o.reshape(o.gather(o.reshape(gg, [N, C, H * W]), 2, idx), [N, C, ...outSize])];
    },
  },
};
