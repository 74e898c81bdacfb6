/**
 * Optimizers, gradient clipping and lr schedulers against PyTorch 1.13 (fixtures written by
 * tools/make_optim_fixtures.py), plus state-dict round trips, memory and error messages.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nt from "../src/index.js";
import * as optim from "../src/optim/index.js";
import type { Optimizer, OptimizerStateDict, StateValue } from "../src/optim/index.js";
import type { Tensor } from "../src/index.js";

const S = optim.lrScheduler;
const FIXTURES = new URL("./fixtures/optim/", import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;

type Options = Record<string, unknown>;

interface OptimizerCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop";
  options: Options;
  groups: Array<{ params: number[] } & Options> | null;
  mode: "grads" | "loss";
  shapes: number[][];
  init: number[][];
  grads: Array<Array<number[] | null>> | null;
  expected: number[][][];
  stateDict: { state: Record<string, Record<string, number[] | number | null>>; param_groups: Array<Record<string, unknown>> };
}

interface SchedulerSpec {
  scheduler: string;
  options: Options;
}

interface SchedulerCase extends SchedulerSpec {
  name: string;
  optimizer: "SGD" | "Adam" | "RMSprop";
  optimizerOptions: Options;
  groupLrs: number[];
  metrics: number[] | null;
  lrs: number[][];
  momentum: number[][];
  stateKeys: string[];
}

interface ClipFixture {
  shapes: number[][];
  grads: number[][];
  hasGrad: boolean[];
  norm: Array<{ maxNorm: number; normType: number | "inf"; totalNorm: number; clipped: Array<number[] | null> }>;
  value: Array<{ clipValue: number; clipped: Array<number[] | null> }>;
}

const optimizerCases = load<{ cases: OptimizerCase[] }>("optimizers.json").cases;
const schedulerCases = load<{ cases: SchedulerCase[] }>("schedulers.json").cases;
const clipFixture = load<ClipFixture>("clip_grad.json");

// ---------- helpers ----------

const f32 = (values: readonly number[], shape: readonly number[], requiresGrad = false): Tensor =>
  nt.tensor(Float32Array.from(values), { shape, requiresGrad });

/** max |a - e| / max(|e|, floor): the relative error, measured absolutely below `floor`. */
function maxRelErr(actual: ArrayLike<number>, expected: readonly number[], floor: number): number {
  assert.equal(actual.length, expected.length, "length");
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(Math.abs(e), floor));
  }
  return worst;
}

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string, floor = 1e-6): void {
  const err = maxRelErr(actual, expected, floor);
  assert.ok(err <= tol, `${what}: max relative error ${err.toExponential(2)} > ${tol}`);
}

function makeOptimizer(kind: OptimizerCase["optimizer"], params: Tensor[] | Array<{ params: Tensor[] } & Options>, options: Options): Optimizer {
  const ctor = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop }[kind] as unknown as new (p: unknown, o: Options) => Optimizer;
  return new ctor(params, options);
}

function buildCase(c: OptimizerCase, init: number[][] = c.init): { params: Tensor[]; opt: Optimizer } {
  const params = init.map((v, i) => f32(v, c.shapes[i]!, true));
  const groups = c.groups?.map(({ params: idx, ...rest }) => ({ ...rest, params: idx.map((i) => params[i]!) }));
  return { params, opt: makeOptimizer(c.optimizer, groups ?? params, c.options) };
}

/** The loss of tools/make_optim_fixtures.py, written with neurite ops. */
function fixtureLoss([p0, p1, p2]: Tensor[]): Tensor {
  return p0!.sub(0.5).square().sum().add(p1!.mul(p1!).mul(0.3).sum()).add(p0!.matmul(p1!).tanh().sum()).add(p2!.mul(p2!).sum().mul(2));
}

/** Sets the gradients of step k (from the fixture, or by backpropagating the loss). */
function setGrads(c: OptimizerCase, k: number, params: Tensor[], opt: Optimizer): void {
  if (c.mode === "loss") {
    opt.zeroGrad();
    nt.tidy(() => fixtureLoss(params).backward());
    return;
  }
  params.forEach((p, i) => {
    p.grad?.dispose();
    const g = c.grads![k]![i];
    p.grad = g ? f32(g, p.shape).keep() : null;
  });
}

