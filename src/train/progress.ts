/**
 * Progress display for long loops. On a TTY one line is redrawn in place; otherwise (CI, pipes)
 * a plain line is printed at most every `intervalMs` and at the end, so logs stay readable.
 */
export interface ProgressFields {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  accuracy?: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

export function formatProgress(f: ProgressFields): string {
  const width = 20;
  const done = Math.round((f.step / Math.max(1, f.steps)) * width);
  const bar = "█".repeat(done) + "░".repeat(width - done);
  const acc = f.accuracy === undefined ? "" : ` acc ${(f.accuracy * 100).toFixed(2)}%`;
  return `epoch ${f.epoch}/${f.epochs} ${bar} ${f.step}/${f.steps} loss ${f.loss.toFixed(4)}${acc} ${Math.round(f.imagesPerSecond)} img/s ETA ${formatDuration(f.etaSeconds)}`;
}

/** Where progress text goes: a terminal stream in Node, anything with `write` elsewhere. */
export interface TextSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** stderr in Node; in a browser, the console (one line per update, carriage returns dropped). */
function defaultSink(): TextSink {
  const stderr = (globalThis as { process?: { stderr?: TextSink } }).process?.stderr;
  if (stderr) return stderr;
  return { isTTY: false, write: (s: string) => s.trim() && console.log(s.replace(/[\r\n]+/g, " ").trim()) };
}

export class ProgressLine {
  private last = 0;
  private dirty = false;

  constructor(
    private readonly stream: TextSink = defaultSink(),
    private readonly intervalMs = stream.isTTY ? 100 : 5000,
    private readonly enabled = true,
  ) {}

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.dirty = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the in-place line (prints the final text). */
  done(text?: string): void {
    if (!this.enabled) return;
    if (text !== undefined) this.update(text, true);
    if (this.stream.isTTY && this.dirty) this.stream.write("\n");
    this.dirty = false;
  }

  /** Prints a normal line without corrupting the in-place one. */
  log(text: string): void {
    if (!this.enabled) return;
    if (this.stream.isTTY && this.dirty) this.stream.write("\r\x1b[2K");
    this.stream.write(`${text}\n`);
    this.dirty = false;
  }
}
