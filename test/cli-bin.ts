// How the CLI tests start `neurite`: the compiled dist/src/cli/main.js when it is up to date with
// every source file (CI builds before testing; it starts 4x faster), else src/cli/main.ts via tsx.
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