function runSteps(c: OptimizerCase, params: Tensor[], opt: Optimizer, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    setGrads(c, k, params, opt);
    opt.step();
  }
}

const snapshot = (params: Tensor[]): Float32Array[] => params.map((p) => Float32Array.from(p.dataSync()));

function disposeAll(params: Tensor[], opt: Optimizer): void {
  opt.dispose();
  for (const p of params) p.dispose();
}

/** What a checkpoint writer would do: tensors to arrays, the rest through JSON. */
function throughJson(sd: OptimizerStateDict): OptimizerStateDict {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [i, entry] of Object.entries(sd.state)) {
    state[i] = Object.fromEntries(
      Object.entries(entry).map(([k, v]) => [k, v instanceof nt.Tensor ? { shape: v.shape, data: Array.from(v.dataSync()) } : v]),
    );
  }
  nt.dispose(sd.state);
  const parsed = JSON.parse(JSON.stringify({ state, param_groups: sd.param_groups })) as { state: Record<string, Record<string, unknown>>; param_groups: OptimizerStateDict["param_groups"] };
  const back: OptimizerStateDict["state"] = {};
  for (const [i, entry] of Object.entries(parsed.state)) {
    back[i] = Object.fromEntries(
      Object.entries(entry).map(([k, v]) => {
        const packed = v as { shape?: number[]; data?: number[] } | number | null;
        const value: StateValue = packed !== null && typeof packed === "object" ? f32(packed.data!, packed.shape!) : packed;
        return [k, value];
      }),
    );
  }
  return { state: back, param_groups: parsed.param_groups };
}

// ---------- optimizers ----------

describe("optimizers match PyTorch 1.13 (float32, max rel err 1e-5)", () => {
  for (const c of optimizerCases) {
    test(c.name, () => {
      const { params, opt } = buildCase(c);
      for (let k = 0; k < c.expected.length; k++) {
        setGrads(c, k, params, opt);
        opt.step();
        params.forEach((p, i) => assertClose(p.dataSync(), c.expected[k]![i]!, 1e-5, `${c.name} step ${k + 1} param ${i}`));
      }

      // The state dict has PyTorch's layout, keys and values.
      const sd = opt.stateDict();
      assert.deepEqual(Object.keys(sd.state).sort(), Object.keys(c.stateDict.state).sort(), "state indices");
      for (const [i, entry] of Object.entries(c.stateDict.state)) {
        const ours = sd.state[i]!;
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(entry).sort(), `state keys of parameter ${i}`);
        for (const [key, v] of Object.entries(entry)) {
          const mine = ours[key];
          // Moment buffers can be small differences of large terms. PyTorch's CPU kernels fuse
          // a + alpha * b into one rounding (FMA) where neurite rounds twice, so near zero the
          // buffers are compared absolutely (to 1e-7, i.e. relative to 1e-2).
          if (Array.isArray(v)) assertClose((mine as Tensor).dataSync(), v, 1e-5, `state ${i}.${key}`, 1e-2);
          else assert.equal(mine, v, `state ${i}.${key}`);
        }
      }
      sd.param_groups.forEach((g, gi) => {
        const theirs = c.stateDict.param_groups[gi]!;
        for (const [key, v] of Object.entries(g)) {
          assert.ok(key in theirs, `param_groups[${gi}] key '${key}' is not one of PyTorch's`);
          assert.deepEqual(v, theirs[key], `param_groups[${gi}].${key}`);
        }
      });
      nt.dispose(sd.state);
      disposeAll(params, opt);
    });
  }
});

