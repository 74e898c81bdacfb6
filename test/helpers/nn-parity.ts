import assert from "node:assert/strict";
import * as nt from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { assertClose } from "./fixtures.js";

/**
 * Runs the layer cases recorded by tools/make_nn_fixtures.py: builds the neurite layer from the
 * PyTorch description (snake_case keyword names become camelCase options), loads PyTorch's
 * state_dict, and compares outputs, input gradients, parameter gradients and buffers.
 */

export interface FxTensor {
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  /** Non-finite values are written as the strings "Infinity", "-Infinity", "NaN". */
  values: (number | string)[];
}

export type FxInput = FxTensor | FxTensor[] | { ref: number };

export interface LayerCase {
  name: string;
  kind: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  extra?: Record<string, unknown>;
  mode: "train" | "eval";
  repeat: number;
  inputs: FxInput[];
  call_kwargs: Record<string, unknown>;
  outputs: FxTensor[];
  upstream: (FxTensor | null)[];
  input_grads: (FxTensor | null)[];
  state_dict?: Record<string, FxTensor>;
  param_grads?: Record<string, FxTensor | null>;
  buffers_after?: Record<string, FxTensor>;
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function isFxTensor(v: unknown): v is FxTensor {
  return typeof v === "object" && v !== null && "shape" in v && "values" in v;
}

export function fxTensor(f: FxTensor, requiresGrad = false): Tensor {
  const dtype = f.dtype === "bool" ? "bool" : f.dtype === "int32" ? "int32" : "float32";
  return nt.tensor(fxValues(f), { shape: f.shape, dtype, requiresGrad: requiresGrad && dtype === "float32" });
}

/** Keyword arguments with camelCase names; fixture tensors become tensors. */
export function camelOptions(kw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) out[camel(k)] = isFxTensor(v) ? fxTensor(v) : v;
  return out;
}

export const fxValues = (f: FxTensor): number[] => f.values.map(Number);

type Ctor = new (...a: unknown[]) => nt.nn.Module;

export function buildModule(c: LayerCase): nt.nn.Module {
  const nn = nt.nn as unknown as Record<string, Ctor>;
  const opts = camelOptions(c.kwargs);
  if (c.kind === "TransformerEncoder" || c.kind === "TransformerDecoder") {
    const [d, h, n] = c.args as [number, number, number];
    const Layer = c.kind === "TransformerEncoder" ? nt.nn.TransformerEncoderLayer : nt.nn.TransformerDecoderLayer;
    const norm = c.extra?.norm ? new nt.nn.LayerNorm(d) : null;
    return new nn[c.kind]!(new Layer(d, h, opts), n, { norm });
  }
  const Cls = nn[c.kind];
  assert.ok(Cls, `nt.nn.${c.kind} does not exist`);
  return new Cls(...c.args, opts);
}

type Fn = (xs: Tensor[], args: unknown[], opts: Record<string, unknown>) => Tensor | Tensor[];
const F = nt.F as unknown as Record<string, (...a: unknown[]) => Tensor>;

/** neurite's side of the functional cases (PyTorch name -> call). */
export const FUNCTIONAL: Record<string, Fn> = {
  "F.interpolate": ([x], _a, o) => nt.F.interpolate(x!, o),
  "F.pad": ([x], [p], o) => nt.F.pad(x!, p as number[], o),
  "F.conv2d": ([x, w, b], _a, o) => nt.F.conv2d(x!, w!, b ?? null, o),
  "F.conv_transpose2d": ([x, w, b], _a, o) => nt.F.convTranspose2d(x!, w!, b ?? null, o),
  "F.scaled_dot_product_attention": ([q, k, v], _a, o) => nt.F.scaledDotProductAttention(q!, k!, v!, o),
};
void F;

function flatten(y: unknown): Tensor[] {
  if (y === null || y === undefined) return [];
  if (y instanceof nt.Tensor) return [y];
  if (Array.isArray(y)) return y.flatMap(flatten);
  throw new Error(`unexpected output ${String(y)}`);
}

/** Reads asynchronously, so the suites run on backends without synchronous reads (webgpu). */
async function compare(t: Tensor, f: FxTensor, what: string, tol: Tolerance): Promise<void> {
  assert.deepEqual([...t.shape], f.shape, `${what}: shape`);
  const values = await t.data();
  if (f.dtype !== "float32") {
    assert.deepEqual([...values], fxValues(f), `${what}: values`);
    return;
  }
  assertClose(values, fxValues(f), what, tol.rtol, tol.atol);
}

