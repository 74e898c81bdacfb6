// A closed stdout or stderr (`neurite train … | head -1`, a terminal that went away) must not
// kill a command: Node reports the failed write as an 'error' event on the stream, and an
// unhandled one crashes the process with a stack trace — in the middle of a training run, before
// its checkpoint. Node only (CLI code).

let closed = { stdout: false, stderr: false };

/** Whether a stream has been closed by its reader (output to it is dropped). */
export function stdioClosed(): Readonly<{ stdout: boolean; stderr: boolean }> {
  return closed;
}

/**
 * Makes EPIPE on stdout/stderr harmless: later output to that stream is dropped and the command
 * goes on (training finishes and checkpoints; other commands finish their work) and exits with
 * its own code. Other stream errors are not hidden.
 */
export function guardStdio(): void {
  closed = { stdout: false, stderr: false };
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED" || err.code === "ECONNRESET") {
        closed[name] = true;
        return;
      }
      throw err;
    });
  }
}
