/**
 * CPU benchmarks of the wasm backend against its peers, in one process group, interleaved:
 * every round runs each task on each peer back to back, in `--slices` turns (default 4) of
 * 1/slices of the task's time each, and a task's value is the median over all turns of the
 * per-turn median call time. Prints a markdown table with neurite/peer ratios.
 *
 * Why turns: on a shared VM the vector units slow by up to 1.8x for seconds at a time (a neighbour
 * on the same physical core; a scalar loop does not see it), so one 1.5 s window per peer per
 * round lets such a phase fall on one peer and not the next. Alternating the peers of a row every
 * ~0.4 s spreads every phase over all of them.
 *
 *   npm ci --prefix bench                      # TensorFlow.js peers (once)
 *   node --import tsx bench/run-cpu.ts [--quick] [--rounds 3] [--slices 4] [--only sgemm,train,infer]
 *                                        [--peers neurite,native,python,tfcpu,tfwasm] [--json out.json]
 *
 * Peers: neurite on `wasm` (1 thread and all threads) and on `native`, OpenBLAS sgemm through Debian's numpy,
 * PyTorch 1.13 (Debian python3-torch, 2 threads and 1 thread: compare against the faster), TensorFlow.js 4.22 `cpu` and `wasm` backends.
 * Inputs are random (throughput does not depend on pixel values), BENCH.md shapes and batches.
 * `train` also times char-gpt (batch 32 x 64 characters, the zoo's recipe) on neurite's wasm and
 * native backends (sequences/s). PyTorch must have libopenblas0-pthread installed (see
 * bench/README.md): without it Debian's torch uses the reference BLAS.
 */
import { spawn, execSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { cpus } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const flag = (n: string) => args.includes(`--${n}`);
const opt = (n: string, d: string) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1]! : d);
const quick = flag("quick");
const rounds = Number(opt("rounds", quick ? "1" : "3"));
const only = new Set(opt("only", "sgemm,train,infer").split(","));
const secs = quick ? 0.5 : 1.5;
const slices = Math.max(1, Number(opt("slices", quick ? "1" : "4")));
const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));

class Peer {
  private proc!: ChildProcessWithoutNullStreams;
  private lines!: Interface;
  private queue: ((l: string) => void)[] = [];
  private pending: string[] = [];
  info: Record<string, unknown> = {};
  constructor(readonly name: string, private readonly cmd: string, private readonly argv: string[], private readonly env: Record<string, string> = {}) {}
  private spawn(): void {
    const name = this.name;
    this.proc = spawn(this.cmd, this.argv, { cwd: root, env: { ...process.env, ...this.env }, stdio: ["pipe", "pipe", "pipe"] });
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on("line", (l) => {
      if (!l.startsWith("{")) return;
      const w = this.queue.shift();
      if (w) w(l);
      else this.pending.push(l);
    });
    this.proc.stderr.on("data", (d) => {
      const s = String(d);
      if (!/^\s*$/.test(s) && !/Hi there|backend was already registered|Platform node/.test(s)) process.stderr.write(`[${name}] ${s}`);
    });
  }
  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const early = this.pending.shift();
      if (early !== undefined) return resolve(JSON.parse(early));
      const t = setTimeout(() => reject(new Error(`${this.name}: no answer in 600 s`)), 600_000);
      this.queue.push((l) => {
        clearTimeout(t);
        resolve(JSON.parse(l));
      });
    });
  }
  async start(): Promise<boolean> {
    this.spawn();
    try {
      this.info = await Promise.race([
        this.next(),
        new Promise<never>((_, rej) => this.proc.once("exit", (c) => rej(new Error(`exited with ${c}`)))),
      ]);
      return true;
    } catch (e) {
      console.error(`# peer ${this.name} unavailable: ${(e as Error).message}`);
      return false;
    }
  }
  async run(task: Record<string, unknown>): Promise<[number, number]> {
    const p = this.next();
    this.proc.stdin.write(JSON.stringify(task) + "\n");
    const r = await p;
    if (r.error) {
      console.error(`# ${this.name} ${JSON.stringify(task)}: ${String(r.error).split("\n")[0]}`);
      return [NaN, NaN];
    }
    return [r.value as number, (r.best as number) ?? NaN];
  }
  stop(): void {
    if (!this.proc) return;
    this.proc.stdin.write(JSON.stringify({ task: "quit" }) + "\n");
    this.proc.stdin.end();
  }
}

