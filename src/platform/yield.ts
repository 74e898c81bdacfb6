/**
 * Lets timers, I/O and a page's rendering run between training or sampling steps. Node's
 * setImmediate where it exists (no delay); in browsers a MessageChannel message, which unlike
 * setTimeout(0) is not clamped to 4 ms once nested.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (g.setImmediate) return new Promise<void>((r) => g.setImmediate!(r));
  if (g.MessageChannel) {
    return new Promise<void>((r) => {
      const channel = new g.MessageChannel!();
      channel.port1.onmessage = () => {
        channel.port1.close();
        r();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise<void>((r) => setTimeout(r, 0));
}
