// Small own-data sets written into a temporary folder: an ImageFolder of PNG and JPEG images
// whose classes a model can learn, and a CSV table with numeric and text columns.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { encodePng } from "../../src/data/png.js";

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SHAPE_CLASSES = ["left", "right", "top"] as const;

/** RGB pixels of a `size`x`size` image of class `c`: a bright half (left, right or top) on noise. */
export function shapeImage(c: number, size: number, rand: () => number): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = c === 0 ? x < size / 2 : c === 1 ? x >= size / 2 : y < size / 2;
      const v = Math.round((on ? 170 : 40) + rand() * 80);
      const p = (y * size + x) * 3;
      data[p] = v;
      data[p + 1] = Math.round(v * 0.8);
      data[p + 2] = 255 - v;
    }
  }
  return data;
}

/**
 * Writes DIR/left, DIR/right, DIR/top with `perClass` images each (`size` pixels square),
 * alternately PNG and JPEG. Returns DIR.
 */
export async function writeImageFolder(dir: string, perClass: number, size = 16, seed = 1): Promise<string> {
  const rand = rng(seed);
  for (const [c, name] of SHAPE_CLASSES.entries()) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const data = shapeImage(c, size, rand);
      if (i % 2 === 0) {
        writeFileSync(join(dir, name, `${i}.png`), await encodePng({ width: size, height: size, channels: 3, data }));
      } else {
        const rgba = new Uint8Array(size * size * 4);
        for (let p = 0; p < size * size; p++) rgba.set([data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!, 255], 4 * p);
        writeFileSync(join(dir, name, `${i}.jpg`), jpeg.encode({ width: size, height: size, data: rgba }, 90).data);
      }
    }
  }
  return dir;
}

/**
 * A learnable table: `label` is "high" when 2*x - y + (colour == "red" ? 1.5 : 0) > 0, else "low";
 * x and y are numbers on different scales, colour a text column.
 */
export function tableCsv(rows: number, seed = 2): string {
  const rand = rng(seed);
  const colours = ["red", "green", "blue"];
  const lines = ["x,y,colour,label"];
  for (let i = 0; i < rows; i++) {
    const x = rand() * 2 - 1;
    const y = (rand() * 2 - 1) * 100;
    const colour = colours[Math.floor(rand() * 3)]!;
    const label = 2 * x - y / 100 + (colour === "red" ? 1.5 : 0) > 0 ? "high" : "low";
    lines.push(`${x.toFixed(4)},${y.toFixed(2)},${colour},${label}`);
  }
  return lines.join("\n") + "\n";
}
