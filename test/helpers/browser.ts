import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What the headless-browser tests need: playwright-core, esbuild and a Chromium binary. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export let skip: string | false = false;
export let playwright: typeof import("playwright-core") | null = null;
export let esbuild: typeof import("esbuild") | null = null;
try {
  playwright = await import("playwright-core");
  esbuild = await import("esbuild");
} catch (e) {
  skip = `playwright-core or esbuild is not installed (${(e as Error).message})`;
}
if (!skip && !existsSync(chromiumPath)) skip = `no Chromium at ${chromiumPath}`;

/** Headless Debian Chromium with the flags every browser test uses; `webgpu` enables navigator.gpu (SwiftShader without a GPU). */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<import("playwright-core").Browser> {
  const args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
  if (options.webgpu) args.unshift("--enable-unsafe-webgpu");
  return playwright!.chromium.launch({ executablePath: chromiumPath, headless: true, args });
}
