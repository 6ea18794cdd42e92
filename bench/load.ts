import { Agent, request as httpRequest } from 'node:http';
import type { LocalRuntime } from '../local/runtime';

/** A bounded closed-loop load: `concurrency` workers repeat `request` until the duration ends. */
export async function runLoad(options: { durationMs: number; concurrency: number; request: () => Promise<number> }) {
  const latencies: number[] = [];
  let failures = 0;
  // Of the failures, those answered 429 (a throttle: API Gateway's route throttle, emulated locally).
  let throttled = 0;
  const deadline = performance.now() + options.durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await options.request();
        latencies.push(performance.now() - t);
        if (status >= 400) failures++;
        if (status === 429) throttled++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  const succeeded = latencies.length - failures;
  return { count: latencies.length, succeeded, failures, throttled, perSecond: latencies.length / seconds, succeededPerSecond: succeeded / seconds, p50: at(0.5), p99: at(0.99) };
}

/**
 * One POST of a fixed form over kept-alive connections, answering its status once the body is read.
 * Plain `node:http` rather than `fetch`: the generator shares this machine's cores with the API it
 * loads, and `fetch` spent about twice the CPU per request.
 */
export function formPoster(url: string, headers: Record<string, string>, form: string): { post: () => Promise<number>; close: () => void } {
  const agent = new Agent({ keepAlive: true });
  const target = new URL(url);
  const body = Buffer.from(form);
  const allHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) };
  const post = () =>
    new Promise<number>((resolveStatus, reject) => {
      const outgoing = httpRequest({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: allHeaders }, (response) => {
        response.on('data', () => undefined);
        response.once('end', () => resolveStatus(response.statusCode ?? 0));
        response.once('error', reject);
      });
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  return { post, close: () => agent.destroy() };
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
