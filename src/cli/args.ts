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

/** Parses argv strictly: unknown flags and stray positionals are usage errors. */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    const v = values as Record<string, string | boolean | (string | boolean)[] | undefined>;
    return {
      positionals,
      str: (name) => {
        const x = v[name];
        return typeof x === "string" ? x : undefined;
      },
      flag: (name) => v[name] === true,
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
    throw new UsageError(`neurite ${command}: unknown --${name} '${value}' (choose one of: ${choices.join(", ")})`);
  }
  return value as T;
}
