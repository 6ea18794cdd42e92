import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { documentClient } from '../../src/adapters/dynamodb/store';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * A resource server accepts a token by its `aud`: an audience names one resource of one environment
 * in the whole deployment, is an absolute https URI (or generated), and Latchkey's own are reserved.
 */
describe('resource audiences over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let tenantA: ReturnType<typeof api>;
  let tenantB: ReturnType<typeof api>;
  let environmentB: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    tenantA = api(runtime.url, await adminToken(runtime));
    const b = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Tenant B', environmentName: 'prod' });
    environmentB = b.environment.id;
    tenantB = api(runtime.url, await adminToken(runtime, b.admin));
  });
  afterAll(() => runtime?.stop());

  it("refuses another tenant's audience with 409, and frees it when the resource is deleted", async () => {
    const created = await tenantA.post('/v1/resources', { key: 'orders', audience: 'https://orders.a.example', permissions: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('incarnation');

    const stolen = await tenantB.post('/v1/resources', { key: 'orders', audience: 'https://orders.a.example', permissions: ['read'] });
    expect(stolen.status).toBe(409);
    expect(stolen.body.detail).toContain('https://orders.a.example');
    // Within one environment too, under another key.
    expect((await tenantA.post('/v1/resources', { key: 'orders-2', audience: 'https://orders.a.example' })).status).toBe(409);
    // The refused creation left nothing behind: B's key is still free.
    expect((await tenantB.get('/v1/resources/orders')).status).toBe(404);

    expect((await tenantA.delete('/v1/resources/orders')).status).toBe(204);
    expect((await tenantB.post('/v1/resources', { key: 'orders', audience: 'https://orders.a.example', permissions: ['read'] })).status).toBe(201);
    expect((await tenantA.post('/v1/resources', { key: 'orders', audience: 'https://orders.a.example' })).status).toBe(409);
  });

  it('keeps the audience claimed when a creation fails on a taken key', async () => {
    expect((await tenantA.post('/v1/resources', { key: 'billing', audience: 'https://billing.a.example' })).status).toBe(201);
    // Same key, new audience: refused for the key, and the new audience is released again.
    expect((await tenantA.post('/v1/resources', { key: 'billing', audience: 'https://billing-2.a.example' })).status).toBe(409);
    expect((await tenantB.post('/v1/resources', { key: 'billing', audience: 'https://billing-2.a.example' })).status).toBe(201);
  });

  it('gives each environment its own generated audience for the same key', async () => {
    const a = await tenantA.post('/v1/resources', { key: 'chat' });
    const b = await tenantB.post('/v1/resources', { key: 'chat' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.audience).toBe(`urn:latchkey:${runtime.devAdmin.environmentId}:chat`);
    expect(b.body.audience).toBe(`urn:latchkey:${environmentB}:chat`);
  });

  it('takes over a claim left behind by a creation that stopped half way, but only once no creation can still be running', async () => {
    const table = documentClient(new DynamoDBClient({}));
    const leftBehind = (audience: string, claimedAt: number) =>
      table.send(
        new PutCommand({
          TableName: runtime.resources.tableName,
          Item: { pk: `AUDIENCE#${audience}`, sk: 'AUDIENCE', type: 'audience-claim', audience, environmentId: environmentB, resourceKey: 'gone', incarnation: 'inc_x', claimedAt },
        }),
      );
    await leftBehind('https://recent.example', Date.now());
    await leftBehind('https://abandoned.example', Date.now() - 60 * 60 * 1000);
    // A claim this fresh may belong to a creation still under way.
    expect((await tenantA.post('/v1/resources', { key: 'recent', audience: 'https://recent.example' })).status).toBe(409);
    expect((await tenantA.post('/v1/resources', { key: 'abandoned', audience: 'https://abandoned.example' })).status).toBe(201);
    expect((await tenantB.post('/v1/resources', { key: 'abandoned', audience: 'https://abandoned.example' })).status).toBe(409);
  });

  it.each(
    [
      'javascript:alert(1)',
      'http://orders.example',
      'urn:latchkey:env_aaaaaaaaaaaaaaaaaaaaaaaaaa:orders',
      'https://user:pass@orders.example',
      'https://orders.example/#fragment',
      'orders',
      `https://orders.example/${'a'.repeat(600)}`,
    ].map((audience) => [audience.length > 60 ? `${audience.slice(0, 30)}… (${audience.length} characters)` : audience, audience]),
  )('refuses the audience %s with a 400 naming the field', async (_label, audience) => {
    const answer = await tenantB.post('/v1/resources', { key: 'bad', audience });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'audience' })]);
  });
});
