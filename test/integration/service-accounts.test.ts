import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../support/oauth4webapi';

describe('service accounts over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    expect((await admin.post('/v1/resources', { key: 'orders', permissions: ['orders.read', 'orders.write'] })).status).toBe(201);
  });
  afterAll(() => runtime?.stop());

  const createAccount = (name = 'billing', grants = [{ resource: 'orders', permissions: ['orders.read'] }]) => createServiceAccount(admin, { name }, grants);

  const formToken = (credentials: Credentials, extra: Record<string, string> = {}) =>
    fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret, ...extra }),
    });

  it('creates an account whose secret is shown once and authenticates with Basic and form', async () => {
    const account = await createAccount();
    expect(account.clientSecret).toMatch(/^lks_/);
    const read = await admin.get(`/v1/service-accounts/${account.id}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain(account.clientSecret);
    expect(read.body).not.toHaveProperty('secret');

    const basic = await requestToken(runtime.url, account);
    expect(basic.status).toBe(200);
    expect(basic.headers.get('cache-control')).toBe('no-store');
    expect(basic.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    const form = await formToken(account);
    expect(form.status).toBe(200);
    const { access_token } = (await form.json()) as { access_token: string };
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, { issuer: runtime.url });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: account.id, client_id: account.clientId, subjectType: 'ServiceAccount', permissions: { orders: ['orders.read'] } });
  });

  it('answers the documented compatibility request as written, with a resource key for the project id', async () => {
    const account = await createAccount('compat');
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'openid profile email urn:zitadel:iam:user:resourceowner urn:zitadel:iam:org:projects:roles urn:zitadel:iam:org:project:id:orders:aud',
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('Bearer');
    const { payload } = await jwtVerify(body.access_token, jwks);
    expect(payload['urn:zitadel:iam:org:project:orders:roles']).toEqual({ 'orders.read': { [runtime.devAdmin.tenantId]: 'dev' } });
    expect(payload['urn:zitadel:iam:user:resourceowner:id']).toBe(runtime.devAdmin.tenantId);
    // The merged roles claim has the name ZITADEL emits, whatever the scope that asks for it is called.
    expect(payload['urn:zitadel:iam:org:project:roles']).toEqual({ 'orders.read': { [runtime.devAdmin.tenantId]: 'dev' } });
    expect(payload).not.toHaveProperty('urn:zitadel:iam:org:projects:roles');
  });

  it('selects the management audience with the project ID zitadel, as ZITADEL clients ask for it', async () => {
    const body = (await requestToken(runtime.url, runtime.devAdmin, { scope: 'urn:zitadel:iam:org:project:id:zitadel:aud' })).body;
    const { payload } = await jwtVerify(body.access_token as string, jwks);
    expect(payload.aud).toBe(`${runtime.url}/v1`);
    expect((await fetch(`${runtime.url}/v1/resources`, { headers: { authorization: `Bearer ${body.access_token}` } })).status).toBe(200);
  });

  it('completes the client credentials grant with a third-party OAuth client from the discovery document', async () => {
    const account = await createAccount('oauth-client');
    const as = await discoverAuthorizationServer(runtime.url);
    const client: oauth.Client = { client_id: account.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(account.clientSecret), { resource: 'orders' }, insecure);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    const { payload } = await jwtVerify(result.access_token, jwks);
    expect(payload.permissions).toEqual({ orders: ['orders.read'] });
  });

  it('stops the old secret at once after a reset, or after the grace period asked for', async () => {
    const account = await createAccount('rotating');
    const reset = await admin.post(`/v1/service-accounts/${account.id}/secret`);
    expect(reset.status).toBe(200);
    expect((await requestToken(runtime.url, account)).status).toBe(401);
    expect((await requestToken(runtime.url, { clientId: account.clientId, clientSecret: reset.body.clientSecret })).status).toBe(200);

    const graced = await admin.post(`/v1/service-accounts/${account.id}/secret`, { gracePeriodSeconds: 300 });
    expect((await requestToken(runtime.url, { clientId: account.clientId, clientSecret: reset.body.clientSecret })).status).toBe(200);
    expect((await requestToken(runtime.url, { clientId: account.clientId, clientSecret: graced.body.clientSecret })).status).toBe(200);
  });

  it('refuses disabled and deleted accounts as invalid_client with a Basic challenge', async () => {
    const account = await createAccount('short-lived');
    expect((await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: true })).body.disabled).toBe(true);
    const refused = await requestToken(runtime.url, account);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await formToken(account)).headers.get('www-authenticate')).toBeNull();

    await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: false });
    expect((await requestToken(runtime.url, account)).status).toBe(200);
    expect((await admin.delete(`/v1/service-accounts/${account.id}`)).status).toBe(204);
    expect((await requestToken(runtime.url, account)).status).toBe(401);
    expect((await admin.get(`/v1/service-accounts/${account.id}`)).status).toBe(404);
  });

  it('changes expires_in when the environment lifetime changes', async () => {
    const account = await createAccount('lifetime');
    expect((await admin.patch('/v1/environment', { serviceAccountTokenTtlSeconds: 45 })).status).toBe(200);
    const token = await requestToken(runtime.url, account);
    expect(token.body.expires_in).toBe(45);
    const { payload } = await jwtVerify(token.body.access_token as string, jwks);
    expect(payload.exp! - payload.iat!).toBe(45);
    const tooShort = await admin.patch('/v1/environment', { serviceAccountTokenTtlSeconds: 10 });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.detail).toContain('serviceAccountTokenTtlSeconds');
    await admin.patch('/v1/environment', { serviceAccountTokenTtlSeconds: 3600 });
  });

  it('mints a token for an account without its secret', async () => {
    const account = await createAccount('minted');
    const minted = await admin.post(`/v1/service-accounts/${account.id}/access-tokens`);
    expect(minted.status).toBe(201);
    const { payload } = await jwtVerify(minted.body.accessToken, jwks);
    expect(payload.sub).toBe(account.id);
  });

  it('refuses roles, unknown permissions and unknown resources in grants, naming them', async () => {
    const account = await createAccount('granted');
    const roles = await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [], roles: ['ORG_OWNER'] });
    expect(roles.status).toBe(400);
    expect(roles.body.detail).toContain('roles cannot be assigned to service accounts');
    // A grant that names roles instead of permissions hears about the roles, not about missing permissions.
    const rolesOnly = await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'orders', roles: ['ORG_OWNER'] }] });
    expect(rolesOnly.status).toBe(400);
    expect(rolesOnly.body.detail).toBe('invalid request body: grants.0.roles: roles cannot be assigned to service accounts; grant permissions on resources instead');
    expect(rolesOnly.body.errors).toEqual([{ path: 'grants.0.roles', message: 'roles cannot be assigned to service accounts; grant permissions on resources instead' }]);
    const unknown = await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'orders', permissions: ['orders.nuke'] }] });
    expect(unknown.body.detail).toBe('resource "orders" does not define "orders.nuke"');
    const missing = await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'ghost', permissions: ['x'] }] });
    expect(missing.body.detail).toBe('resource "ghost" does not exist in this environment');
    expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([{ resource: 'orders', permissions: ['orders.read'] }]);
  });

  it('pages through the list with an opaque cursor', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await admin.get(`/v1/service-accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) seen.add(item.id);
      cursor = page.body.cursor;
    } while (cursor);
    expect(seen.has(runtime.devAdmin.clientId.split('@')[0]!)).toBe(true);
    expect((await admin.get('/v1/service-accounts?cursor=garbage')).status).toBe(400);
  });

  it('refuses management calls without a valid token', async () => {
    expect((await fetch(`${runtime.url}/v1/service-accounts`)).status).toBe(401);
    const forged = await api(runtime.url, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.').get('/v1/service-accounts');
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('invalid_token');
  });
});
