#!/usr/bin/env node
import { trainCommand } from "./commands/train.js";
import { evalCommand } from "./commands/eval.js";
import { UsageError } from "./args.js";
import { disposeBackends } from "../backend/registry.js";
import "../backend/register-all.js";

const HELP = `neurite — PyTorch for TypeScript

Usage: neurite <command> [options]

Commands:
  train      train a reference model and evaluate it
             neurite train --model mlp --epochs 5
  eval       evaluate a safetensors checkpoint on the test set
             neurite eval --checkpoint runs/mlp/model.safetensors

Run 'neurite <command> --help' for a command's options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
  eval: evalCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`neurite: unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  return run(rest);
}

main(process.argv.slice(2))
  .then(async (code) => {
    await disposeBackends();
    process.exitCode = code;
  })
  .catch(async (e: unknown) => {
    await disposeBackends().catch(() => undefined);
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exitCode = 2;
    } else {
      // One line for users; the stack trace with NEURITE_DEBUG=1.
      const err = e as Error;
      console.error(process.env.NEURITE_DEBUG === "1" ? (err.stack ?? String(e)) : `neurite: ${err.message ?? String(e)}`.split("\n")[0]);
      process.exitCode = 1;
    }
  });
