// The run-folder lock: one owner at a time, stale locks (dead pid, same host) taken over,
// locks of live processes or other hosts never taken.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { RunLock, RunLockedError, LOCK_NAME } from "../src/cli/run-lock.js";

const tmp = () => mkdtempSync(join(tmpdir(), "neurite-lock-"));

test("a lock is exclusive, records pid and host, and is released", () => {
  const dir = tmp();
  const lock = RunLock.acquire(dir, "runs/x");
  const info = JSON.parse(readFileSync(join(dir, LOCK_NAME), "utf8"));
  assert.equal(info.pid, process.pid);
  assert.equal(info.host, hostname());
  // Even this same process may not take it twice (a second run in one process is still a second run).
  assert.throws(() => RunLock.acquire(dir, "runs/x"), (e: unknown) => e instanceof RunLockedError && /runs\/x is in use by another run \(process \d+, 'train' since/.test(e.message));
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_NAME)));
  RunLock.acquire(dir, "runs/x").release();
});

test("a stale lock is taken over; another host's lock is not", () => {
  const dir = tmp();
  // A pid that existed and is gone: a finished child's.
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
  writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: Number(dead), host: hostname(), started: "earlier", command: "train" }));
  const lock = RunLock.acquire(dir, "r");
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_NAME), "utf8")).pid, process.pid);
  lock.release();

  writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: 1, host: "elsewhere.example", started: "earlier", command: "train" }));
  assert.throws(() => RunLock.acquire(dir, "r"), /r is in use by another run \(process 1 on host elsewhere\.example, .*if it is no longer running there, delete .*run\.lock/);
  // Releasing someone else's lock never removes it.
  assert.ok(existsSync(join(dir, LOCK_NAME)));

  writeFileSync(join(dir, LOCK_NAME), "garbage");
  assert.throws(() => RunLock.acquire(dir, "r"), /is locked \(.*run\.lock is unreadable\); if no neurite process uses that folder, delete/);
});
