// The --backend and --threads options every compute command shares.
import * as registry from "../backend/registry.js";
import { setNumThreads } from "../backend/register-all.js";
import { intOption, UsageError, type OptionSpec, type ParsedArgs } from "./args.js";

export const BACKEND_OPTION_SPEC: OptionSpec = {
  backend: { type: "string" },
  threads: { type: "string" },
};

/**
 * Applies --threads and returns the backend named by --backend (default: the current one),
 * refusing unknown names. `extra` lists accepted pseudo-names such as "all".
 */
export function backendFromArgs(command: string, args: ParsedArgs, extra: readonly string[] = []): string {
  if (args.str("threads") !== undefined) setNumThreads(intOption(command, "threads", args.str("threads"), 1));
  const name = args.str("backend") ?? registry.getBackend();
  if (!registry.backends().includes(name) && !extra.includes(name)) {
    throw new UsageError(`neurite ${command}: unknown backend '${name}' (choose one of: ${[...registry.backends(), ...extra].join(", ")})`);
  }
  return name;
}
