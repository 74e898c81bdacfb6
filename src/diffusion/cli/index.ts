/**
 * Entry points of the diffusion commands for the neurite CLI (src/cli/main.ts):
 *   train --model ddpm  → trainDdpmCommand
 *   generate            → generateCommand when the arguments are for a DDPM (else the text sampler)
 *   eval-samples        → evalSamplesCommand
 */
import { openSync, readSync, closeSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { trainDdpmCommand } from "./train.js";
import { generateCommand, GENERATE_HELP } from "./generate.js";
import { evalSamplesCommand } from "./eval-samples.js";

export { trainDdpmCommand, generateCommand, evalSamplesCommand };

function optionValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i]!.startsWith(`--${name}=`)) return argv[i]!.slice(name.length + 3);
  }
  return undefined;
}

/** True when `path` (a file, or a folder holding model.safetensors) is a neurite DDPM checkpoint. */
export function isDdpmCheckpoint(path: string): boolean {
  try {
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, "model.safetensors") : path;
    const fd = openSync(file, "r");
    try {
      const head = Buffer.alloc(8);
      readSync(fd, head, 0, 8, 0);
      const n = Number(head.readBigUInt64LE(0));
      if (n > 1 << 24) return false;
      const json = Buffer.alloc(n);
      readSync(fd, json, 0, n, 8);
      return (JSON.parse(json.toString("utf8")) as { __metadata__?: { format?: string } }).__metadata__?.format === "neurite-ddpm";
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** `neurite train`: the DDPM trainer for `--model ddpm`, else `fallback`. */
export function trainOrDdpm(argv: string[], fallback: (argv: string[]) => Promise<number>): Promise<number> {
  return optionValue(argv, "model") === "ddpm" ? trainDdpmCommand(argv) : fallback(argv);
}

/** `neurite generate`: images from a DDPM checkpoint, else `fallback` (text models). */
export function generateOrSample(argv: string[], fallback: (argv: string[]) => Promise<number>): Promise<number> {
  const ckpt = optionValue(argv, "checkpoint");
  if (!ckpt && argv.some((a) => a === "--help" || a === "-h")) {
    console.log(`${GENERATE_HELP}\n\nWith a character language model checkpoint, 'neurite generate' samples text: see 'neurite sample --help'.`);
    return Promise.resolve(0);
  }
  const imageFlags = ["--n", "--sampler", "--steps", "--class", "--guidance", "--out"].some((f) => argv.some((a) => a === f || a.startsWith(`${f}=`)));
  if ((ckpt && isDdpmCheckpoint(ckpt)) || (!ckpt && imageFlags)) return generateCommand(argv);
  return fallback(argv);
}

export function evalSamples(argv: string[]): Promise<number> {
  return evalSamplesCommand(argv);
}
