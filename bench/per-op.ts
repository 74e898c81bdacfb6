// Per-op cost: the frontend cost of one tiny op (dispatch, allocation, refcount, autograd record)
// and elementwise kernels on mid-size tensors, on the cpu and wasm backends, against PyTorch 1.13
// measured in the same run (interleaved case by case).
//
//   node --import tsx bench/per-op.ts                        # this tree vs PyTorch, 5 rounds
//   node --import tsx bench/per-op.ts --baseline /tmp/base   # also an older tree (e.g. `git archive`
//                                                            # of main at b6a773a), in this process
//   node --import tsx bench/per-op.ts --ab /tmp/base --processes 4 --rounds 2
//                                                            # this tree and /tmp/base in alternating
//                                                            # processes (cleaner: no shared GC heap)
//   node --import tsx bench/per-op.ts --rounds 3 --no-torch
//   node --cpu-prof --import tsx bench/per-op.ts --profile "add 1 element" --backend wasm
//
// Each value is the median over rounds (and, in a second table, the best round) of the per-round
// median of batches of ~10 ms (at least 20 ops); µs per op. A first warm-up round is not recorded.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { loadavg, cpus } from "node:os";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as NT from "../src/index.js";

type Neurite = typeof NT;
type Tensor = NT.Tensor;

interface Args {
  rounds: number;
  batches: number;
  baseline: string | null;
  torch: boolean;
  profile: string | null;
  backends: string[];
  /** The tree measured as "neurite" (default: the one holding this script) and its label. */
  root: string;
  label: string;
  /** Print the per-round values as one JSON line (for --ab). */
  json: boolean;
  /** Baseline tree measured in alternating processes. */
  ab: string | null;
  processes: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    rounds: 5,
    batches: 5,
    baseline: null,
    torch: true,
    profile: null,
    backends: ["cpu", "wasm"],
    root: resolve(import.meta.dirname, ".."),
    label: "neurite",
    json: false,
    ab: null,
    processes: 4,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`per-op: ${a} needs a value`);
      return v;
    };
    if (a === "--rounds") args.rounds = Number(value());
    else if (a === "--batches") args.batches = Number(value());
    else if (a === "--baseline") args.baseline = resolve(value());
    else if (a === "--no-torch") args.torch = false;
    else if (a === "--profile") args.profile = value();
    else if (a === "--backend") args.backends = value().split(",");
    else if (a === "--root") args.root = resolve(value());
    else if (a === "--label") args.label = value();
    else if (a === "--json") args.json = true;
    else if (a === "--ab") args.ab = resolve(value());
    else if (a === "--processes") args.processes = Number(value());
    else throw new Error(`per-op: unknown argument ${a} (see the header of bench/per-op.ts)`);
  }
  if (!(Number.isInteger(args.rounds) && args.rounds > 0)) throw new Error(`per-op: --rounds must be a positive integer`);
  if (!(Number.isInteger(args.processes) && args.processes > 0)) throw new Error(`per-op: --processes must be a positive integer`);
  return args;
}

/** One benchmark case: builds its inputs once, then `run` performs one op and frees its output. */
interface Case {
  name: string;
  setup(nt: Neurite): { run(): void; dispose(): void };
}