export interface CaseTolerances {
  forward?: Tolerance;
  grad?: Tolerance;
}

/** Runs one recorded case on the current backend; throws naming the case and the mismatch. */
export async function runLayerCase(c: LayerCase, tol: CaseTolerances = {}): Promise<void> {
  const fwdTol = tol.forward ?? { rtol: 1e-4, atol: 1e-5 };
  const gradTol = tol.grad ?? { rtol: 1e-4, atol: 1e-4 };
  const backend = nt.getBackend();
  const tag = (what: string) => `${c.name} ${what} on ${backend}`;
  let module: nt.nn.Module | null = null;
  try {
    await nt.tidy(async () => {
      const leaves: Tensor[] = [];
      const made: (Tensor | Tensor[])[] = [];
      const leaf = (f: FxTensor) => {
        const t = fxTensor(f, true);
        leaves.push(t);
        return t;
      };
      const inputs = c.inputs.map((inp) => {
        const v = "ref" in inp ? made[inp.ref]! : Array.isArray(inp) ? inp.map(leaf) : leaf(inp);
        made.push(v);
        return v;
      });
      const opts = camelOptions(c.call_kwargs);
      let out: unknown;
      if (c.kind.startsWith("F.")) {
        const fn = FUNCTIONAL[c.kind];
        assert.ok(fn, `no neurite functional for ${c.kind}`);
        out = fn(inputs as Tensor[], c.args, { ...camelOptions(c.kwargs), ...opts });
      } else {
        module = buildModule(c);
        const sd = new Map(Object.entries(c.state_dict ?? {}).map(([k, v]) => [k, fxTensor(v)]));
        module.loadStateDict(sd);
        module.train(c.mode === "train");
        const callArgs: unknown[] = Object.keys(opts).length ? [...inputs, opts] : inputs;
        for (let i = 0; i < c.repeat; i++) out = (module.forward as (...a: unknown[]) => unknown)(...callArgs);
      }
      const outs = flatten(out);
      assert.equal(outs.length, c.outputs.length, tag("number of outputs"));
      for (const [i, o] of outs.entries()) await compare(o, c.outputs[i]!, tag(`output ${i}`), fwdTol);
      let objective: Tensor | null = null;
      outs.forEach((o, i) => {
        const up = c.upstream[i];
        if (!up) return;
        const term = o.mul(fxTensor(up)).sum();
        objective = objective ? objective.add(term) : term;
      });
      if (objective) (objective as Tensor).backward();
      for (const [i, t] of leaves.entries()) {
        const g = c.input_grads[i];
        if (!g) continue;
        assert.ok(t.grad, tag(`input ${i} got no gradient`));
        await compare(t.grad, g, tag(`grad of input ${i}`), gradTol);
      }
      if (module) {
        const sd = module.stateDict();
        for (const [name, g] of Object.entries(c.param_grads ?? {})) {
          const p = sd.get(name);
          assert.ok(p, tag(`missing parameter ${name}`));
          if (!g) continue;
          assert.ok(p.grad, tag(`parameter ${name} got no gradient`));
          await compare(p.grad, g, tag(`grad of ${name}`), gradTol);
        }
        for (const [name, b] of Object.entries(c.buffers_after ?? {})) {
          const t = sd.get(name);
          assert.ok(t, tag(`missing buffer ${name}`));
          await compare(t, b, tag(`buffer ${name} after forward`), fwdTol);
        }
      }
    });
  } finally {
    (module as nt.nn.Module | null)?.dispose();
  }
}

/**
 * Like PyTorch's torch.func.functional_call: runs `fn` with the module's parameters replaced by
 * `params` (same names), so gradcheck can perturb parameters as plain inputs.
 */
export function withParameters<T>(module: nt.nn.Module, params: Map<string, Tensor>, fn: () => T): T {
  const saved: [Record<string, unknown>, string, unknown][] = [];
  for (const [prefix, m] of module.namedModules()) {
    const rec = m as unknown as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      const full = prefix ? `${prefix}.${key}` : key;
      const v = rec[key];
      if (v instanceof nt.Tensor && v.isParameter && params.has(full)) {
        saved.push([rec, key, v]);
        const p = params.get(full)!;
        p.isParameter = true;
        rec[key] = p;
      }
    }
  }
  try {
    return fn();
  } finally {
    for (const [rec, key, v] of saved) rec[key] = v;
  }
}

/** float64 copies of a module's parameters, by name. */
export function float64Parameters(module: nt.nn.Module): Map<string, Tensor> {
  return new Map(module.namedParameters().map(([n, p]) => [n, p.detach().astype("float64")]));
}
