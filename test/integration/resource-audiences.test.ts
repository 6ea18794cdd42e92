import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
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

  it('stores an audience in its normal form, and refuses every other spelling of it with 409, in this tenant and in others', async () => {
    const created = await tenantA.post('/v1/resources', { key: 'ledger', audience: 'https://api.example.com/ledger', permissions: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body.audience).toBe('https://api.example.com/ledger');
    for (const spelling of [
      'HTTPS://API.example.com:443/ledger/',
      'https://api.example.com/%6cedger',
      'https://api.example.com/v2/../ledger',
      'https://api.example.com:0443/./ledger',
    ]) {
      const taken = await tenantB.post('/v1/resources', { key: 'ledger-copy', audience: spelling });
      expect(taken.status, spelling).toBe(409);
      expect(taken.body.detail, spelling).toContain('"https://api.example.com/ledger"');
      expect((await tenantA.post('/v1/resources', { key: 'ledger-copy', audience: spelling })).status, spelling).toBe(409);
    }
    const spelled = await tenantB.post('/v1/resources', { key: 'billing-root', audience: 'HTTPS://Billing.Example.com' });
    expect(spelled.body.audience).toBe('https://billing.example.com');
  });

  it.each([
    ['https://api.example.com/ledger#', 'fragment'],
    ['https://api.example.com/ledger?', 'empty query'],
    ['https://api.example.com./ledger', 'dot'],
    ['https://\u0430pi.example.com/ledger', 'punycode'],
    ['https://api.example.com\\ledger', 'backslash'],
  ])('refuses the look-alike audience %s with a 400 saying why (%s)', async (audience, reason) => {
    const answer = await tenantB.post('/v1/resources', { key: 'look-alike', audience });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ path: 'audience', message: expect.stringContaining(reason) }]);
  });

  it('finds a resource by any spelling of its audience in the RFC 8707 resource parameter, and puts the normal form in aud', async () => {
    expect((await tenantA.post('/v1/resources', { key: 'stock', audience: 'https://api.example.com/stock', permissions: ['read'] })).status).toBe(201);
    const account = await tenantA.post('/v1/service-accounts', { name: 'stock-reader' });
    expect((await tenantA.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'stock', permissions: ['read'] }] })).status).toBe(200);
    const answer = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: account.body.clientId,
        client_secret: account.body.clientSecret,
        resource: 'HTTPS://API.Example.com:443/%73tock/',
      }),
    });
    expect(answer.status).toBe(200);
    const claims = decodeJwt(((await answer.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ aud: 'https://api.example.com/stock', permissions: { stock: ['read'] } });
  });
});
