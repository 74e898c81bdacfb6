import { parseArgs } from "node:util";

/** A user mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean; multiple?: boolean }>;

export interface ParsedArgs {
  positionals: string[];
  /** A string option's value (undefined when absent). */
  str(name: string): string | undefined;
  /** A boolean flag. */
  flag(name: string): boolean;
}

/**
 * `--epochs -1` → `--epochs=-1`. node:util's parseArgs takes "-1" for a short option and calls
 * the value ambiguous; joining a negative number to its string option lets the option's own
 * range check say what is wrong ("--epochs must be an integer >= 1, got '-1'").
 */
function joinNegativeValues(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : null;
    if (name !== null && Object.hasOwn(options, name) && options[name]!.type === "string" && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Parses argv strictly: unknown flags and stray positionals are usage errors. */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals });
    const v = values as Record<string, string | boolean | (string | boolean)[] | undefined>;
    return {
      positionals,
      str: (name) => {
        const x = Object.hasOwn(v, name) ? v[name] : undefined;
        return typeof x === "string" ? x : undefined;
      },
      flag: (name) => Object.hasOwn(v, name) && v[name] === true,
    };
  } catch (e) {
    throw new UsageError(`neurite ${command}: ${(e as Error).message.replace(/\. To specify a positional argument.*$/, "")} (see neurite ${command} --help)`);
  }
}

export function intOption(command: string, name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`neurite ${command}: --${name} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export function floatOption(command: string, name: string, value: string | undefined, fallback: number, min = -Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min) {
    throw new UsageError(`neurite ${command}: --${name} must be a number${min > -Infinity ? ` >= ${min}` : ""}, got '${value}'`);
  }
  return n;
}

export function choiceOption<T extends string>(command: string, name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    // includes(): compares values, so "constructor" or "__proto__" match nothing.
    throw new UsageError(`neurite ${command}: unknown --${name} '${value}' (choose one of: ${choices.join(", ")})`);
  }
  return value as T;
}