function binaryCase(name: string, shape: number[], op: "add" | "mul", requiresGrad = false): Case {
  return {
    name,
    setup(nt) {
      const a = nt.rand(shape).keep();
      const b = nt.rand(shape).keep();
      if (requiresGrad) a.requiresGrad = true;
      return {
        run() {
          (op === "add" ? a.add(b) : a.mul(b)).dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

const CASES: Case[] = [
  binaryCase("add 1 element", [1], "add"),
  binaryCase("add 1 element, requiresGrad", [1], "add", true),
  binaryCase("add 256x256", [256, 256], "add"),
  binaryCase("mul 256x256", [256, 256], "mul"),
  {
    name: "relu 256x256",
    setup(nt) {
      const a = nt.randn([256, 256]).keep();
      return { run: () => a.relu().dispose(), dispose: () => a.dispose() };
    },
  },
  binaryCase("add 1M elements", [1 << 20], "add"),
  {
    // Recording and backward together: 10 dependent 1-element adds, then backward; per step.
    name: "10 adds + backward, 1 element (per step)",
    setup(nt) {
      const w = nt.rand([1], { requiresGrad: true }).keep();
      const b = nt.rand([1]).keep();
      return {
        run() {
          nt.tidy(() => {
            let x = w;
            for (let i = 0; i < 10; i++) x = x.add(b);
            x.backward();
          });
          w.grad?.dispose();
          w.grad = null;
        },
        dispose() {
          w.dispose();
          b.dispose();
        },
      };
    },
  },
];

const BATCH_MS = 10;
/** At least this many ops per batch, so that one slow call (a page fault, a GC) does not set a batch. */
const MIN_OPS = 20;

/** µs per op for each of `batches` batches of `n` ops. */
function timeBatches(run: () => void, n: number, batches: number): number[] {
  for (let i = 0; i < Math.min(n, 50); i++) run();
  const out: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) run();
    out.push(((performance.now() - t0) * 1000) / n);
  }
  return out;
}

/** Ops per batch so that a batch takes about BATCH_MS. */
function calibrate(run: () => void): number {
  for (let i = 0; i < 20; i++) run();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) run();
    const ms = performance.now() - t0;
    if (ms >= 1 || n >= 1 << 20) return Math.max(MIN_OPS, Math.round((n * BATCH_MS) / Math.max(ms, 1e-3)));
    n *= 4;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

class TorchPeer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    readonly version: string,
  ) {}

  static async start(): Promise<TorchPeer> {
    const script = new URL("./per_op_torch.py", import.meta.url).pathname;
    const child = spawn("/usr/bin/python3", [script], { stdio: ["pipe", "pipe", "pipe"] });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(`[torch] ${d}`));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error("per-op: the PyTorch peer exited before it was ready");
    const hello = JSON.parse(first.value) as { torch: string; threads: number };
    return new TorchPeer(child, lines, `${hello.torch}, ${hello.threads} threads`);
  }

  /** µs per op for each batch; the peer sizes its batches the same way (~BATCH_MS, >= MIN_OPS). */
  async time(caseName: string, batches: number): Promise<number[]> {
    this.child.stdin.write(`${JSON.stringify({ case: caseName, batch_ms: BATCH_MS, min_ops: MIN_OPS, batches })}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error("per-op: the PyTorch peer exited");
    const reply = JSON.parse(line.value) as { us?: number[]; error?: string };
    if (!reply.us) throw new Error(`per-op: PyTorch peer: ${reply.error}`);
    return reply.us;
  }

  stop(): void {
    this.child.stdin.end();
  }
}

interface Impl {
  label: string;
  nt: Neurite;
}

async function loadImpl(label: string, root: string): Promise<Impl> {
  const nt = (await import(pathToFileURL(resolve(root, "src/index.ts")).href)) as Neurite;
  return { label, nt };
}

/** results.get(`case | backend`).get(column) = per-round medians (µs/op). */
type Results = Map<string, Map<string, number[]>>;

function put(results: Results, row: string, col: string, values: number[]): void {
  let r = results.get(row);
  if (!r) results.set(row, (r = new Map()));
  let c = r.get(col);
  if (!c) r.set(col, (c = []));
  c.push(...values);
}

/** Runs the rounds in this process: every case on every backend for each implementation, then PyTorch. */
async function measure(args: Args, impls: Impl[], torch: TorchPeer | null): Promise<Results> {
  const results: Results = new Map();
  // Round 0 warms up the JIT, the heaps and the PyTorch peer, and is not recorded.
  for (let round = 0; round <= args.rounds; round++) {
    const record = round > 0;
    for (const c of CASES) {
      for (const backend of args.backends) {
        for (const impl of impls) {
          await impl.nt.setBackend(backend);
          const inst = c.setup(impl.nt);
          const us = median(timeBatches(inst.run, calibrate(inst.run), args.batches));
          if (record) put(results, `${c.name} | ${backend}`, impl.label, [us]);
          inst.dispose();
        }
      }
      if (torch) {
        const us = median(await torch.time(c.name, args.batches));
        if (record) for (const backend of args.backends) put(results, `${c.name} | ${backend}`, "PyTorch", [us]);
      }
    }
    process.stderr.write(record ? `round ${round}/${args.rounds} done\n` : "warm-up round done\n");
  }
  return results;
}

/**
 * --ab: this tree and the baseline tree in alternating child processes (one implementation per
 * process, so neither's garbage or worker threads disturb the other's timings), the order
 * swapped every pair; the rounds of all processes are pooled.
 */
function measureAlternating(args: Args, baseline: string): Results {
  const results: Results = new Map();
  const script = fileURLToPath(import.meta.url);
  const common = ["--json", "--rounds", String(args.rounds), "--batches", String(args.batches), "--backend", args.backends.join(",")];
  const runs = [
    { label: "neurite", extra: args.torch ? [] : ["--no-torch"] },
    { label: "baseline", extra: ["--root", baseline, "--label", "baseline", "--no-torch"] },
  ];
  for (let p = 0; p < args.processes; p++) {
    for (const run of p % 2 === 0 ? runs : [...runs].reverse()) {
      const r = spawnSync(process.execPath, [...process.execArgv, script, ...common, ...run.extra], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      const line = r.stdout.split("\n").find((l) => l.startsWith(JSON_PREFIX));
      if (r.status !== 0 || !line) throw new Error(`per-op: the ${run.label} process failed (exit ${r.status})`);
      const rows = JSON.parse(line.slice(JSON_PREFIX.length)) as Record<string, Record<string, number[]>>;
      for (const [row, cols] of Object.entries(rows)) for (const [col, v] of Object.entries(cols)) put(results, row, col, v);
      process.stderr.write(`process ${p + 1}/${args.processes} (${run.label}) done\n`);
    }
  }
  return results;
}

const JSON_PREFIX = "PER_OP_JSON ";

function printTables(results: Results, hasBaseline: boolean): void {
  const cols = ["neurite", ...(hasBaseline ? ["baseline"] : [])];
  const hasTorch = [...results.values()].some((r) => r.has("PyTorch"));
  if (hasTorch) cols.push("PyTorch");
  const fmt = (v: number | undefined) => (v === undefined ? "" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const header = ["case", "backend", ...cols.map((c) => `${c} µs/op`)];
  if (hasBaseline) header.push("baseline / neurite (speed-up)");
  if (hasTorch) header.push("neurite / PyTorch (time ratio)");
  // The median over rounds, then the best round (the least disturbed by other load on the machine).
  for (const [title, pick] of [["Median over rounds", median], ["Best round", (xs: number[]) => Math.min(...xs)]] as const) {
    console.log(`${title}:\n`);
    console.log(`| ${header.join(" | ")} |`);
    console.log(`| ${header.map(() => "---").join(" | ")} |`);
    for (const [row, byCol] of results) {
      const val = (c: string) => {
        const v = byCol.get(c);
        return v ? pick(v) : undefined;
      };
      const cells = [...row.split(" | "), ...cols.map((c) => fmt(val(c)))];
      const mine = val("neurite")!;
      if (hasBaseline) cells.push(`${(val("baseline")! / mine).toFixed(2)}×`);
      if (hasTorch) cells.push(`${(mine / val("PyTorch")!).toFixed(2)}×`);
      console.log(`| ${cells.join(" | ")} |`);
    }
    console.log("");
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startLoad = loadavg();
  const describe = (torchVersion: string | null, how: string) =>
    `\n${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}${torchVersion ? `, PyTorch ${torchVersion}` : ""}; ${how} of ${args.batches} batches of ~${BATCH_MS} ms; load average at start ${startLoad.map((x) => x.toFixed(2)).join(" ")}, at end ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n`;

  if (args.ab) {
    const results = measureAlternating(args, args.ab);
    console.log(describe(args.torch ? "1.13 (per_op_torch.py)" : null, `${args.processes} alternating processes per tree × ${args.rounds} rounds`));
    printTables(results, true);
    return;
  }

  const here = await loadImpl(args.label, args.root);

  if (args.profile) {
    const c = CASES.find((x) => x.name === args.profile);
    if (!c) throw new Error(`per-op: unknown case '${args.profile}' (cases: ${CASES.map((x) => x.name).join("; ")})`);
    const backend = args.backends[args.backends.length - 1]!;
    await here.nt.setBackend(backend);
    const inst = c.setup(here.nt);
    const n = calibrate(inst.run);
    const t0 = performance.now();
    const us: number[] = [];
    while (performance.now() - t0 < 5000) us.push(...timeBatches(inst.run, n, 1));
    inst.dispose();
    console.log(`${c.name} on ${backend}: ${median(us).toFixed(2)} µs/op (median of ${us.length} batches of ${n})`);
    await here.nt.disposeBackends?.();
    return;
  }

  const impls: Impl[] = [here];
  if (args.baseline) impls.push(await loadImpl("baseline", args.baseline));
  const torch = args.torch ? await TorchPeer.start() : null;
  const results = await measure(args, impls, torch);
  torch?.stop();
  for (const impl of impls) await impl.nt.disposeBackends?.();
  if (args.json) {
    const rows: Record<string, Record<string, number[]>> = {};
    for (const [row, cols] of results) rows[row] = Object.fromEntries(cols);
    console.log(`${JSON_PREFIX}${JSON.stringify(rows)}`);
    return;
  }
  console.log(describe(torch?.version ?? null, `${args.rounds} interleaved rounds`));
  printTables(results, args.baseline !== null);
}

await main();
