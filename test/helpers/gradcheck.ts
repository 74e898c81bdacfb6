import * as nt from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

/**
 * Compares autograd's gradients of sum(f(x) * w) (w random) with central finite differences,
 * in float64. Throws naming the op, the input and the worst element.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], name: string, eps = 1e-6, atol = 1e-5, rtol = 1e-4): void {
  const gen = new nt.Generator(1234);
  const leaves = inputs.map((x) => (x.dtype === "float64" ? x.detach().requiresGrad_(true) : x));
  const out = f(...leaves);
  const w = nt.randn(out.shape, { dtype: "float64", generator: gen });
  const objective = (o: Tensor) => o.astype("float64").mul(w).sum();
  objective(out).backward();
  leaves.forEach((leaf, li) => {
    if (leaf.dtype !== "float64") return;
    const analytic = leaf.grad ? leaf.grad.dataSync() : new Float64Array(leaf.size);
    const base = Float64Array.from(leaf.dataSync());
    for (let i = 0; i < base.length; i++) {
      const evalAt = (v: number): number =>
        nt.noGrad(() =>
          nt.tidy(() => {
            const pert = Float64Array.from(base);
            pert[i] = v;
            const args = leaves.map((l, j) => (j === li ? nt.tensor(pert, { shape: l.shape, dtype: "float64" }) : l.detach()));
            return objective(f(...args)).itemSync();
          }),
        );
      const numeric = (evalAt(base[i]! + eps) - evalAt(base[i]! - eps)) / (2 * eps);
      const a = analytic[i]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`gradcheck ${name}: input ${li} element ${i}: autograd ${a} vs finite difference ${numeric}`);
      }
    }
  });
}
