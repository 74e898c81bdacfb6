// One training process per run folder. Node only (CLI code).
//
// `run.lock` in the run folder holds the owner's pid, host and start time. It is created with
// O_EXCL, so of two processes starting together exactly one gets it; the other is told who
// holds the folder and exits (code 2) before touching anything. A lock whose process is gone
// (same host, no such pid: killed with -9, machine crash) is stale and is taken over. A lock from
// another host cannot be checked from here and is never taken over silently.

import { hostname } from "node:os";
import { join } from "node:path";
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from "node:fs";

export const LOCK_NAME = "run.lock";

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** The run folder is in use by another process (a usage error: exit code 2, one line). */
export class RunLockedError extends Error {
  override name = "RunLockedError";
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockInfo>;
    if (typeof v.pid === "number" && typeof v.host === "string") return { pid: v.pid, host: v.host, started: String(v.started ?? "?"), command: String(v.command ?? "?") };
  } catch {
    // unreadable or half-written: treated below
  }
  return null;
}

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    // Released however the process ends short of SIGKILL (process.exit on a second Ctrl-C too).
    process.on("exit", this.onExit);
  }

  /**
   * Takes the lock of `runDir` (which must exist), or throws RunLockedError saying which
   * process holds it. `label` (e.g. the folder as the user wrote it) is used in messages.
   */
  static acquire(runDir: string, label: string, command = "train"): RunLock {
    const path = join(runDir, LOCK_NAME);
    const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new RunLockedError(`neurite ${command}: cannot lock the run folder ${label} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        const owner = readLock(path);
        if (owner === null) {
          // Being written by its owner this very moment, or garbage: look again shortly.
          if (attempt < 2) {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
            continue;
          }
          throw new RunLockedError(`neurite ${command}: ${label} is locked (${path} is unreadable); if no neurite process uses that folder, delete ${path}`);
        }
        if (owner.host === me.host && !processAlive(owner.pid)) {
          // Stale: its process is gone. Take it over (another process may race us to it: O_EXCL decides).
          try {
            unlinkSync(path);
          } catch {
            // someone else removed it first
          }
          continue;
        }
        const where = owner.host === me.host ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
        throw new RunLockedError(
          `neurite ${command}: ${label} is in use by another run (${where}, '${owner.command}' since ${owner.started}); wait for it to finish or choose another --out${owner.host === me.host ? "" : `; if it is no longer running there, delete ${path}`}`,
        );
      }
      try {
        writeSync(fd, JSON.stringify(me) + "\n");
      } finally {
        closeSync(fd);
      }
      return new RunLock(path);
    }
    throw new RunLockedError(`neurite ${command}: could not lock ${label}: other processes keep taking it`);
  }

  /** Removes the lock file (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    // Only our own lock: never remove one a later process took over.
    const owner = readLock(this.path);
    if (owner && owner.pid === process.pid && owner.host === hostname()) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}