const tsx = ["--import", "tsx"];
const peers = {
  neurite: new Peer("neurite-wasm", process.execPath, [...tsx, `${here}peer-neurite.ts`]),
  native: new Peer("neurite-native", process.execPath, [...tsx, `${here}peer-neurite.ts`, "--backend", "native"]),
  python: new Peer("python", "/usr/bin/python3", [`${here}peer_python.py`], { BENCH_THREADS: "2" }),
  // PyTorch on one thread too: on some 2-core VMs its OpenMP and OpenBLAS pools oversubscribe the
  // cores and 2 threads train several times slower than 1, so a ratio against 2T alone would flatter us.
  python1: new Peer("python-1T", "/usr/bin/python3", [`${here}peer_python.py`], { BENCH_THREADS: "1" }),
  tfcpu: new Peer("tfjs-cpu", process.execPath, [`${here}peer-tfjs.mjs`, "cpu"]),
  tfwasm: new Peer("tfjs-wasm", process.execPath, [`${here}peer-tfjs.mjs`, "wasm"]),
};
const wantedPeers = new Set(opt("peers", Object.keys(peers).join(",")).split(","));
const up: Record<string, boolean> = {};
for (const [k, p] of Object.entries(peers)) {
  up[k] = wantedPeers.has(k) && (await p.start());
}

interface Job {
  row: string;
  col: string;
  peer: keyof typeof peers;
  task: Record<string, unknown>;
}
const jobs: Job[] = [];
const nthreads = Number(peers.neurite.info.threads ?? cpus().length);
if (only.has("sgemm")) {
  for (const n of quick ? [256, 1024] : [256, 512, 1024, 2048]) {
    const s = n >= 2048 ? secs * 2 : secs;
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: `neurite-wasm ${nthreads}T`, peer: "neurite", task: { task: "sgemm", n, seconds: s } });
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: "neurite-wasm 1T", peer: "neurite", task: { task: "sgemm", n, threads: 1, seconds: s } });
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: "neurite-native", peer: "native", task: { task: "sgemm", n, seconds: s } });
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: "OpenBLAS (numpy) 2T", peer: "python", task: { task: "sgemm", n, seconds: s } });
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: "PyTorch mm 2T", peer: "python", task: { task: "sgemm", n, lib: "torch", seconds: s } });
    jobs.push({ row: `sgemm N=${n} (GFLOP/s)`, col: "tfjs-wasm", peer: "tfwasm", task: { task: "sgemm", n, seconds: s } });
  }
}
for (const kind of ["train", "infer"] as const) {
  if (!only.has(kind)) continue;
  for (const model of ["mlp", "cnn"] as const) {
    const batch = kind === "train" ? 128 : 1000;
    const row = `${model.toUpperCase()} ${kind} (img/s)`;
    const s = model === "cnn" ? secs * 2 : secs;
    jobs.push({ row, col: `neurite-wasm ${nthreads}T`, peer: "neurite", task: { task: kind, model, batch, seconds: s } });
    jobs.push({ row, col: "neurite-native", peer: "native", task: { task: kind, model, batch, seconds: s } });
    jobs.push({ row, col: "PyTorch 2T", peer: "python", task: { task: kind, model, batch, seconds: s } });
    jobs.push({ row, col: "PyTorch 1T", peer: "python1", task: { task: kind, model, batch, seconds: s } });
    jobs.push({ row, col: "tfjs-wasm", peer: "tfwasm", task: { task: kind, model, batch, seconds: s } });
    // TF.js's pure-JS CNN takes tens of seconds per training step: one warm-up, one timed step
    const slow = model === "cnn" ? { seconds: 0, warm: 1, min: 1 } : { seconds: s };
    jobs.push({ row, col: "tfjs-cpu", peer: "tfcpu", task: { task: kind, model, batch, ...slow } });
  }
}

if (only.has("train")) {
  const row = "char-gpt train (seq/s)";
  const s = secs * 2;
  jobs.push({ row, col: `neurite-wasm ${nthreads}T`, peer: "neurite", task: { task: "train", model: "char-gpt", batch: 32, seconds: s } });
  jobs.push({ row, col: "neurite-native", peer: "native", task: { task: "train", model: "char-gpt", batch: 32, seconds: s } });
}

