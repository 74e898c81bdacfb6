/**
 * Lets timers, I/O and a page's rendering run between training or sampling steps. Node's
 * setImmediate where it exists (no delay); in browsers a message on one MessageChannel, which
 * unlike setTimeout(0) is not clamped to 4 ms once nested (one channel for the process: a step
 * need not allocate one).
 */
let channel: { port: MessagePort; waiting: (() => void)[] } | null = null;

function messageChannelYield(Channel: typeof MessageChannel): Promise<void> {
  if (!channel) {
    const c = new Channel();
    const waiting: (() => void)[] = [];
    c.port1.onmessage = () => waiting.shift()?.();
    channel = { port: c.port2, waiting };
  }
  const { port, waiting } = channel;
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}

export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (g.setImmediate) return new Promise<void>((r) => g.setImmediate!(r));
  if (g.MessageChannel) return messageChannelYield(g.MessageChannel);
  return new Promise<void>((r) => setTimeout(r, 0));
}
