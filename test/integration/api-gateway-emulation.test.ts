import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, throttleOf, type Operation } from '../../lib/routes';
import { apiGatewayListener, MAX_PAYLOAD_BYTES } from '../../local/api-gateway';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { requestTime } from '../../local/api-gateway-event';

/**
 * What API Gateway itself does before and after a function runs, as the local emulation reproduces
 * it, seen through HTTP with test handlers that report the event they receive.
 */

const echo = (name: string, path: string, throttle?: Operation['throttle']): Operation => ({
  name,
  handler: 'test/support/handlers/echo.ts',
  routes: [{ method: 'POST', path }],
  access: {},
  summary: name,
  ...(throttle ? { throttle } : {}),
});
const testOperations: Operation[] = [
  echo('echo', '/echo'),
  echo('throttled', '/throttled', { rateLimit: 1, burstLimit: 2 }),
  operations.find((operation) => operation.name === 'route-fallback')!,
];
const stuck: Operation = { name: 'stuck', handler: 'test/support/handlers/never-answers.ts', routes: [{ method: 'GET', path: '/stuck' }], access: {}, summary: 'stuck' };

async function serve(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

let clock = Date.parse('2020-03-12T19:03:58Z');
let server: Server;
let url: string;
beforeAll(async () => {
  ({ server, url } = await serve(apiGatewayListener({ operations: testOperations, rootDir: REPOSITORY_ROOT, throttleOf: (operation) => operation.throttle, now: () => clock })));
});
afterAll(() => close(server));

const post = (path: string, body: string | Uint8Array, contentType: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });

describe('the API Gateway emulation', () => {
  it('passes form bodies base64-encoded, JSON bodies as text', async () => {
    const form = await (await post('/echo', 'grant_type=client_credentials&scope=a+b', 'application/x-www-form-urlencoded')).json();
    expect(form).toMatchObject({ isBase64Encoded: true, body: Buffer.from('grant_type=client_credentials&scope=a+b').toString('base64') });
    const json = await (await post('/echo', '{"a":1}', 'application/json')).json();
    expect(json).toMatchObject({ isBase64Encoded: false, body: '{"a":1}' });
  });

  it("writes requestContext.time in API Gateway's format, with timeEpoch in milliseconds", async () => {
    expect(requestTime(new Date('2020-03-12T19:03:58.123Z'))).toBe('12/Mar/2020:19:03:58 +0000');
    expect(requestTime(new Date('2021-01-02T03:04:05Z'))).toBe('02/Jan/2021:03:04:05 +0000');
    const answer = (await (await post('/echo', '', 'text/plain')).json()) as { time: string; timeEpoch: number };
    expect(answer.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    const [, day, month, year, hh, mm, ss] = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})/.exec(answer.time)!;
    expect(Date.parse(`${day} ${month} ${year} ${hh}:${mm}:${ss} GMT`)).toBe(Math.floor(answer.timeEpoch / 1000) * 1000);
  });

  it('answers 413 to a body over 10 MB without calling the function, and accepts one at the limit', async () => {
    const over = await post('/echo', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x61), 'application/octet-stream');
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ message: 'Request Entity Too Large' });
    const at = await post('/echo', Buffer.alloc(MAX_PAYLOAD_BYTES, 0x61), 'application/octet-stream');
    expect(at.status).toBe(200);
    expect(((await at.json()) as { bodyLength: number }).bodyLength).toBe(Buffer.alloc(MAX_PAYLOAD_BYTES).toString('base64').length);
  });

  it('answers 503 Service Unavailable when the function outlives the integration timeout', async () => {
    // A short timeout (the real one is 30 s) and a function that never answers: the outcome does not depend on speed.
    const stuckApi = await serve(apiGatewayListener({ operations: [stuck], rootDir: REPOSITORY_ROOT, integrationTimeoutMs: 50 }));
    try {
      const answer = await fetch(`${stuckApi.url}/stuck`);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({ message: 'Service Unavailable' });
    } finally {
      await close(stuckApi.server);
    }
  });

  it("answers 429 once a route's burst is spent, and again after the bucket refills at the route's rate", async () => {
    const statuses = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await post('/throttled', '', 'text/plain')).status));
    expect((await statuses(3)).sort()).toEqual([200, 200, 429]);
    const refused = await post('/throttled', '', 'text/plain');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ message: 'Too Many Requests' });
    // Another route keeps its own bucket.
    expect((await post('/echo', '', 'text/plain')).status).toBe(200);
    clock += 1000; // one second at 1 request per second: one more
    expect((await statuses(2)).sort()).toEqual([200, 429]);
  });
});

describe("the emulation's default throttles", () => {
  it("come from the route table's throttleOf: the public class refuses the request after its burst", async () => {
    const publicBurst = 200; // DEFAULT_THROTTLES.public, which the fallback route falls under
    let now = 0;
    const defaults = await serve(apiGatewayListener({ operations, rootDir: REPOSITORY_ROOT, now: () => now }));
    try {
      const base = defaults.url;
      for (let i = 0; i < publicBurst; i++) expect((await fetch(`${base}/no-such-path`)).status).toBe(404);
      expect((await fetch(`${base}/no-such-path`)).status).toBe(429);
      now += 1000;
      expect((await fetch(`${base}/no-such-path`)).status).toBe(404);
    } finally {
      await close(defaults.server);
    }
  });

  it('throttle generateDelegatedAccessToken alike through REST and GraphQL: one operation, one limit, whichever door', async () => {
    // The two routes as the route table declares them, answered by the echo handler: only the throttle is under test.
    const doors = operations
      .filter((operation) => ['generate-delegated-access-token', 'graphql'].includes(operation.name))
      .map((operation) => ({ ...operation, handler: 'test/support/handlers/echo.ts' }));
    const managementBurst = 100; // DEFAULT_THROTTLES.management: more than this must not be refused on either door
    const stopped = await serve(apiGatewayListener({ operations: doors, rootDir: REPOSITORY_ROOT, now: () => 0 }));
    try {
      for (const [path, body] of [
        ['/v1/delegated-access-tokens', '{}'],
        ['/graphql', '{"query":"mutation { generateDelegatedAccessToken(input: {}) { accessToken } }"}'],
      ] as const) {
        const statuses = new Set<number>();
        for (let i = 0; i <= managementBurst; i++) {
          statuses.add((await fetch(`${stopped.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
        }
        expect([...statuses], path).toEqual([200]);
      }
    } finally {
      await close(stopped.server);
    }
    expect(throttleOf(doors[0]!)).toEqual(throttleOf(doors[1]!));
  });
});
