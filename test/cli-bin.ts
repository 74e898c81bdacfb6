// How the CLI tests start `neurite`: the compiled dist/src/cli/main.js when it is up to date with
// every source file (CI builds before testing; it starts 4x faster), else src/cli/main.ts via tsx.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function distIsFresh(): boolean {
  const dirs = ["src", "models"];
  const stack = [...dirs];
  try {
    while (stack.length) {
      const dir = stack.pop()!;
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        const rel = join(dir, e.name);
        if (e.isDirectory()) stack.push(rel);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
          const js = join(root, "dist", rel.replace(/\.ts$/, ".js"));
          if (statSync(js).mtimeMs < statSync(join(root, rel)).mtimeMs) return false;
        }
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** The argv prefix that runs neurite: [node, ...args] minus node itself. */
export const NEURITE: string[] = process.env.NEURITE_TEST_FROM_SOURCE !== "1" && distIsFresh() ? [join(root, "dist/src/cli/main.js")] : ["--import", "tsx", join(root, "src/cli/main.ts")];


export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs neurite without blocking the event loop (so tests can run side by side on both cores).
 * `onLine` sees every stderr line and may send the process a signal.
 */
export function neuriteAsync(args: string[], options: { env?: Record<string, string>; onLine?: (line: string, kill: (sig: NodeJS.Signals) => void) => void; timeoutMs?: number } = {}): Promise<Run> {
  const child = spawn(process.execPath, [...NEURITE, ...args], { cwd: root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let buf = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (!options.onLine) return;
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      options.onLine(buf.slice(0, i), (sig) => child.kill(sig));
      buf = buf.slice(i + 1);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

/** Runs commands with at most `concurrency` at a time, results in order. */
export async function neuriteAll(commands: string[][], concurrency = 3): Promise<Run[]> {
  const results: Run[] = new Array(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      results[i] = await neuriteAsync(commands[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, commands.length) }, worker));
  return results;
}
