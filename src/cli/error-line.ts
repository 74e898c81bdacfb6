// The one line `neurite` prints for a failed command (main.ts adds the command's name).
import { OutOfMemoryError, isAllocationFailure } from "../memory/out-of-memory.js";

/** `e` and its causes, outermost first. */
function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let x: unknown = e; x !== undefined && chain.length < 16; x = x instanceof Error ? x.cause : undefined) chain.push(x);
  return chain;
}

/**
 * The one line a user sees for a failed command. An OutOfMemoryError names the op and the size
 * itself, and the errors that wrap one (TrainingError, ...) carry its message. An allocation
 * failure that reached here unnamed (the engine's RangeError from a typed array or wasm memory,
 * itself or as the cause) is named here, with the usual remedy.
 */
export function userLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
  const chain = causeChain(e);
  if (chain.some((x) => x instanceof OutOfMemoryError)) return line;
  if (isAllocationFailure(chain[0]) || isAllocationFailure(chain[1])) return `out of memory: ${line}; try a smaller --batch-size`;
  return line;
}