const down = new Set<string>();
const results = new Map<string, number[]>();
const bests = new Map<string, number[]>();
const jobRows = [...new Set(jobs.map((j) => j.row))];
for (let r = 0; r < rounds; r++) {
  console.error(`# round ${r + 1}/${rounds}`);
  for (const row of jobRows) {
    const rowJobs = jobs.filter((j) => j.row === row);
    for (let t = 0; t < slices; t++) {
      // each turn starts with the next peer, so that none always runs right after the same one
      const order = rowJobs.map((_, i) => rowJobs[(i + t) % rowJobs.length]!);
      for (const j of order) {
        if (!up[j.peer] || down.has(`${j.row}|${j.col}`)) continue;
        if (t > 0 && j.task.seconds === 0) continue; // a fixed call count (TF.js's slow CNN): one turn
        let v = NaN, b = NaN;
        const seconds = typeof j.task.seconds === "number" ? j.task.seconds / slices : j.task.seconds;
        try {
          [v, b] = await peers[j.peer].run({ ...j.task, seconds });
        } catch (e) {
          // a peer that does not answer is left out from here on
          console.error(`# ${j.col}: ${(e as Error).message}; dropped`);
          up[j.peer] = false;
        }
        if (!Number.isFinite(v)) down.add(`${j.row}|${j.col}`);
        const key = `${j.row}|${j.col}`;
        if (!results.has(key)) results.set(key, []), bests.set(key, []);
        results.get(key)!.push(v);
        bests.get(key)!.push(b);
        console.error(`#   ${j.row} ${j.col}: ${v.toFixed(1)} (best call ${b.toFixed(1)})`);
      }
    }
  }
}
// Peak resident memory of each peer process over the whole run (python: numpy and PyTorch together).
const rss: string[] = [];
for (const [k, p] of Object.entries(peers)) {
  if (!up[k]) continue;
  try {
    const [mib] = await p.run({ task: "rss" });
    if (Number.isFinite(mib)) rss.push(`${p.name} ${mib.toFixed(0)} MiB`);
  } catch {
    // a peer that cannot say is left out
  }
}
for (const p of Object.values(peers)) p.stop();

const med = (xs: number[] | undefined) => {
  if (!xs || xs.length === 0) return NaN;
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : NaN;
};
const rows = [...new Set(jobs.map((j) => j.row))];
const cols = [...new Set(jobs.filter((j) => up[j.peer] || results.has(`${j.row}|${j.col}`)).map((j) => j.col))];
const mainCol = `neurite-wasm ${nthreads}T`;
const nativeCol = "neurite-native";
const fmt = (v: number) => (!Number.isFinite(v) ? "n/a" : v >= 100 ? v.toFixed(0) : v.toFixed(1));

let commit = "unknown";
try {
  commit = execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();
} catch {}
const cpuModel = cpus()[0]?.model ?? "?";
let flags = "";
try {
  const f = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  flags = ["avx2", "fma", "avx512f"].filter((x) => f.split(/\s+/).includes(x)).join("+");
} catch {}
let load = "";
try {
  load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
} catch {}
const out: string[] = [];
out.push(`Date ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, commit ${commit}, ${cpus().length} cores (${cpuModel}${flags ? `, ${flags}` : ""}), Node ${process.version}, ` +
  `kernels ${peers.neurite.info.variant ?? "?"}, torch ${peers.python.info.torch ?? "n/a"}, numpy ${peers.python.info.numpy ?? "n/a"}, tfjs ${peers.tfwasm.info.version ?? "n/a"} (wasm threads: ${peers.tfwasm.info.threads ?? "?"}); ${rounds} interleaved round(s) of ${slices} turn(s) per task; load average at the end ${load}.`);
if (rss.length) out.push(`Peak RSS per peer process over the whole run: ${rss.join(", ")}.`);
const best = (xs: number[] | undefined) => (xs && xs.some(Number.isFinite) ? Math.max(...xs.filter(Number.isFinite)) : NaN);
for (const [title, src, stat] of [
  ["Median (over rounds and turns of the per-turn median call time)", results, med],
  ["Best single call (the least disturbed by other load on the machine)", bests, best],
] as const) {
  out.push("", `${title}:`, "");
  // ratios of neurite-wasm and of neurite-native to every other column
  const pairs = [
    ...cols.filter((c) => c !== mainCol).map((c) => [mainCol, c] as const),
    ...cols.filter((c) => c !== mainCol && c !== nativeCol && cols.includes(nativeCol)).map((c) => [nativeCol, c] as const),
  ];
  out.push(`| benchmark | ${cols.join(" | ")} | ${pairs.map(([p, q]) => `${p.replace("neurite-wasm", "neurite")} / ${q}`).join(" | ")} |`);
  out.push(`| --- | ${cols.map(() => "---").join(" | ")} | ${pairs.map(() => "---").join(" | ")} |`);
  for (const row of rows) {
    const vals = cols.map((c) => stat(src.get(`${row}|${c}`)));
    const ratios = pairs.map(([p, q]) => {
      const a = vals[cols.indexOf(p)]!, b = vals[cols.indexOf(q)]!;
      return Number.isFinite(a) && Number.isFinite(b) && src.has(`${row}|${p}`) && src.has(`${row}|${q}`) ? (a / b).toFixed(2) : "";
    });
    out.push(`| ${row} | ${vals.map((v, i) => (src.has(`${row}|${cols[i]}`) ? fmt(v) : "")).join(" | ")} | ${ratios.join(" | ")} |`);
  }
}
console.log(out.join("\n"));
const jsonFile = opt("json", "");
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ median: Object.fromEntries(results), best: Object.fromEntries(bests) }, null, 1));
