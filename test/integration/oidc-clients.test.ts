import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClientStore } from '../../src/adapters/dynamodb/client-store';
import { documentClient } from '../../src/adapters/dynamodb/store';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('OIDC clients over the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let appId: string;
  let base: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    appId = (await admin.post('/v1/applications', { name: 'Shop' })).body.id;
    base = `/v1/applications/${appId}/clients`;
    for (const key of ['orders', 'payments']) {
      expect((await admin.post('/v1/resources', { key, permissions: ['read'] })).status).toBe(201);
    }
  });
  afterAll(() => runtime?.stop());

  const form = (fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
    return body;
  };
  const token = async (fields: Record<string, string | string[]>) => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'client_credentials', ...fields }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
  };

  it('creates, reads, lists, changes, rotates and deletes a client', async () => {
    const created = await admin.post(base, { name: 'Web shop', redirectUris: ['https://shop.example.com/callback'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^cl_[a-z2-7]{26}$/),
      clientId: expect.stringMatching(new RegExp(`^cl_[a-z2-7]{26}@${runtime.devAdmin.environmentId}$`)),
      clientSecret: expect.stringMatching(/^lks_/),
      applicationId: appId,
      protocol: 'oidc',
      clientType: 'web',
      thirdParty: false,
      authMethod: 'client_secret_basic',
      pkce: 'allow',
      tokenBinding: false,
      promptValues: ['login', 'consent', 'none'],
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 1_209_600,
      maxRefreshSeconds: 1_209_600,
      accessValiditySeconds: 2_592_000,
    });
    expect(created.body).not.toHaveProperty('secret');
    const { clientId, clientSecret, id } = created.body;

    const read = await admin.get(`${base}/${id}`);
    expect(read.status).toBe(200);
    const { clientSecret: _shown, ...withoutSecret } = created.body;
    expect(read.body).toEqual(withoutSecret);
    expect((await admin.get(`${base}/${encodeURIComponent(clientId)}`)).body.id).toBe(id);
    expect((await admin.get(base)).body.items.map((c: { id: string }) => c.id)).toContain(id);

    const changed = await admin.patch(`${base}/${id}`, { name: 'Shop web', description: 'storefront', clientType: 'native', redirectUris: ['com.example.shop:/callback'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Shop web', description: 'storefront', clientType: 'native', clientId, redirectUris: ['com.example.shop:/callback'] });
    const cleared = await admin.patch(`${base}/${id}`, { description: null });
    expect(cleared.body).not.toHaveProperty('description');

    expect((await requestToken(runtime.url, { clientId, clientSecret })).status).toBe(200);
    const rotated = await admin.post(`${base}/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).toMatch(/^lks_/);
    expect(rotated.body.clientSecret).not.toBe(clientSecret);
    expect((await requestToken(runtime.url, { clientId, clientSecret })).body.error).toBe('invalid_client');
    expect((await requestToken(runtime.url, { clientId, clientSecret: rotated.body.clientSecret })).status).toBe(200);

    expect((await admin.delete(`${base}/${id}`)).status).toBe(204);
    expect((await admin.get(`${base}/${id}`)).status).toBe(404);
    expect((await admin.delete(`${base}/${id}`)).status).toBe(404);
    expect((await requestToken(runtime.url, { clientId, clientSecret: rotated.body.clientSecret })).status).toBe(401);
  });

  it('answers 404 for a client of another application and for an unknown application', async () => {
    const other = (await admin.post('/v1/applications', { name: 'Other' })).body.id;
    const { id } = (await admin.post(base, { name: 'Mine' })).body;
    expect((await admin.get(`/v1/applications/${other}/clients/${id}`)).status).toBe(404);
    expect((await admin.post('/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa/clients', { name: 'x' })).body).toMatchObject({ status: 404, code: 'not_found' });
  });

  describe.each([
    ['http://shop.example.com/cb', 'web', 'must use https'],
    ['https://*.example.com/cb', 'web', 'contains a wildcard'],
    ['https://shop.example.com/cb#done', 'web', 'has a fragment'],
    ['/relative/callback', 'web', 'is not an absolute URI'],
    ['https://user:pw@shop.example.com/cb', 'web', 'user name or password'],
    ['com.example.app:/callback', 'web', 'must use https'],
    ['myapp://callback', 'native', 'only reverse-domain schemes'],
    ['javascript:alert(1)', 'native', 'only reverse-domain schemes'],
    ['http://10.0.0.1/cb', 'native', 'allowed only for localhost, 127.0.0.1 and [::1]'],
  ])('refuses the redirect URI %s for a %s client', (uri, clientType, rule) => {
    it('naming the URI and the rule', async () => {
      const refused = await admin.post(base, { name: 'Bad', clientType, redirectUris: ['https://ok.example.com/cb', uri] });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.detail).toContain(`redirectUris.1: "${uri}"`);
      expect(refused.body.detail).toContain(rule);
      expect(refused.body.errors).toEqual([{ path: 'redirectUris.1', message: expect.stringContaining(rule) }]);
    });
  });

  it('accepts https, local http and reverse-domain schemes by client type', async () => {
    const web = await admin.post(base, { name: 'Web', redirectUris: ['https://a.example.com/cb', 'http://localhost:3000/cb', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb'] });
    expect(web.status).toBe(201);
    const native = await admin.post(base, {
      name: 'App',
      clientType: 'native',
      redirectUris: ['com.example.app:/oauth', 'com.example.app://callback', 'https://app.example.com/cb'],
    });
    expect(native.status).toBe(201);
  });

  describe.each([
    [{ clientType: 'desktop' }, 'clientType'],
    [{ authMethod: 'client_secret_jwt' }, 'authMethod'],
    [{ pkce: 'sometimes' }, 'pkce'],
    [{ promptValues: ['login', 'select_account'] }, 'promptValues.1'],
    [{ idTokenClaims: ['email', 'salary'] }, 'idTokenClaims.1: "salary" is not a claim'],
    [{ resources: [{ resource: 'missing' }] }, 'resources.0.resource: resource "missing" does not exist'],
    [{ resources: [{ resource: 'latchkey' }] }, 'resources.0.resource: the management API'],
    [{ resources: [{ resource: 'orders', accessTokenTtlSeconds: 5 }] }, 'resources.0.accessTokenTtlSeconds: must be a whole number of seconds from 30'],
    [{ accessTokenTtlSeconds: 10 }, 'accessTokenTtlSeconds: must be a whole number of seconds from 30 to 86400'],
    [{ refreshTokenTtlSeconds: 100 }, 'refreshTokenTtlSeconds'],
    [{ refreshTokenTtlSeconds: 7200, maxRefreshSeconds: 3600 }, 'maxRefreshSeconds: must be at least refreshTokenTtlSeconds'],
    [{ accessValiditySeconds: 10 }, 'accessValiditySeconds'],
    [{ consentRedirectUris: ['http://consent.example.com'] }, 'consentRedirectUris.0: "http://consent.example.com" must use https'],
    [{ scopes: ['two words'] }, 'scopes.0: "two words" is not a scope token'],
    [{ authMethod: 'private_key_jwt' }, 'jwks: private_key_jwt needs exactly one of jwks and jwksUri'],
    [{ authMethod: 'private_key_jwt', jwksUri: 'http://keys.example.com/jwks' }, 'jwksUri: "http://keys.example.com/jwks" must use https'],
    [{ authMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks.keys.0: holds private or symmetric key material (k)'],
    [{ authMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] } }, 'jwks.keys.0: is not a valid public JWK'],
    [{ jwksUri: 'https://keys.example.com/jwks' }, 'jwksUri: is used only with authMethod private_key_jwt'],
    [{ authMethod: 'self_signed_tls_client_auth' }, 'tlsClientCertificate: self_signed_tls_client_auth needs the PEM certificate'],
    [{ authMethod: 'self_signed_tls_client_auth', tlsClientCertificate: 'not a certificate' }, 'tlsClientCertificate: must be exactly one PEM certificate'],
    [{ tokenBinding: true }, 'tokenBinding: is used only with authMethod self_signed_tls_client_auth'],
    [{ color: 'blue' }, 'color'],
  ])('refuses the setting %j', (settings, named) => {
    it(`naming ${named.split(':')[0]}`, async () => {
      const refused = await admin.post(base, { name: 'Bad', ...settings });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.detail).toContain(named);
    });
  });

  it('refuses an invalid change without changing anything', async () => {
    const { id } = (await admin.post(base, { name: 'Stable', redirectUris: ['https://stable.example.com/cb'] })).body;
    const refused = await admin.patch(`${base}/${id}`, { name: 'Changed', redirectUris: ['http://stable.example.com/cb'] });
    expect(refused.status).toBe(400);
    expect((await admin.get(`${base}/${id}`)).body).toMatchObject({ name: 'Stable', redirectUris: ['https://stable.example.com/cb'] });
  });

  describe('client credentials with a secret and resources', () => {
    let client: { clientId: string; clientSecret: string; id: string };

    beforeAll(async () => {
      client = (await admin.post(base, { name: 'Backend', resources: [{ resource: 'orders', accessTokenTtlSeconds: 300 }], scopes: ['orders.read'] })).body;
    });

    it('issues a client token for the client itself when no resource is asked for', async () => {
      const answer = await requestToken(runtime.url, client);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(answer.body.access_token as string, jwks, { issuer: runtime.url, audience: client.clientId, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: client.id, client_id: client.clientId, subjectType: 'Client', applicationId: appId, environmentId: runtime.devAdmin.environmentId });
      expect(payload).not.toHaveProperty('permissions');
      expect(payload).not.toHaveProperty('cnf');
    });

    it('issues a token for one allowed resource, by key or audience, with that resource’s lifetime', async () => {
      const byKey = await requestToken(runtime.url, client, { resource: 'orders', scope: 'orders.read' });
      expect(byKey.status).toBe(200);
      expect(byKey.body).toMatchObject({ expires_in: 300, scope: 'orders.read' });
      const claims = decodeJwt(byKey.body.access_token as string);
      const orders = (await admin.get('/v1/resources/orders')).body;
      expect(claims.aud).toBe(orders.audience);
      expect(claims.exp! - claims.iat!).toBe(300);
      expect((await requestToken(runtime.url, client, { resource: orders.audience })).status).toBe(200);
    });

    it('answers invalid_target for a resource the client may not request, or for two', async () => {
      const notAllowed = await requestToken(runtime.url, client, { resource: 'payments' });
      expect(notAllowed.status).toBe(400);
      expect(notAllowed.body).toMatchObject({ error: 'invalid_target', error_description: 'resource "payments" is not one this client may request' });
      const unknown = await requestToken(runtime.url, client, { resource: 'https://nowhere.example.com' });
      expect(unknown.body.error).toBe('invalid_target');
      const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
      const both = await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: 'client_credentials', resource: ['orders', 'orders'] }),
      });
      expect(await both.json()).toMatchObject({ error: 'invalid_target', error_description: 'a client may request one resource per token request' });
    });

    it('answers invalid_scope for a scope the client was not given', async () => {
      expect((await requestToken(runtime.url, client, { scope: 'orders.write' })).body.error).toBe('invalid_scope');
    });

    it('refuses a wrong secret, and a secret sent by a method the client is not registered for', async () => {
      const wrong = await requestToken(runtime.url, { clientId: client.clientId, clientSecret: 'lks_wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(wrong.body.error_description).toBe('client authentication failed');
      const posted = await token({ client_id: client.clientId, client_secret: client.clientSecret });
      expect(posted.status).toBe(401);
      expect(posted.body).toEqual({ error: 'invalid_client', error_description: 'the client is registered for the client_secret_basic authentication method' });
      expect(posted.headers.get('www-authenticate')).toBeNull();
      // A client library shows the developer which method to configure; the secret itself is never judged.
      const misconfigured = await oidc.discovery(new URL(runtime.url), client.clientId, undefined, oidc.ClientSecretPost('lks_wrong'), {
        execute: [oidc.allowInsecureRequests],
      });
      await expect(oidc.clientCredentialsGrant(misconfigured, { resource: 'orders' })).rejects.toMatchObject({
        error: 'invalid_client',
        error_description: 'the client is registered for the client_secret_basic authentication method',
      });
    });

    it('refuses client credentials to a client that enforces PKCE instead of a secret', async () => {
      const spa = (await admin.post(base, { name: 'SPA', pkce: 'enforce_instead_of_secret', authMethod: 'client_secret_post' })).body;
      const answer = await token({ client_id: spa.clientId, client_secret: spa.clientSecret });
      expect(answer.body.error).toBe('unauthorized_client');
    });
  });

  describe('private_key_jwt', () => {
    let privateKey: CryptoKey;
    let client: { clientId: string; id: string };
    const audience = () => `${runtime.url}/oauth/v2/token`;
    const assertion = (claims: Record<string, unknown> = {}, key: CryptoKey = privateKey) =>
      new SignJWT({ jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience((claims.aud as string) ?? audience())
        .setIssuedAt()
        .setExpirationTime((claims.exp as number) ?? '2m')
        .sign(key);
    const withAssertion = (jwt: string, extra: Record<string, string> = {}) => token({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra });

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256');
      privateKey = pair.privateKey;
      const jwk = await exportJWK(pair.publicKey);
      const created = await admin.post(base, { name: 'Signed', authMethod: 'private_key_jwt', jwks: { keys: [{ ...jwk, use: 'sig', alg: 'ES256' }] } });
      expect(created.status).toBe(201);
      client = created.body;
    });

    it('issues a token for an assertion signed by the registered key, with or without client_id', async () => {
      const answer = await withAssertion(await assertion());
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body.access_token)).toMatchObject({ sub: client.id, subjectType: 'Client' });
      expect((await withAssertion(await assertion(), { client_id: client.clientId })).status).toBe(200);
      // The issuer is an accepted audience too.
      expect((await withAssertion(await assertion({ aud: runtime.url }))).status).toBe(200);
    });

    it('refuses a replayed assertion', async () => {
      const jwt = await assertion();
      expect((await withAssertion(jwt)).status).toBe(200);
      const replayed = await withAssertion(jwt);
      expect(replayed.status).toBe(401);
      expect(replayed.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    });

    it('refuses an assertion for another audience, a long-lived one, a foreign key and a mismatched client_id', async () => {
      expect((await withAssertion(await assertion({ aud: 'https://other.example.com/token' }))).body.error).toBe('invalid_client');
      const inAnHour = Math.floor(Date.now() / 1000) + 3600;
      expect((await withAssertion(await assertion({ exp: inAnHour }))).body.error).toBe('invalid_client');
      const foreign = (await generateKeyPair('ES256')).privateKey;
      expect((await withAssertion(await assertion({}, foreign))).body.error).toBe('invalid_client');
      const other = (await admin.post(base, { name: 'Other' })).body.clientId;
      expect((await withAssertion(await assertion(), { client_id: other })).body.error).toBe('invalid_client');
      const noJti = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience(audience())
        .setExpirationTime('1m')
        .sign(privateKey);
      expect((await withAssertion(noJti)).body.error).toBe('invalid_client');
    });

    it('refuses a client secret from a private_key_jwt client, and an unknown assertion type', async () => {
      expect((await token({ client_id: client.clientId, client_secret: 'lks_x' })).body.error).toBe('invalid_client');
      const wrongType = await token({ client_assertion_type: 'urn:example:saml', client_assertion: await assertion() });
      expect(wrongType.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('client_assertion_type must be') });
    });

    it('accepts a jti again only once its record has expired (TTL deletes late, the embedded DynamoDB never)', async () => {
      const store = new DynamoDbClientStore(documentClient(new DynamoDBClient({})), runtime.resources.tableName);
      const environmentId = runtime.devAdmin.environmentId;
      const now = Math.floor(Date.now() / 1000);
      expect(await store.recordAssertionId(environmentId, client.id, 'jti-1', now + 60, now)).toBe(true);
      expect(await store.recordAssertionId(environmentId, client.id, 'jti-1', now + 60, now + 59)).toBe(false);
      expect(await store.recordAssertionId(environmentId, client.id, 'jti-1', now + 200, now + 60)).toBe(true);
      // Kept per client: another client may use the same jti.
      expect(await store.recordAssertionId(environmentId, 'cl_other', 'jti-1', now + 60, now)).toBe(true);
    });

    it('verifies with keys fetched from a jwksUri', async () => {
      const pair = await generateKeyPair('RS256');
      const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
      const server: Server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
        const remote = (await admin.post(base, { name: 'Remote keys', authMethod: 'private_key_jwt', jwksUri: uri })).body;
        const jwt = await new SignJWT({ jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(remote.clientId)
          .setSubject(remote.clientId)
          .setAudience(audience())
          .setExpirationTime('1m')
          .sign(pair.privateKey);
        expect((await withAssertion(jwt)).status).toBe(200);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  it('stops the clients of a deleted application', async () => {
    const shortLived = (await admin.post('/v1/applications', { name: 'Short-lived' })).body.id;
    const doomed = (await admin.post(`/v1/applications/${shortLived}/clients`, { name: 'Doomed' })).body;
    expect((await requestToken(runtime.url, doomed)).status).toBe(200);
    expect((await admin.delete(`/v1/applications/${shortLived}`)).status).toBe(204);
    expect((await requestToken(runtime.url, doomed)).body.error).toBe('invalid_client');
  });

  it('advertises the client authentication methods in discovery', async () => {
    const metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'self_signed_tls_client_auth']));
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
  });

  it('requires APPLICATIONS_EDIT to change clients', async () => {
    const reader = (await admin.post('/v1/service-accounts', { name: 'reader' })).body;
    await admin.put(`/v1/service-accounts/${reader.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['APPLICATIONS_READ'] }] });
    const limited = api(runtime.url, await adminToken(runtime, reader));
    expect((await limited.get(base)).status).toBe(200);
    const refused = await limited.post(base, { name: 'Nope' });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('APPLICATIONS_EDIT');
  });
});