describe("optimizer state dict", () => {
  const kinds = ["sgd_nesterov_wd_maximize", "adam_wd_amsgrad", "adamw_loss", "rmsprop_centered_momentum_maximize", "sgd_groups", "adam_missing_grads"];
  for (const name of kinds) {
    test(`${name}: save after 3 steps, load into a fresh optimizer, continue = uninterrupted run (bit-identical)`, () => {
      const c = optimizerCases.find((x) => x.name === name)!;
      const full = buildCase(c);
      runSteps(c, full.params, full.opt, 0, 3);
      const saved = full.opt.stateDict();
      const paramsAt3 = snapshot(full.params);
      runSteps(c, full.params, full.opt, 3, 6);
      const expected = snapshot(full.params);

      const resumed = buildCase(c, paramsAt3.map((a) => Array.from(a)));
      resumed.opt.loadStateDict(throughJson(saved));
      runSteps(c, resumed.params, resumed.opt, 3, 6);
      assert.deepEqual(snapshot(resumed.params), expected);
      disposeAll(full.params, full.opt);
      disposeAll(resumed.params, resumed.opt);
    });
  }

  test("loadStateDict restores group hyper-parameters and rejects mismatched layouts", () => {
    const a = f32([1, 2], [2], true);
    const b = f32([3], [1], true);
    const opt = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    const sd = opt.stateDict();
    assert.deepEqual(sd.param_groups[1], { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, params: [1] });
    opt.paramGroups[1]!.lr = 0.01;
    opt.loadStateDict(sd);
    assert.equal(opt.paramGroups[1]!.lr, 0.5);
    assert.equal(opt.paramGroups[1]!.params[0], b);

    const one = new optim.Adam([a, b]);
    assert.throws(() => one.loadStateDict(sd), /Adam\.loadStateDict: the state dict has 2 parameter groups, the optimizer has 1/);
    a.grad = f32([1, 1], [2]).keep();
    opt.step();
    const withState = opt.stateDict();
    const wrong = new optim.Adam([{ params: [b] }, { params: [a] }]);
    assert.throws(() => wrong.loadStateDict(withState), /'exp_avg' has shape \[2\], the parameter has shape \[1\]/);
    nt.dispose(withState.state);
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});

describe("optimizer behaviour", () => {
  test("step() leaves the number of live tensors unchanged once state exists", () => {
    for (const c of optimizerCases.filter((x) => ["sgd_momentum_dampening_wd", "adam_wd_amsgrad", "adamw_amsgrad_wd", "rmsprop_centered_momentum_maximize", "sgd_loss"].includes(x.name))) {
      const { params, opt } = buildCase(c);
      const counts: number[] = [];
      for (let k = 0; k < 5; k++) {
        setGrads(c, k, params, opt);
        opt.step();
        opt.zeroGrad();
        counts.push(nt.memory().numTensors);
      }
      assert.deepEqual(counts.slice(1), [counts[0], counts[0], counts[0], counts[0]], `${c.name}: live tensors after each step ${counts.join(", ")}`);
      const before = nt.memory().numTensors;
      opt.dispose();
      assert.ok(nt.memory().numTensors < before, `${c.name}: dispose() frees the state`);
      for (const p of params) p.dispose();
    }
  });

  test("zeroGrad sets gradients to null (disposing them) or to zeros", () => {
    const p = f32([1, 2, 3], [3], true);
    const q = f32([4], [1], true);
    const opt = new optim.SGD([p, q], { lr: 0.1 });
    nt.tidy(() => p.mul(q).sum().backward());
    const g = p.grad!;
    opt.zeroGrad({ setToNone: false });
    assert.equal(p.grad, g, "same tensor, zeroed in place");
    assert.deepEqual(Array.from(p.grad!.dataSync()), [0, 0, 0]);
    const before = nt.memory().numTensors;
    opt.zeroGrad();
    assert.equal(p.grad, null);
    assert.equal(q.grad, null);
    assert.ok(g.isDisposed);
    assert.equal(nt.memory().numTensors, before - 2);
    p.dispose();
    q.dispose();
  });

  test("parameters without a gradient are skipped; per-group hyper-parameters apply; addParamGroup", () => {
    const a = f32([1, 1], [2], true);
    const b = f32([1], [1], true);
    const opt = new optim.SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: b, lr: 1 });
    assert.equal(opt.paramGroups[1]!.momentum, 0, "defaults fill the new group");
    b.grad = f32([2], [1]).keep();
    opt.step();
    assert.deepEqual(Array.from(a.dataSync()), [1, 1]);
    assert.deepEqual(Array.from(b.dataSync()), [-1]);
    a.grad = f32([1, 1], [2]).keep();
    opt.step();
    assert.deepEqual(Array.from(a.dataSync()), [0.8999999761581421, 0.8999999761581421]);
    assert.equal(opt.stepCount, 2);
    a.dispose();
    b.dispose();
  });

  test("step(closure) re-evaluates the loss with gradients on and returns it", () => {
    const p = f32([3], [1], true);
    const opt = new optim.SGD([p], { lr: 0.25 });
    const loss = nt.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = p.square().sum();
        l.backward();
        return l.itemSync();
      }),
    );
    assert.equal(loss, 9);
    assert.deepEqual(Array.from(p.dataSync()), [1.5]);
    p.dispose();
  });

  test("clear errors", () => {
    const p = f32([1], [1], true);
    const frozen = f32([1], [1]);
    assert.throws(() => new optim.SGD([p], { lr: -1 }), /^RangeError: SGD: invalid learning rate -1 in parameter group 0/);
    assert.throws(() => new optim.Adam([p], { lr: -0.5 }), /Adam: invalid learning rate -0\.5/);
    assert.throws(() => new optim.Adam([p], { betas: [1, 0.9] }), /Adam: invalid beta1 \(betas\[0\]\) 1 in parameter group 0 \(must be in \[0, 1\)\)/);
    assert.throws(() => new optim.AdamW([p], { eps: -1 }), /AdamW: invalid epsilon value -1/);
    assert.throws(() => new optim.RMSprop([p], { alpha: -0.1 }), /RMSprop: invalid alpha -0\.1/);
    assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /SGD: Nesterov momentum requires momentum > 0 and dampening 0/);
    assert.throws(() => new optim.SGD([p], {}), /SGD: parameter group 0 does not set lr/);
    assert.throws(() => new optim.SGD([{ params: [p], lr: -2 }], { lr: 0.1 }), /SGD: invalid learning rate -2 in parameter group 0/);
    assert.doesNotThrow(() => new optim.SGD([frozen], { lr: 0.1 }), "frozen parameters are accepted and skipped, as in PyTorch");
    const nonLeaf = p.mul(2);
    assert.throws(() => new optim.Adam([nonLeaf]), /Adam: can't optimize a non-leaf tensor/);
    assert.throws(() => new optim.Adam([]), /Adam: got an empty parameter list/);
    assert.throws(() => new optim.Adam(p as unknown as Tensor[]), /Adam: params must be an array .* got a single Tensor/);
    assert.throws(() => new optim.SGD([p, p], { lr: 0.1 }), /appears twice/);
    assert.throws(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /already belongs to another parameter group/);
    assert.throws(() => new optim.Adam([p], { weight_decay: 0.1 } as unknown as object), /Adam: unknown option 'weight_decay' \(known options: lr, betas, eps, weightDecay, amsgrad, maximize\)/);
    const opt = new optim.SGD([p], { lr: 0.1 });
    p.grad = f32([1, 2], [2]).keep();
    assert.throws(() => opt.step(), /SGD\.step: gradient of shape \[2\] does not match parameter 0 of parameter group 0 \(shape \[1\]\)/);
    nonLeaf.dispose();
    p.dispose();
    frozen.dispose();
  });
});

