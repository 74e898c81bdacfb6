// Ctrl-C (SIGINT) and SIGTERM during training: the first stops fit() after the current step
// (which then saves a checkpoint); a second quits at once.

export class InterruptHandler {
  private readonly abort = new AbortController();
  private received: NodeJS.Signals = "SIGINT";
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.abort.signal.aborted) {
      process.stderr.write("\nneurite train: interrupted again, quitting without saving\n");
      process.exit(exitCodeFor(sig));
    }
    this.received = sig;
    process.stderr.write("\nneurite train: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n");
    this.abort.abort();
  };

  constructor() {
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }

  /** Aborted by the first signal: fit()'s `signal`. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The exit code of a run stopped by a signal: 130 for SIGINT, 143 for SIGTERM. */
  get exitCode(): number {
    return exitCodeFor(this.received);
  }

  dispose(): void {
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
  }
}

const exitCodeFor = (sig: NodeJS.Signals) => (sig === "SIGTERM" ? 143 : 130);
