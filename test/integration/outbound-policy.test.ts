import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Server-side request forgery through HTTP. The local runtime allows local targets (it sets
 * LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS=true); each test here removes the setting, as a deployed stage
 * has it, and shows that webhooks and jwksUri can no longer point at this machine or a private
 * network, in any spelling, and that a refused call tells the caller only a generic reason.
 */

const SETTING = 'LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS';

describe('outbound calls in a deployed stage', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let vouching: ReturnType<typeof api>;
  let connectionId: string;
  let server: Server;
  let local: string;
  const requested: string[] = [];
  let jwks: { keys: unknown[] };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    const account = await admin.post('/v1/service-accounts', { name: 'vouching' });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
    vouching = api(runtime.url, await adminToken(runtime, account.body));
    connectionId = (await admin.post('/v1/idp-connections', { type: 'delegated' })).body.id;
    server = createServer((request, response) => {
      requested.push(request.url ?? '');
      const body = request.url === '/jwks.json' ? jwks : { payload: { plan: 'gold' }, errors: [] };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    process.env[SETTING] = 'true';
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await runtime?.stop();
  });

  const deployed = () => delete process.env[SETTING];

  it('refuses webhook targets on this machine or a private network, in every spelling, naming the field', async () => {
    deployed();
    for (const target of [
      'http://127.1/hook',
      'https://0x7f000001/hook',
      'https://2130706433/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00::1]/hook',
      'https://100.64.0.1/hook',
      'https://[fe80::1]/hook',
      'https://0.0.0.0/hook',
      'https://localhost/hook',
      `${local}/ok`,
    ]) {
      const answer = await admin.post('/v1/applications', { name: 'probe', webhook: { target } });
      expect(answer.status, target).toBe(400);
      expect(answer.body.errors, target).toEqual([{ path: 'webhook.target', message: expect.stringMatching(/must (use https|not point to)/) }]);
    }
    expect((await admin.post('/v1/applications', { name: 'public', webhook: { target: 'https://hooks.example.com/enrich' } })).status).toBe(201);
  });

  it('refuses a logoutUrl (Latchkey posts logout tokens to it) on this machine or a private network, on create and on update', async () => {
    const application = (await admin.post('/v1/applications', { name: 'logout probe', logoutUrl: 'https://app.example.com/logout' })).body;
    deployed();
    for (const logoutUrl of [
      'https://169.254.169.254/latest/meta-data/',
      'https://0x7f000001/logout',
      'https://[fd00::1]/logout',
      'https://10.0.0.7/logout',
      'https://localhost/logout',
      `${local}/logout`,
    ]) {
      const created = await admin.post('/v1/applications', { name: 'probe', logoutUrl });
      expect(created.status, logoutUrl).toBe(400);
      expect(created.body.errors, logoutUrl).toEqual([{ path: 'logoutUrl', message: expect.stringMatching(/must (use https|not point to)/) }]);
      const updated = await admin.patch(`/v1/applications/${application.id}`, { logoutUrl });
      expect(updated.status, logoutUrl).toBe(400);
      expect(updated.body.errors, logoutUrl).toEqual([{ path: 'logoutUrl', message: expect.stringMatching(/must (use https|not point to)/) }]);
    }
    expect((await admin.get(`/v1/applications/${application.id}`)).body.logoutUrl).toBe('https://app.example.com/logout');
    // Login and consent URLs only receive browsers, so they may stay on a private network.
    expect((await admin.post('/v1/applications', { name: 'intranet', loginUrl: 'https://10.0.0.7/login', logoutUrl: 'https://app.example.com/logout' })).status).toBe(201);
  });

  it("refuses an OIDC client's backchannelLogoutUri on this machine or a private network, on create and on update", async () => {
    const shop = (await admin.post('/v1/applications', { name: 'client logout probe' })).body;
    const clients = `/v1/applications/${shop.id}/clients`;
    const client = (await admin.post(clients, { name: 'rp', backchannelLogoutUri: 'https://rp.example.com/logout' })).body;
    expect(client.backchannelLogoutUri).toBe('https://rp.example.com/logout');
    deployed();
    for (const backchannelLogoutUri of ['https://169.254.169.254/latest/meta-data/', 'https://[fd00::1]/logout', 'https://localhost/logout', `${local}/logout`]) {
      const created = await admin.post(clients, { name: 'probe', backchannelLogoutUri });
      expect(created.status, backchannelLogoutUri).toBe(400);
      expect(created.body.errors, backchannelLogoutUri).toEqual([{ path: 'backchannelLogoutUri', message: expect.stringMatching(/must (use https|not point to)/) }]);
      const updated = await admin.patch(`${clients}/${client.id}`, { backchannelLogoutUri });
      expect(updated.status, backchannelLogoutUri).toBe(400);
    }
    expect((await admin.get(`${clients}/${client.id}`)).body.backchannelLogoutUri).toBe('https://rp.example.com/logout');
  });

  it("refuses an upstream OpenID provider's issuer on this machine or a private network, and writes nothing", async () => {
    const shop = (await admin.post('/v1/applications', { name: 'upstream probe' })).body;
    deployed();
    for (const issuer of ['https://169.254.169.254/', 'https://[fd00::1]/', 'https://localhost/', 'http://login.example.com', local]) {
      const created = await admin.post('/v1/idp-connections', {
        type: 'oidc',
        name: 'probe',
        issuer,
        clientId: 'latchkey',
        clientSecret: 'upstream-secret',
        applicationIds: [shop.id],
      });
      expect(created.status, issuer).toBe(400);
      expect(created.body.errors, issuer).toEqual([{ path: 'issuer', message: expect.stringMatching(/must (use https|not point to)/) }]);
    }
    const connections = (await admin.get('/v1/idp-connections')).body.items as { name?: string }[];
    expect(connections.filter((connection) => connection.name === 'probe')).toEqual([]);
  });

  it('answers only a generic reason when a stored webhook may no longer be called, and never calls it', async () => {
    // Stored while local targets were allowed (the local runtime), called once they are not.
    const created = await admin.post('/v1/applications', { name: 'stored', webhook: { target: `${local}/ok`, failurePolicy: 'fail', timeoutMs: 2000 } });
    expect(created.status).toBe(201);
    await admin.post(`/v1/applications/${created.body.id}/webhook-secret`);
    const connection = (await admin.get(`/v1/idp-connections/${connectionId}`)).body;
    await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [...connection.applicationIds, created.body.id] });
    const generate = () => vouching.post('/v1/delegated-access-tokens', { applicationId: created.body.id, subjectId: 'sub-1' });
    expect((await generate()).status).toBe(200);

    deployed();
    const before = requested.length;
    const answer = await generate();
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ code: 'enrichment_failed', detail: `the enrichment webhook of application "${created.body.id}" failed: the webhook could not be reached` });
    expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1|http:|https|loopback|refused|EADDR|ECONN/i);
    expect(requested.length).toBe(before);
  });

  it('refuses a private jwksUri on registration, and never fetches one registered before', async () => {
    const base = `/v1/applications/${(await admin.post('/v1/applications', { name: 'Keys' })).body.id}/clients`;
    const pair = await generateKeyPair('ES256');
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    const remote = (await admin.post(base, { name: 'Remote keys', authMethod: 'private_key_jwt', jwksUri: `${local}/jwks.json` })).body;
    const assertion = () =>
      new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(remote.clientId)
        .setSubject(remote.clientId)
        .setAudience(`${runtime.url}/oauth/v2/token`)
        .setExpirationTime('1m')
        .sign(pair.privateKey);
    const tokenRequest = async () =>
      fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await assertion(),
        }),
      });

    deployed();
    for (const jwksUri of ['https://169.254.169.254/jwks.json', 'https://2130706433/jwks.json', `${local}/jwks.json`, 'https://[::1]/jwks.json']) {
      const answer = await admin.post(base, { name: 'Probe', authMethod: 'private_key_jwt', jwksUri });
      expect(answer.status, jwksUri).toBe(400);
      expect(answer.body.errors, jwksUri).toEqual([{ path: 'jwksUri', message: expect.stringMatching(/must (use https|not point to)/) }]);
    }
    const before = requested.length;
    const refused = await tokenRequest();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect(requested.length).toBe(before);
  });
});
