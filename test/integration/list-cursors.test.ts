import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * List cursors are opaque to clients but carry a position in the caller's own partition. A cursor
 * that was altered, or rewritten to point into another environment, must be refused, never followed.
 */

describe('list cursors', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    for (const name of ['one', 'two', 'three']) expect((await admin.post('/v1/service-accounts', { name })).status).toBe(201);
  });
  afterAll(() => runtime?.stop());

  it("carries only a position, never a partition: the caller's environment always comes from its token", async () => {
    const first = await admin.get<{ cursor: string }>('/v1/service-accounts?limit=1');
    expect(first.status).toBe(200);
    const inner = JSON.parse(Buffer.from(first.body.cursor, 'base64url').toString()) as Record<string, unknown>;
    expect(Object.keys(inner)).toEqual(['sk']);
    expect(JSON.stringify(inner)).not.toMatch(/env_|ten_|ENV#/);
  });

  it('refuses a cursor that is not one the listing returned, or that points at other kinds of record, with 400', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const tampered = ['garbage', encode({ sk: 'RESOURCE#orders' }), encode({ sk: 'PAT#sa_x#pat_y' }), encode({ sk: 42 }), encode(['SERVICE_ACCOUNT#sa_x'])];
    for (const cursor of tampered) {
      const answer = await admin.get(`/v1/service-accounts?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status, `cursor ${cursor}`).toBe(400);
      expect(answer.body).toMatchObject({ code: 'invalid_request' });
    }
  });

  it("ignores a partition smuggled into a cursor: the page still comes from the caller's environment", async () => {
    const own = (await admin.get<{ items: { clientId: string }[] }>('/v1/service-accounts')).body.items;
    const environment = own[0]!.clientId.split('@')[1];
    const smuggled = Buffer.from(JSON.stringify({ pk: 'ENV#env_zzzzzzzzzzzzzzzzzzzzzzzzzz', sk: 'SERVICE_ACCOUNT#sa_' })).toString('base64url');
    const answer = await admin.get<{ items: { clientId: string }[] }>(`/v1/service-accounts?cursor=${smuggled}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items.length).toBeGreaterThan(0);
    for (const item of answer.body.items) expect(item.clientId.endsWith(`@${environment}`)).toBe(true);
  });
});