// ---------- gradient clipping ----------

describe("clipGradNorm_ / clipGradValue_ match PyTorch", () => {
  const makeParams = (): Tensor[] =>
    clipFixture.shapes.map((s, i) => {
      const p = nt.zeros(s, { requiresGrad: true });
      if (clipFixture.hasGrad[i]) p.grad = f32(clipFixture.grads[i]!, s).keep();
      return p;
    });
  for (const c of clipFixture.norm) {
    test(`clipGradNorm_ maxNorm ${c.maxNorm}, normType ${c.normType}`, () => {
      const params = makeParams();
      const before = nt.memory().numTensors;
      const total = optim.clipGradNorm_(params, c.maxNorm, c.normType === "inf" ? Infinity : c.normType);
      assert.deepEqual(total.shape, []);
      assertClose(total.dataSync(), [c.totalNorm], 1e-5, "total norm");
      params.forEach((p, i) => {
        const want = c.clipped[i];
        if (want) assertClose(p.grad!.dataSync(), want, 1e-5, `grad ${i}`);
        else assert.equal(p.grad, null);
      });
      total.dispose();
      assert.equal(nt.memory().numTensors, before, "no tensors leaked");
      for (const p of params) p.dispose();
    });
  }
  for (const c of clipFixture.value) {
    test(`clipGradValue_ ${c.clipValue}`, () => {
      const params = makeParams();
      optim.clipGradValue_(params, c.clipValue);
      params.forEach((p, i) => {
        const want = c.clipped[i];
        if (want) assertClose(p.grad!.dataSync(), want, 0, `grad ${i}`);
      });
      for (const p of params) p.dispose();
    });
  }
  test("no gradients gives a zero norm; a single tensor is accepted; errorIfNonfinite", () => {
    const p = nt.zeros([2], { requiresGrad: true });
    const none = optim.clipGradNorm_([p], 1);
    assert.equal(none.itemSync(), 0);
    p.grad = f32([3, 4], [2]).keep();
    const total = optim.clipGradNorm_(p, 1);
    assert.equal(total.itemSync(), 5);
    p.grad.dispose();
    p.grad = f32([Infinity, 1], [2]).keep();
    assert.throws(() => optim.clipGradNorm_(p, 1, 2, { errorIfNonfinite: true }), /clipGradNorm_: the total norm of order 2 of the gradients is Infinity/);
    for (const t of [none, total, p]) t.dispose();
  });
});

