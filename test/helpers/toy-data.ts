import * as nt from "../../src/index.js";

/**
 * 40 seeded samples of 4 features, labelled by the sign of the first one: a tiny classification
 * set that a small MLP learns in a few steps (training-loop and checkpoint tests).
 */
export function signDataset(): nt.data.TensorDataset {
  const gen = new nt.Generator(5);
  const xs = new Float32Array(40 * 4).map(() => gen.normal());
  const ys = Int32Array.from({ length: 40 }, (_, i) => (xs[i * 4]! > 0 ? 1 : 0));
  return new nt.data.TensorDataset(nt.tensor(xs, { shape: [40, 4] }), nt.tensor(ys, { shape: [40], dtype: "int32" }));
}
