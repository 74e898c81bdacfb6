// The training report opens offline in a real browser: headless Chromium (Debian's `chromium`,
// installed by tools/setup-browser-ci.sh) driven by playwright-core. Checks that every chart
// rendered (non-empty SVG), no console errors, no network requests, and saves a screenshot
// under artifacts/ for CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NEURITE } from "./cli-bin.js";

const root = new URL("..", import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

test("report.html renders its charts in headless Chromium, offline, without console errors", async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`no Chromium at ${CHROMIUM} (run tools/setup-browser-ci.sh)`);
  const out = mkdtempSync(join(tmpdir(), "neurite-report-"));
  const r = spawnSync(
    process.execPath,
    [...NEURITE, "train", "--data", join(root, "data/fashion-mnist-subset"), "--limit", "1024", "--test-limit", "300", "--epochs", "2", "--scheduler", "cosine", "--out", out, "--quiet"],
    { cwd: root, encoding: "utf8", timeout: 180_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const html = join(out, "report.html");
  const source = readFileSync(html, "utf8");
  assert.doesNotMatch(source, /<script|https?:\/\/(?!vega\.github\.io|www\.w3\.org)/, "self-contained: no scripts, no remote resources");

  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (req) => {
      if (!req.url().startsWith("file:") && !req.url().startsWith("data:")) problems.push(`network request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
    const charts = await page.$$eval("figure.chart", (figs) =>
      figs.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        return { id: f.id, marks: svg ? svg.querySelectorAll("path, rect").length : 0, width: box?.width ?? 0, height: box?.height ?? 0 };
      }),
    );
    assert.deepEqual(
      charts.map((c) => c.id),
      ["chart-loss", "chart-accuracy", "chart-loss-steps", "chart-accuracy-steps", "chart-lr", "chart-confusion"],
    );
    for (const c of charts) assert.ok(c.marks > 5 && c.width > 100 && c.height > 100, `${c.id} rendered: ${JSON.stringify(c)}`);
    const images = await page.$$eval(".grid img", (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    assert.ok(images.length > 0 && images.every((w) => w === 28), "misclassified images decoded");
    const text = await page.textContent("body");
    assert.match(text ?? "", /test accuracy/);
    assert.match(text ?? "", /throughput/);
    assert.deepEqual(problems, []);
    mkdirSync(join(root, "artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "artifacts", "report.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});