// ---------- schedulers ----------

type AnyScheduler = optim.lrScheduler.LRScheduler | optim.lrScheduler.ReduceLROnPlateau;

const LAMBDAS: Record<string, optim.lrScheduler.LrLambda> = {
  inverse: (epoch) => 1 / (1 + epoch),
  warmup5: (epoch) => Math.min(1, (epoch + 1) / 5),
  decay095: () => 0.95,
};

function buildScheduler(opt: Optimizer, spec: SchedulerSpec): AnyScheduler {
  const o = spec.options;
  switch (spec.scheduler) {
    case "SequentialLR": {
      const subs = (o.schedulers as SchedulerSpec[]).map((s) => buildScheduler(opt, s) as optim.lrScheduler.LRScheduler);
      return new S.SequentialLR(opt, { ...o, schedulers: subs } as optim.lrScheduler.SequentialLROptions);
    }
    case "ChainedScheduler":
      return new S.ChainedScheduler((o.schedulers as SchedulerSpec[]).map((s) => buildScheduler(opt, s) as optim.lrScheduler.LRScheduler));
    case "LambdaLR":
    case "MultiplicativeLR": {
      const names = o.lrLambda as string | string[];
      const lrLambda = Array.isArray(names) ? names.map((n) => LAMBDAS[n]!) : LAMBDAS[names]!;
      return new S[spec.scheduler](opt, { ...o, lrLambda });
    }
    default: {
      const ctor = (S as unknown as Record<string, new (opt: Optimizer, options: Options) => AnyScheduler>)[spec.scheduler];
      assert.ok(ctor, `unknown scheduler ${spec.scheduler}`);
      return new ctor(opt, o);
    }
  }
}

function schedulerSetup(c: SchedulerCase): { params: Tensor[]; opt: Optimizer; sched: AnyScheduler } {
  const params = c.groupLrs.map(() => nt.zeros([2], { requiresGrad: true }));
  const opt = makeOptimizer(c.optimizer, params.map((p, i) => ({ params: [p], lr: c.groupLrs[i]! })), c.optimizerOptions);
  return { params, opt, sched: buildScheduler(opt, c) };
}

function momentumOf(opt: Optimizer): number[] {
  return opt.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : (g.momentum as number)));
}

function advance(c: SchedulerCase, opt: Optimizer, sched: AnyScheduler, k: number): void {
  opt.step();
  if (sched instanceof S.ReduceLROnPlateau) sched.step(c.metrics![k]!);
  else sched.step();
}

