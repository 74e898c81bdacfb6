#!/usr/bin/env node
// First: registers the backends and picks the default one (native where it loads, else wasm),
// so help texts show it; native is registered before register-all.ts chooses.
import "../backend/register-native.js";
import "../backend/register-all.js";
import { trainCommand } from "./commands/train.js";
import { evalCommand } from "./commands/eval.js";
import { predictCommand } from "./commands/predict.js";
import { sampleCommand } from "./commands/sample.js";
import { benchCommand } from "./commands/bench.js";
import { infoCommand } from "./commands/info.js";
import { convertCommand } from "./commands/convert.js";
import { exportCommand } from "./commands/export.js";
import { UsageError } from "./args.js";
import { generateCommand } from "./commands/generate.js";
import { evalSamplesCommand } from "./commands/eval-samples.js";
import { disposeBackends } from "../backend/registry.js";
import { guardStdio } from "./stdio.js";
import { userLine } from "./error-line.js";

const HELP = `neurite — PyTorch for TypeScript

Usage: neurite <command> [options]      (every command takes --help and --json)

Commands:
  train      train a model (Fashion-MNIST classifiers, character language models, the ddpm
             diffusion model, your own images or table) with progress, checkpoints,
             Ctrl-C-safe resume and an HTML report
               neurite train --model mlp --epochs 5
               neurite train --resume runs/mlp
  eval       evaluate saved weights on the test data
               neurite eval --checkpoint runs/mlp/model.safetensors
  predict    classify a PNG image or a folder of PNGs (top-k classes)
               neurite predict --checkpoint runs/mlp shoe.png --top-k 3
  sample     generate text with a character language model (alias: generate)
               neurite sample --checkpoint runs/bigram --prompt "The " --length 200
  generate   draw images from a diffusion model (DDPM/DDIM, PNG grid); text as 'sample'
               neurite train --model ddpm --epochs 2 --test-limit 1000
               neurite generate --checkpoint runs/ddpm --n 64 --steps 50 --class 7 --out samples.png
  eval-samples  score diffusion samples with a cnn-bn classifier (confidence, Fréchet distance)
               neurite eval-samples --checkpoint runs/ddpm --classifier runs/cnn-bn-scorer/model.safetensors
  bench      measure training and inference speed of a model on a backend
               neurite bench --model mlp --backend cpu
  info       Node version, backends, threads, GPU adapter and its limits
               neurite info --json
  convert    inspect a safetensors file: tensor names, shapes, dtypes, metadata
               neurite convert runs/mlp/model.safetensors
  export     write a trained model as ONNX (ONNX Runtime, TensorRT, PyTorch tooling)
               neurite export --checkpoint runs/cnn-bn --format onnx --out cnn-bn.onnx --dynamic-batch

Exit codes: 0 success, 1 error, 2 bad arguments, 3 the loss became NaN/Inf,
130 interrupted (a checkpoint was saved). Set NEURITE_DEBUG=1 for stack traces.
Run 'neurite <command> --help' for a command's options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
  sample: (a) => sampleCommand(a, "sample"),
  generate: generateCommand,
  "eval-samples": evalSamplesCommand,
  bench: benchCommand,
  info: infoCommand,
  convert: convertCommand,
  export: exportCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-V") {
    console.log("neurite 0.1.0");
    return 0;
  }
  // Own properties only: "constructor" or "toString" are not commands.
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`neurite: unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  return run(rest);
}

// Before anything is printed: a reader closing the pipe must not crash a command.
guardStdio();
const argv = process.argv.slice(2);
main(argv)
  .then(async (code) => {
    await disposeBackends();
    process.exitCode = code;
  })
  .catch(async (e: unknown) => {
    await disposeBackends().catch(() => undefined);
    const code = e instanceof UsageError ? 2 : 1;
    // One line for users; the stack trace with NEURITE_DEBUG=1.
    let line = userLine(e);
    if (!line.startsWith("neurite")) line = `neurite${argv[0] && Object.hasOwn(COMMANDS, argv[0]) ? ` ${argv[0]}` : ""}: ${line}`;
    console.error(process.env.NEURITE_DEBUG === "1" && code === 1 && e instanceof Error ? (e.stack ?? String(e)) : line);
    if (argv.includes("--json")) console.log(JSON.stringify({ error: line, exitCode: code }));
    process.exitCode = code;
  });
