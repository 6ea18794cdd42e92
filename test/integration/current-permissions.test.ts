import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Permissions take effect at once: the management API authorizes with the account's current grants
 * (never a token's `permissions` claim), a secret reset can revoke earlier tokens, and a permission
 * dropped from a resource, or a deleted resource, is out of every later token; a resource created
 * again under the same key does not bring old grants back.
 */
describe('permissions that take effect at once, over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  const createAccount = (name: string, grants: unknown[]) => createServiceAccount(admin, { name }, grants);
  const reader = [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }];
  const introspect = async (as: Credentials, token: string) => {
    const response = await fetch(`${runtime.url}/oauth/v2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: as.clientId, client_secret: as.clientSecret }),
    });
    return ((await response.json()) as { active: boolean }).active;
  };

  it('takes a revoked grant away from an earlier JWT and PAT at once, and a new grant gives it back', async () => {
    const account = await createAccount('revoked-reader', reader);
    const token = await adminToken(runtime, account);
    expect(decodeJwt(token).permissions).toEqual({ latchkey: ['SERVICE_ACCOUNTS_READ'] });
    const pat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {})).body.token as string;
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(200);

    expect((await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [] })).status).toBe(200);
    // The token still claims the permission; the API does not believe it.
    const refused = await api(runtime.url, token).get('/v1/service-accounts');
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('SERVICE_ACCOUNTS_READ');
    expect((await api(runtime.url, pat).get('/v1/service-accounts')).status).toBe(403);

    expect((await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: reader })).status).toBe(200);
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(200);
  });

  it('ends earlier JWTs, opaque tokens and PATs on a reset with revokeTokens, while the new secret works at once', async () => {
    const account = await createAccount('compromised', reader);
    const opaque = (await admin.post('/v1/service-accounts', { name: 'compromised-opaque', accessTokenType: 'opaque' })).body as Credentials & { id: string };
    const token = await adminToken(runtime, account);
    const pat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {})).body.token as string;
    const opaqueToken = (await requestToken(runtime.url, opaque)).body.access_token as string;
    expect(await introspect(account, token)).toBe(true);
    expect(await introspect(account, opaqueToken)).toBe(true);

    // Without revokeTokens a reset leaves earlier tokens alone (only the secret changes).
    const plain = await admin.post(`/v1/service-accounts/${account.id}/secret`, {});
    expect(plain.status).toBe(200);
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(200);

    const reset = await admin.post(`/v1/service-accounts/${account.id}/secret`, { revokeTokens: true });
    expect(reset.status).toBe(200);
    expect(reset.body.tokensValidAfter).toEqual(expect.any(String));
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(401);
    expect((await api(runtime.url, pat).get('/v1/service-accounts')).status).toBe(401);
    const fresh = { clientId: account.clientId, clientSecret: reset.body.clientSecret as string };
    expect(await introspect(fresh, token)).toBe(false);
    expect(await introspect(fresh, pat)).toBe(false);

    // Tokens issued after the reset work at once, even within the same second.
    const newToken = await adminToken(runtime, fresh);
    expect((await api(runtime.url, newToken).get('/v1/service-accounts')).status).toBe(200);
    expect(await introspect(fresh, newToken)).toBe(true);
    const newPat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {})).body.token as string;
    expect((await api(runtime.url, newPat).get('/v1/service-accounts')).status).toBe(200);

    const opaqueReset = await admin.post(`/v1/service-accounts/${opaque.id}/secret`, { revokeTokens: true });
    expect(await introspect(fresh, opaqueToken)).toBe(false);
    const newOpaque = (await requestToken(runtime.url, { clientId: opaque.clientId, clientSecret: opaqueReset.body.clientSecret })).body.access_token as string;
    expect(await introspect(fresh, newOpaque)).toBe(true);
  });

  it('refuses a reset that revokes tokens but gives the leaked secret a grace period, and changes nothing', async () => {
    const account = await createAccount('leaked', reader);
    const token = await adminToken(runtime, account);
    const refused = await admin.post(`/v1/service-accounts/${account.id}/secret`, { revokeTokens: true, gracePeriodSeconds: 3600 });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('cannot be combined with revokeTokens');
    expect(refused.body.errors).toEqual([{ path: 'gracePeriodSeconds', message: expect.stringContaining('must stop at once') }]);
    expect(refused.body).not.toHaveProperty('clientSecret');
    // The secret and the token were left alone; the same reset without a grace period ends the old secret at once.
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(200);
    expect((await admin.post(`/v1/service-accounts/${account.id}/secret`, { revokeTokens: true, gracePeriodSeconds: 0 })).status).toBe(200);
    expect((await requestToken(runtime.url, account)).status).toBe(401);
  });

  it('drops a permission a resource no longer defines from grants and later tokens', async () => {
    expect((await admin.post('/v1/resources', { key: 'invoices', permissions: ['invoices.read', 'invoices.write'] })).status).toBe(201);
    const account = await createAccount('invoicing', [{ resource: 'invoices', permissions: ['invoices.read', 'invoices.write'] }]);
    expect((await admin.patch('/v1/resources/invoices', { permissions: ['invoices.read'] })).status).toBe(200);
    const claims = decodeJwt((await requestToken(runtime.url, account, { resource: 'invoices' })).body.access_token as string);
    expect(claims.permissions).toEqual({ invoices: ['invoices.read'] });
    expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([{ resource: 'invoices', permissions: ['invoices.read'] }]);
    // Defining it again makes a new permission: the old grant does not come back.
    expect((await admin.patch('/v1/resources/invoices', { permissions: ['invoices.read', 'invoices.write'] })).status).toBe(200);
    const later = decodeJwt((await requestToken(runtime.url, account, { resource: 'invoices' })).body.access_token as string);
    expect(later.permissions).toEqual({ invoices: ['invoices.read'] });
    // A name or lifetime change keeps the grants.
    expect((await admin.patch('/v1/resources/invoices', { name: 'Invoices' })).status).toBe(200);
    expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([{ resource: 'invoices', permissions: ['invoices.read'] }]);
  });

  it('does not bring grants back when a deleted resource is created again under the same key', async () => {
    expect((await admin.post('/v1/resources', { key: 'payments', permissions: ['payments.refund'] })).status).toBe(201);
    const account = await createAccount('refunds', [{ resource: 'payments', permissions: ['payments.refund'] }]);
    expect(decodeJwt((await requestToken(runtime.url, account)).body.access_token as string).permissions).toEqual({ payments: ['payments.refund'] });

    expect((await admin.delete('/v1/resources/payments')).status).toBe(204);
    expect((await requestToken(runtime.url, account, { resource: 'payments' })).body.error).toBe('invalid_target');
    expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([]);

    expect((await admin.post('/v1/resources', { key: 'payments', permissions: ['payments.refund'] })).status).toBe(201);
    const again = decodeJwt((await requestToken(runtime.url, account, { resource: 'payments' })).body.access_token as string);
    expect(again.permissions).toEqual({});
    expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([]);
  });

  it('revives no earlier JWT, opaque token or PAT when a disabled account is enabled again, while new ones work', async () => {
    const account = await createAccount('disabled-for-a-while', reader);
    const opaque = (await admin.post('/v1/service-accounts', { name: 'disabled-opaque', accessTokenType: 'opaque' })).body as Credentials & { id: string };
    const token = await adminToken(runtime, account);
    const pat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {})).body.token as string;
    const opaqueToken = (await requestToken(runtime.url, opaque)).body.access_token as string;
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(200);
    expect(await introspect(opaque, opaqueToken)).toBe(true);

    for (const id of [account.id, opaque.id]) {
      const disabled = await admin.patch(`/v1/service-accounts/${id}`, { disabled: true });
      expect(disabled.body).toMatchObject({ disabled: true, tokensValidAfter: expect.any(String) });
      const enabled = await admin.patch(`/v1/service-accounts/${id}`, { disabled: false });
      expect(enabled.body).toMatchObject({ disabled: false, tokensValidAfter: disabled.body.tokensValidAfter });
    }

    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(401);
    expect((await api(runtime.url, pat).get('/v1/service-accounts')).status).toBe(401);
    expect(await introspect(account, token)).toBe(false);
    expect(await introspect(account, pat)).toBe(false);
    expect(await introspect(opaque, opaqueToken)).toBe(false);

    // The secret still works, and what it gets now works, even within the second of the disable.
    const newToken = await adminToken(runtime, account);
    expect((await api(runtime.url, newToken).get('/v1/service-accounts')).status).toBe(200);
    expect(await introspect(account, newToken)).toBe(true);
    const newPat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {})).body.token as string;
    expect((await api(runtime.url, newPat).get('/v1/service-accounts')).status).toBe(200);
    const newOpaque = (await requestToken(runtime.url, opaque)).body.access_token as string;
    expect(await introspect(opaque, newOpaque)).toBe(true);
  });
});