describe("lr schedulers match PyTorch 1.13 step for step", () => {
  for (const c of schedulerCases) {
    test(c.name, () => {
      const { params, opt, sched } = schedulerSetup(c);
      const steps = c.lrs.length - 1;
      const check = (k: number): void => {
        assertClose(sched.getLastLr(), c.lrs[k]!, 1e-12, `${c.name}: lr after ${k} steps`);
        assertClose(opt.paramGroups.map((g) => g.lr), c.lrs[k]!, 1e-12, `${c.name}: group lr after ${k} steps`);
        assertClose(momentumOf(opt), c.momentum[k]!, 1e-12, `${c.name}: momentum after ${k} steps`);
      };
      check(0);
      for (let k = 0; k < steps; k++) {
        advance(c, opt, sched, k);
        check(k + 1);
      }
      for (const p of params) p.dispose();
    });
  }

  test("state dict keys are PyTorch's (simple schedulers)", () => {
    for (const c of schedulerCases.filter((x) => /^(step|multistep|exponential|cosine|linear_warmup|constant|polynomial|plateau_min)$/.test(x.name))) {
      const { params, sched } = schedulerSetup(c);
      for (const key of Object.keys(sched.stateDict())) assert.ok(c.stateKeys.includes(key), `${c.name}: key '${key}' is not one of PyTorch's ${c.stateKeys.join(", ")}`);
      for (const p of params) p.dispose();
    }
  });

  test("save after 10 steps (optimizer + scheduler, through JSON), resume in fresh objects, continue = PyTorch", () => {
    for (const c of schedulerCases) {
      const a = schedulerSetup(c);
      for (let k = 0; k < 10; k++) advance(c, a.opt, a.sched, k);
      const optState = JSON.parse(JSON.stringify(a.opt.stateDict())) as OptimizerStateDict;
      const schedState = JSON.parse(JSON.stringify(a.sched.stateDict())) as optim.lrScheduler.SchedulerStateDict;
      const b = schedulerSetup(c);
      b.opt.loadStateDict(optState);
      b.sched.loadStateDict(schedState);
      for (let k = 10; k < c.lrs.length - 1; k++) {
        advance(c, b.opt, b.sched, k);
        assertClose(b.sched.getLastLr(), c.lrs[k + 1]!, 1e-12, `${c.name}: resumed lr after ${k + 1} steps`);
        assertClose(momentumOf(b.opt), c.momentum[k + 1]!, 1e-12, `${c.name}: resumed momentum after ${k + 1} steps`);
      }
      for (const p of [...a.params, ...b.params]) p.dispose();
    }
  });

  test("scheduler errors", () => {
    const p = nt.zeros([1], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    assert.throws(() => new S.StepLR(opt, { stepSize: 0 }), /StepLR: stepSize must be a positive integer, got 0/);
    assert.throws(() => new S.StepLR(opt, { step_size: 3 } as unknown as optim.lrScheduler.StepLROptions), /StepLR: unknown option 'step_size'/);
    assert.throws(() => new S.LinearLR(opt, { startFactor: 2 }), /LinearLR: startFactor must be between 0 and 1, got 2/);
    assert.throws(() => new S.OneCycleLR(opt, { maxLr: 1 }), /OneCycleLR: give either totalSteps or both epochs and stepsPerEpoch/);
    assert.throws(() => new S.CosineAnnealingLR({} as Optimizer, { tMax: 3 }), /CosineAnnealingLR: expected an Optimizer/);
    const q = nt.zeros([1], { requiresGrad: true });
    const other = new optim.SGD([q], { lr: 0.1 });
    assert.throws(() => new S.SequentialLR(opt, { schedulers: [new S.ExponentialLR(other, { gamma: 0.9 })], milestones: [] }), /SequentialLR: schedulers\[0\] belongs to a different optimizer/);
    const one = new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 2 });
    opt.step();
    one.step();
    one.step();
    assert.throws(() => one.step(), /OneCycleLR: tried to step 4 times; the schedule has totalSteps = 2/);
    p.dispose();
    q.dispose();
  });
});
