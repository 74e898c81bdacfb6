#!/usr/bin/env node
import { trainCommand, TRAIN_HELP } from "./commands/train.js";
import { UsageError } from "./args.js";
import { disposeBackends } from "../backend/registry.js";
import "../backend/register-all.js";

const HELP = `neurite — PyTorch for TypeScript

Usage: neurite <command> [options]

Commands:
  train      train a reference model and evaluate it
             neurite train --model mlp --epochs 5

Run 'neurite <command> --help' for a command's options.

${TRAIN_HELP.split("\n").slice(0, 1).join("")}`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
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
      console.error(`neurite: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    }
  });
