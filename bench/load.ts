import type { LocalRuntime } from '../local/runtime';

/** A bounded closed-loop load: `concurrency` workers repeat `request` until the duration ends. */
export async function runLoad(options: { durationMs: number; concurrency: number; request: () => Promise<number> }) {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + options.durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await options.request();
        latencies.push(performance.now() - t);
        if (status >= 400) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return { count: latencies.length, failures, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/** The AWS calls (by X-Amz-Target) that one request costs, averaged over `count` requests. */
export async function callsPerRequest(runtime: LocalRuntime, count: number, request: () => Promise<number>): Promise<Record<string, number>> {
  const before = runtime.awsCalls();
  for (let index = 0; index < count; index++) {
    const status = await request();
    if (status >= 400) throw new Error(`request failed with ${status}`);
  }
  const after = runtime.awsCalls();
  const perRequest: Record<string, number> = {};
  for (const [target, total] of Object.entries(after)) {
    const delta = total - (before[target] ?? 0);
    if (delta > 0) perRequest[target] = delta / count;
  }
  return perRequest;
}
