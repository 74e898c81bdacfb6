import * as nt from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

/**
 * Double-backward check in float64: the gradient of s(x) = sum_k <d obj/d x_k, v_k>, where
 * obj = sum(f(x) * w), computed by differentiating the createGraph gradients, against central
 * finite differences of s (each s evaluated with an ordinary backward). w and v are random.
 * Throws naming the op, the input and the worst element.
 */
export function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], name: string, eps = 1e-5, atol = 1e-5, rtol = 1e-3): void {
  const gen = new nt.Generator(4321);
  const diff = inputs.map((x) => x.dtype === "float64");
  const base = inputs.map((x) => (x.dtype === "float64" ? Float64Array.from(x.dataSync()) : null));
  const leavesAt = (values: (Float64Array | null)[]) =>
    inputs.map((x, i) => (values[i] ? nt.tensor(values[i]!, { shape: x.shape, dtype: "float64", requiresGrad: true }) : x.detach()));
  const probe = nt.noGrad(() => f(...inputs.map((x) => x.detach())));
  const w = nt.randn(probe.shape, { dtype: "float64", generator: gen });
  const v = inputs.map((x) => nt.randn(x.shape, { dtype: "float64", generator: gen }));
  const diffIdx = diff.flatMap((d, i) => (d ? [i] : []));

  /** s(x) and, with createGraph, the leaves it was computed from. */
  const s = (values: (Float64Array | null)[], createGraph: boolean): { s: Tensor; leaves: Tensor[] } => {
    const leaves = leavesAt(values);
    const obj = f(...leaves).astype("float64").mul(w).sum();
    const firsts = nt.autograd.grad(obj, diffIdx.map((i) => leaves[i]!), { createGraph, allowUnused: true });
    let total: Tensor = nt.zeros([], { dtype: "float64" });
    firsts.forEach((g, k) => {
      if (g) total = total.add(g.mul(v[diffIdx[k]!]!).sum());
    });
    return { s: total, leaves };
  };

  const { s: s0, leaves } = s(base, true);
  const seconds = s0.requiresGrad ? nt.autograd.grad(s0, diffIdx.map((i) => leaves[i]!), { allowUnused: true }) : diffIdx.map(() => null);
  diffIdx.forEach((li, k) => {
    const analytic = seconds[k] ? seconds[k]!.dataSync() : new Float64Array(inputs[li]!.size);
    for (let e = 0; e < base[li]!.length; e++) {
      const at = (delta: number) =>
        nt.tidy(() => {
          const values = base.map((b) => (b ? Float64Array.from(b) : null));
          values[li]![e]! += delta;
          return s(values, false).s.itemSync();
        });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const a = analytic[e]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`gradgradcheck ${name}: input ${li} element ${e}: double backward ${a} vs finite difference ${numeric}`);
      }
    }
  });
}
