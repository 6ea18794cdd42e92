import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../../src/adapters/from-environment';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * The management audience never shares a token with another: a token the management API accepts
 * is of no use to any resource server, so none of them can replay what it receives there.
 */
describe('the management audience over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let both: Credentials & { id: string };
  let customerOnly: Credentials & { id: string };
  const management = () => `${runtime.url}/v1`;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    expect((await admin.post('/v1/resources', { key: 'orders', audience: 'https://orders.example.test', permissions: ['orders.read'] })).status).toBe(201);
    const create = async (name: string, grants: unknown[]) => {
      const created = await admin.post('/v1/service-accounts', { name });
      expect((await admin.put(`/v1/service-accounts/${created.body.id}/permissions`, { grants })).status).toBe(200);
      return created.body;
    };
    both = await create('both', [
      { resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] },
      { resource: 'orders', permissions: ['orders.read'] },
    ]);
    customerOnly = await create('customer-only', [{ resource: 'orders', permissions: ['orders.read'] }]);
  });
  afterAll(() => runtime?.stop());

  it('gives an account with built-in permissions a management-only token when no resource is asked for', async () => {
    const answer = await requestToken(runtime.url, both);
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token as string);
    expect(claims.aud).toBe(management());
    expect(claims.permissions).toEqual({ latchkey: ['SERVICE_ACCOUNTS_READ'] });
    expect((await api(runtime.url, answer.body.access_token as string).get('/v1/service-accounts')).status).toBe(200);
  });

  it('gives the customer resource only when asked for, and that token does not open the management API', async () => {
    const answer = await requestToken(runtime.url, both, { resource: 'orders' });
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token as string);
    expect(claims.aud).toBe('https://orders.example.test');
    expect(claims.permissions).toEqual({ orders: ['orders.read'] });
    expect((await api(runtime.url, answer.body.access_token as string).get('/v1/service-accounts')).status).toBe(401);
  });

  it('gives an account without built-in permissions its customer audiences, as before', async () => {
    const claims = decodeJwt((await requestToken(runtime.url, customerOnly)).body.access_token as string);
    expect(claims.aud).toBe('https://orders.example.test');
    expect(claims.permissions).toEqual({ orders: ['orders.read'] });
  });

  it('refuses asking for the management API together with another resource, by every way of asking', async () => {
    const byResource = await requestToken(runtime.url, both, { resource: 'orders' });
    expect(byResource.status).toBe(200);
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    params.append('resource', 'latchkey');
    params.append('resource', 'orders');
    const mixed = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${both.clientId}:${both.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: params,
    });
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: string }).error).toBe('invalid_target');

    const byScope = await requestToken(runtime.url, both, {
      scope: 'urn:zitadel:iam:org:project:id:latchkey:aud urn:zitadel:iam:org:project:id:orders:aud',
    });
    expect(byScope.status).toBe(400);

    const byAudience = await requestToken(runtime.url, both, { scope: 'urn:zitadel:iam:org:project:id:orders:aud', resource: management() });
    expect(byAudience.status).toBe(400);

    const minted = await admin.post(`/v1/service-accounts/${both.id}/access-tokens`, { resource: ['latchkey', 'orders'] });
    expect(minted.status).toBe(400);
  });

  it('gives a GraphQL-issued token the management audience alone', async () => {
    const response = await fetch(`${runtime.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($i: AuthenticateServiceAccountInput!){ authenticateServiceAccount(input: $i){ accessToken } }',
        variables: { i: { clientId: both.clientId, clientSecret: both.clientSecret } },
      }),
    });
    const body = (await response.json()) as { data: { authenticateServiceAccount: { accessToken: string } } };
    expect(decodeJwt(body.data.authenticateServiceAccount.accessToken).aud).toBe(management());
  });

  it('refuses a correctly signed token whose audience names the management API and another', async () => {
    // Such tokens were issued before this rule; sign one with the deployment's own key to prove the API refuses it.
    const signer = signingKeys();
    const valid = decodeJwt((await requestToken(runtime.url, both)).body.access_token as string);
    const now = Math.floor(Date.now() / 1000);
    const sign = (aud: unknown) => signer.sign({ ...valid, aud, jti: `tok_${Math.random().toString(36).slice(2)}`, iat: now, exp: now + 300 }, { typ: 'at+jwt' });
    expect((await api(runtime.url, await sign([management(), 'https://orders.example.test'])).get('/v1/service-accounts')).status).toBe(401);
    expect((await api(runtime.url, await sign([management()])).get('/v1/service-accounts')).status).toBe(200);
  });
});
