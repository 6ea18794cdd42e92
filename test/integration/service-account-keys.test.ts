import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_THROTTLE_POLICY } from '../../src/domain/authentication-throttle';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Over HTTP, with jose as the client: service-account keys (brought or made by Latchkey) and the JWT
 * bearer grant (RFC 7523 §2.1), and the same keys as `private_key_jwt` client authentication.
 */
describe('service-account keys and the JWT bearer grant', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    // Only Date is faked, and it runs in real time: a test moves it on instead of waiting.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    await admin.post('/v1/resources', { key: 'orders', permissions: ['orders.read'] });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await runtime?.stop();
  });

  type Account = Credentials & { id: string };
  type KeyFile = { type: string; keyId: string; clientId: string; key: JWK };
  const keysPath = (accountId: string, keyId = '') => `/v1/service-accounts/${accountId}/keys${keyId ? `/${keyId}` : ''}`;

  const newAccount = (grants = [{ resource: 'orders', permissions: ['orders.read'] }]) => createServiceAccount<Account>(admin, { name: `keyed ${randomUUID()}` }, grants);

  /** A key Latchkey makes: the key file, and the private key imported from it as a client would. */
  const generatedKey = async (accountId: string, body: object = {}) => {
    const created = await admin.post(keysPath(accountId), body);
    expect(created.status).toBe(201);
    const keyFile = created.body.keyFile as KeyFile;
    return { keyFile, keyId: keyFile.keyId, privateKey: (await importJWK(keyFile.key, 'ES256')) as CryptoKey, alg: 'ES256' };
  };

  interface Claims {
    iss?: string;
    sub?: string;
    aud?: string;
    exp?: number;
    iat?: number;
    jti?: string;
  }
  const sign = (key: CryptoKey | KeyObject, alg: string, kid: string, clientId: string, claims: Claims = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setIssuer(claims.iss ?? clientId)
      .setSubject(claims.sub ?? clientId)
      .setAudience(claims.aud ?? `${runtime.url}/oauth/v2/token`)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 300)
      .setJti(claims.jti ?? randomUUID())
      .sign(key);
  };

  const tokenRequest = async (form: Record<string, string>) => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(form) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const bearerGrant = (assertion: string, extra: Record<string, string> = {}) => tokenRequest({ grant_type: JWT_BEARER, assertion, ...extra });

  const expectRefused = (answer: { status: number; body: Record<string, unknown> }) => {
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'the assertion was refused' });
  };

  it('answers a generated key file once, and its key gets the same token as client credentials', async () => {
    const account = await newAccount();
    const { keyFile, keyId, privateKey } = await generatedKey(account.id);
    expect(keyFile).toMatchObject({ type: 'serviceaccount', keyId: expect.stringMatching(/^sak_/), clientId: account.clientId, key: { kty: 'EC', crv: 'P-256', kid: keyId } });
    expect(keyFile.key.d).toEqual(expect.any(String));

    const listed = await admin.get(keysPath(account.id));
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: keyId, generated: true, algorithms: ['ES256'], publicKeyJwk: expect.objectContaining({ kid: keyId }) })]);
    const read = await admin.get(keysPath(account.id, keyId));
    expect(read.body).toEqual(listed.body.items[0]);
    for (const body of [listed.body, read.body]) expect(JSON.stringify(body)).not.toContain(keyFile.key.d);

    const byKey = await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId), { resource: 'orders' });
    const bySecret = await requestToken(runtime.url, account, { resource: 'orders' });
    expect(byKey.status).toBe(200);
    expect(Object.keys(byKey.body).sort()).toEqual(Object.keys(bySecret.body).sort());
    expect(byKey.body).toMatchObject({ token_type: 'Bearer', expires_in: bySecret.body.expires_in });
    const withoutTimes = (token: unknown) => {
      const { iat: _iat, exp: _exp, jti: _jti, ...claims } = decodeJwt(token as string);
      return claims;
    };
    expect(withoutTimes(byKey.body.access_token)).toEqual(withoutTimes(bySecret.body.access_token));
    expect(withoutTimes(byKey.body.access_token)).toMatchObject({ sub: account.id, aud: expect.stringContaining('orders'), permissions: { orders: ['orders.read'] } });
  });

  it('takes a brought RSA public key, for the grant and as private_key_jwt client authentication; refuses private members', async () => {
    const account = await newAccount();
    const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true });
    const refused = await admin.post(keysPath(account.id), { publicKeyJwk: await exportJWK(privateKey) });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('publicKeyJwk must hold the public key only, never the private one: remove "d"');
    const p521 = await admin.post(keysPath(account.id), { publicKeyJwk: await exportJWK((await generateKeyPair('ES512')).publicKey) });
    expect(p521.status).toBe(400);
    expect(p521.body.detail).toContain('P-256 or P-384');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const refusedSmall = await admin.post(keysPath(account.id), { publicKeyJwk: small });
    expect(refusedSmall.status).toBe(400);
    expect(refusedSmall.body.detail).toContain('must be an RSA key of 2048 to 8192 bits (this one has 1024)');
    expect((await admin.get(keysPath(account.id))).body.items).toEqual([]);

    const created = await admin.post(keysPath(account.id), { publicKeyJwk: await exportJWK(publicKey) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ generated: false, algorithms: ['RS256', 'PS256'] });
    expect(created.body.keyFile).toBeUndefined();
    const keyId = created.body.id as string;

    expect((await bearerGrant(await sign(privateKey, 'PS256', keyId, account.clientId))).status).toBe(200);
    const asClient = await tokenRequest({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await sign(privateKey, 'PS256', keyId, account.clientId, { aud: runtime.url }),
      resource: 'orders',
    });
    expect(asClient.status).toBe(200);
    expect(decodeJwt(asClient.body.access_token)).toMatchObject({ sub: account.id, permissions: { orders: ['orders.read'] } });
  });

  it('says which methods a service account is registered for when it uses another, and nothing of an unknown one', async () => {
    const account = await newAccount();
    const configured = (auth: oidc.ClientAuth, clientId = account.clientId) =>
      oidc.discovery(new URL(runtime.url), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
    const refusal = async (auth: oidc.ClientAuth, clientId?: string) => {
      const error = await oidc.clientCredentialsGrant(await configured(auth, clientId), { resource: 'orders' }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      return { error: (error as { error?: string }).error, description: (error as { error_description?: string }).error_description };
    };
    const secretOnly = { error: 'invalid_client', description: 'the service account is registered for the client_secret_basic or client_secret_post authentication method' };
    const { privateKey } = await generateKeyPair('ES256');
    // No keys: private_key_jwt is not registered, whatever key signs; nor is sending no credential.
    expect(await refusal(oidc.PrivateKeyJwt({ key: privateKey, kid: 'sak_aaaaaaaaaaaaaaaaaaaaaaaaaa' }))).toEqual(secretOnly);
    expect(await refusal(oidc.PrivateKeyJwt(privateKey))).toEqual(secretOnly);
    expect(await refusal(oidc.None())).toEqual(secretOnly);

    const key = await generatedKey(account.id);
    const withKey = {
      error: 'invalid_client',
      description: 'the service account is registered for the client_secret_basic, client_secret_post or private_key_jwt authentication method',
    };
    expect(await refusal(oidc.None())).toEqual(withKey);
    // A key it does not have is a failed authentication, not another method.
    expect(await refusal(oidc.PrivateKeyJwt({ key: privateKey, kid: 'sak_aaaaaaaaaaaaaaaaaaaaaaaaaa' }))).toEqual({
      error: 'invalid_client',
      description: 'client authentication failed',
    });
    expect((await oidc.clientCredentialsGrant(await configured(oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.keyId })), { resource: 'orders' })).access_token).toEqual(
      expect.any(String),
    );
    expect((await oidc.clientCredentialsGrant(await configured(oidc.ClientSecretPost(account.clientSecret)), { resource: 'orders' })).access_token).toEqual(expect.any(String));

    const gone = await newAccount();
    expect((await admin.delete(`/v1/service-accounts/${gone.id}`)).status).toBe(204);
    expect(await refusal(oidc.None(), gone.clientId)).toEqual({ error: 'invalid_client', description: 'client authentication failed' });
  });

  it('refuses a replayed jti, an expired assertion, one living over an hour, a wrong aud and a kid the account does not have, each audited', async () => {
    const account = await newAccount();
    const other = await newAccount();
    const { keyId, privateKey } = await generatedKey(account.id);
    const { keyId: otherKeyId, privateKey: otherKey } = await generatedKey(other.id);
    const now = Math.floor(Date.now() / 1000);

    const once = await sign(privateKey, 'ES256', keyId, account.clientId);
    expect((await bearerGrant(once)).status).toBe(200);
    expectRefused(await bearerGrant(once));
    expectRefused(await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { iat: now - 600, exp: now - 120 })));
    expectRefused(await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { exp: now + 2 * 3600 })));
    expect((await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { exp: now + 3500 }))).status).toBe(200);
    expectRefused(await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { aud: 'https://elsewhere.example.com/token' })));
    expectRefused(await bearerGrant(await sign(privateKey, 'ES256', 'sak_aaaaaaaaaaaaaaaaaaaaaaaaaa', account.clientId)));
    // Another account's key, under its own kid or this account's: neither is this account's key.
    expectRefused(await bearerGrant(await sign(otherKey, 'ES256', otherKeyId, account.clientId)));
    expectRefused(await bearerGrant(await sign(otherKey, 'ES256', keyId, account.clientId)));
    // sub must be the client ID too.
    expectRefused(await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { sub: other.clientId })));

    const events = (await admin.get(`/v1/audit-events?targetId=${account.id}`)).body.items as Record<string, unknown>[];
    const failures = events.filter((event) => event.action === 'service_account.authentication_failed');
    expect(failures).toHaveLength(8);
    expect(failures[0]).toMatchObject({ outcome: 'failure', errorCode: 'invalid_grant', actor: { clientId: account.clientId } });
  });

  it('refuses a deleted key, an expired key, and every key of a disabled or deleted account', async () => {
    const account = await newAccount();
    const deleted = await generatedKey(account.id);
    const expiring = await generatedKey(account.id, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const kept = await generatedKey(account.id);
    const assertion = (key: typeof kept) => sign(key.privateKey, 'ES256', key.keyId, account.clientId);

    expect((await bearerGrant(await assertion(deleted))).status).toBe(200);
    const deleting = await admin.delete(keysPath(account.id, deleted.keyId));
    expect(deleting.status).toBe(204);
    expectRefused(await bearerGrant(await assertion(deleted)));
    expect((await admin.get(keysPath(account.id, deleted.keyId))).status).toBe(404);

    expect((await bearerGrant(await assertion(expiring))).status).toBe(200);
    vi.setSystemTime(Date.now() + 2 * 60_000);
    expectRefused(await bearerGrant(await assertion(expiring)));
    expect((await admin.get(keysPath(account.id))).body.items.map((key: { id: string }) => key.id)).toEqual([kept.keyId]);

    expect((await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: true })).status).toBe(200);
    expectRefused(await bearerGrant(await assertion(kept)));
    expect((await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: false })).status).toBe(200);
    expect((await bearerGrant(await assertion(kept))).status).toBe(200);

    expect((await admin.delete(`/v1/service-accounts/${account.id}`)).status).toBe(204);
    expectRefused(await bearerGrant(await assertion(kept)));
    expect((await admin.get(keysPath(account.id))).status).toBe(404);
    // The records themselves are gone with the account, not only unusable.
    const environmentId = account.clientId.split('@')[1];
    const left = await DynamoDBDocumentClient.from(new DynamoDBClient({})).send(
      new QueryCommand({
        TableName: runtime.resources.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `ENV#${environmentId}`, ':prefix': `SA_KEY#${account.id}#` },
      }),
    );
    expect(left.Items).toEqual([]);
  });

  it('holds an account to ten keys, and lets only a caller covering the account add or delete one', async () => {
    const account = await newAccount();
    const ids: string[] = [];
    for (let n = 0; n < 10; n += 1) ids.push((await generatedKey(account.id)).keyId);
    const eleventh = await admin.post(keysPath(account.id), {});
    expect(eleventh.status).toBe(409);
    expect(eleventh.body.detail).toContain('already has 10 keys');

    // A manager of service accounts that lacks RESOURCES_EDIT, which the target holds.
    const target = await newAccount([{ resource: 'latchkey', permissions: ['RESOURCES_EDIT'] }]);
    const targetKey = await generatedKey(target.id);
    const manager = await newAccount([{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_EDIT', 'SERVICE_ACCOUNTS_READ'] }]);
    const asManager = api(runtime.url, await adminToken(runtime, manager));
    const adding = await asManager.post(keysPath(target.id), {});
    expect(adding.status).toBe(403);
    expect(adding.body.detail).toContain('RESOURCES_EDIT');
    expect((await asManager.delete(keysPath(target.id, targetKey.keyId))).status).toBe(403);
    expect((await admin.get(keysPath(target.id))).body.items).toHaveLength(1);
    // An account it covers is its to manage.
    expect((await asManager.post(keysPath(manager.id), {})).status).toBe(201);
  });

  it('counts refused assertions against the failed-authentication throttle, as wrong secrets are', async () => {
    const account = await newAccount();
    const { keyId, privateKey } = await generatedKey(account.id);
    const windowMs = DEFAULT_THROTTLE_POLICY.windowSeconds * 1000;
    vi.setSystemTime((Math.floor(Date.now() / windowMs) + 1) * windowMs);
    for (let n = 0; n < DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress; n += 1) {
      expectRefused(await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId, { aud: 'https://elsewhere.example.com' })));
    }
    const throttled = await bearerGrant(await sign(privateKey, 'ES256', keyId, account.clientId));
    expect(throttled.status).toBe(429);
  });

  it('advertises the grant in discovery', async () => {
    const metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(JWT_BEARER);
  });
});
