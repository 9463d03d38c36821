// Small waiting helpers shared by tests and benchmarks.
import { createServer } from 'node:net';

/** Polls `fn` until `ok` holds, or fails with the last value seen. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * A TCP port free on 127.0.0.1 right now, below the kernel's ephemeral range
 * (32768 up): a port the kernel hands out at random could be taken by any
 * outgoing connection of the tests running alongside before the server that
 * was given it binds it. (Temporal's SQL persistence also stores ports as smallint.)
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve, reject));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(port)));
  });
}
