/**
 * The fused optimizer kernels, defined once: the layout of their constants and a reference
 * implementation (used by the cpu backend). wasm/src/optim.c and webgpu/wgsl/optim.ts compute
 * exactly the same float32 operations in the same order, so a fused step rounds like the
 * composed one it replaces (PyTorch 1.13's single-tensor Adam, AdamW, SGD and RMSprop).
 *
 * Every constant is a float32, as the scalar operands of the composed ops were; derived ones
 * (bias corrections, step sizes) are computed in float64 by optim/fused-step.ts first.
 */
import type { BackendBuffer, OptimizerKernel } from "./backend.js";

/**
 * Constant indices per kernel. Flags are 0 or 1. `sign` is -1 when maximizing (d = -grad).
 * adam    bufs [p, grad, expAvg, expAvgSq, maxExpAvgSq?]
 * sgd     bufs [p, grad, momentumBuffer?]; `init` copies d into the buffer (first step)
 * rmsprop bufs [p, grad, squareAvg, gradAvg?, momentumBuffer?] (in that order, those present)
 */
export const ADAM = { sign: 0, decay: 1, l2: 2, beta1: 3, oneMinusBeta1: 4, beta2: 5, oneMinusBeta2: 6, bc2Sqrt: 7, eps: 8, negStepSize: 9, amsgrad: 10 } as const;
export const SGD = { sign: 0, l2: 1, momentum: 2, oneMinusDampening: 3, nesterov: 4, negLr: 5, init: 6, hasMomentum: 7 } as const;
export const RMSPROP = { sign: 0, l2: 1, alpha: 2, oneMinusAlpha: 3, eps: 4, momentum: 5, negLr: 6, centered: 7, hasMomentum: 8 } as const;
/** Length of every constants array (the C and WGSL kernels read a fixed block). */
export const OPTIMIZER_CONSTANTS = 12;

/** Buffers each kernel expects, for the error message of a bad call. */
export function optimizerBufferCount(kernel: OptimizerKernel, c: Float32Array): number {
  switch (kernel) {
    case "adam": return 4 + c[ADAM.amsgrad]!;
    case "sgd": return 2 + c[SGD.hasMomentum]!;
    case "rmsprop": return 3 + c[RMSPROP.centered]! + c[RMSPROP.hasMomentum]!;
  }
}

const f = Math.fround;
/** PyTorch's maximum: NaN if either is NaN. */
const maxNaN = (a: number, b: number): number => (a !== a || b !== b ? NaN : a >= b ? a : b);

/** Runs a kernel over float32 arrays of equal length (the reference every backend matches). */
export function runOptimizerKernel(kernel: OptimizerKernel, a: readonly Float32Array[], c: Float32Array): void {
  switch (kernel) {
    case "adam": return adam(a, c);
    case "sgd": return sgd(a, c);
    case "rmsprop": return rmsprop(a, c);
  }
}

function adam([p, g, m, v, vmax]: readonly Float32Array[], c: Float32Array): void {
  const K = ADAM;
  const sign = c[K.sign]!, decay = c[K.decay]!, l2 = c[K.l2]!, b1 = c[K.beta1]!, omb1 = c[K.oneMinusBeta1]!;
  const b2 = c[K.beta2]!, omb2 = c[K.oneMinusBeta2]!, bc2 = c[K.bc2Sqrt]!, eps = c[K.eps]!, negStep = c[K.negStepSize]!;
  const ams = c[K.amsgrad] === 1;
  for (let i = 0; i < p!.length; i++) {
    let d = f(g![i]! * sign);
    const pi = f(p![i]! * decay);
    if (l2 !== 0) d = f(d + f(pi * l2));
    const mi = f(f(m![i]! * b1) + f(d * omb1));
    const vi = f(f(v![i]! * b2) + f(f(d * omb2) * d));
    m![i] = mi;
    v![i] = vi;
    let second = vi;
    if (ams) second = vmax![i] = maxNaN(vmax![i]!, vi);
    const denom = f(f(f(Math.sqrt(second)) / bc2) + eps);
    p![i] = f(pi + f(f(mi * negStep) / denom));
  }
}

function sgd([p, g, buf]: readonly Float32Array[], c: Float32Array): void {
  const K = SGD;
  const sign = c[K.sign]!, l2 = c[K.l2]!, mom = c[K.momentum]!, omd = c[K.oneMinusDampening]!, negLr = c[K.negLr]!;
  const nesterov = c[K.nesterov] === 1, init = c[K.init] === 1, hasMom = c[K.hasMomentum] === 1;
  for (let i = 0; i < p!.length; i++) {
    let d = f(g![i]! * sign);
    const pi = p![i]!;
    if (l2 !== 0) d = f(d + f(pi * l2));
    if (hasMom) {
      const b = init ? d : f(f(buf![i]! * mom) + f(d * omd));
      buf![i] = b;
      d = nesterov ? f(d + f(b * mom)) : b;
    }
    p![i] = f(pi + f(d * negLr));
  }
}

function rmsprop(a: readonly Float32Array[], c: Float32Array): void {
  const K = RMSPROP;
  const sign = c[K.sign]!, l2 = c[K.l2]!, alpha = c[K.alpha]!, oma = c[K.oneMinusAlpha]!, eps = c[K.eps]!;
  const mom = c[K.momentum]!, negLr = c[K.negLr]!;
  const centered = c[K.centered] === 1, hasMom = c[K.hasMomentum] === 1;
  const [p, g, sq] = a;
  const ga = centered ? a[3] : undefined;
  const buf = hasMom ? a[centered ? 4 : 3] : undefined;
  for (let i = 0; i < p!.length; i++) {
    let d = f(g![i]! * sign);
    const pi = p![i]!;
    if (l2 !== 0) d = f(d + f(pi * l2));
    const s = f(f(sq![i]! * alpha) + f(f(d * oma) * d));
    sq![i] = s;
    let avg: number;
    if (ga) {
      const gi = f(f(ga[i]! * alpha) + f(d * oma));
      ga[i] = gi;
      avg = f(Math.sqrt(f(s + f(-gi * gi))));
    } else {
      avg = f(Math.sqrt(s));
    }
    avg = f(avg + eps);
    if (buf) {
      const b = f(f(buf[i]! * mom) + f(d / avg));
      buf[i] = b;
      p![i] = f(pi + f(b * negLr));
    } else {
      p![i] = f(pi + f(f(d * negLr) / avg));
    }
  }
}

/** Throws a clear error when a backend is called with the wrong buffers for `kernel`. */
export function checkOptimizerBuffers(backend: string, kernel: OptimizerKernel, bufs: readonly BackendBuffer[], c: Float32Array): void {
  const where = `${backend} backend: optimizerStep(${kernel})`;
  if (c.length !== OPTIMIZER_CONSTANTS) throw new RangeError(`${where}: expected ${OPTIMIZER_CONSTANTS} constants, got ${c.length}`);
  const want = optimizerBufferCount(kernel, c);
  if (bufs.length !== want) throw new RangeError(`${where}: expected ${want} buffers (parameter, gradient, state), got ${bufs.length}`);
  const n = bufs[0]!.size;
  bufs.forEach((b, i) => {
    if (b.dtype !== "float32") throw new TypeError(`${where}: buffer ${i} is ${b.dtype}, expected float32`);
    if (b.size !== n) throw new RangeError(`${where}: buffer ${i} has ${b.size} elements, the parameter has ${n}`);
  });
}
