import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { adminToken, api, createServiceAccount } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/** Over HTTP: personal access tokens as bearer tokens on the management API. */
describe('personal access tokens over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  /** A service account holding the given management permissions. */
  const createAccount = (permissions: string[] = ['SERVICE_ACCOUNTS_READ']) => createServiceAccount(admin, { name: 'automation' }, [{ resource: 'latchkey', permissions }]);

  const createPat = async (accountId: string, body?: unknown) => {
    const created = await admin.post(`/v1/service-accounts/${accountId}/personal-access-tokens`, body);
    expect(created.status).toBe(201);
    return created.body as { id: string; token: string; name?: string; createdAt: string; expiresAt?: string; serviceAccountId: string };
  };

  const patPath = (accountId: string, patId = '') => `/v1/service-accounts/${accountId}/personal-access-tokens${patId ? `/${patId}` : ''}`;

  it('creates a PAT, uses it on the management API, revokes it, and is refused afterwards', async () => {
    const account = await createAccount();
    const pat = await createPat(account.id, { name: 'ci pipeline' });
    expect(pat.token).toMatch(/^lkp_[a-z2-7]{26}_[a-z2-7]{26}_[a-z2-7]{26}_[A-Za-z0-9_-]{43}$/);
    expect(pat).toMatchObject({ id: expect.stringMatching(/^pat_/), name: 'ci pipeline', serviceAccountId: account.id });
    // Without an expiry asked for, the environment's maximum lifetime (a year by default) applies.
    expect(Date.parse(pat.expiresAt!) - Date.parse(pat.createdAt)).toBeGreaterThan(365 * 86_400_000 - 2000);
    expect(Date.parse(pat.expiresAt!) - Date.parse(pat.createdAt)).toBeLessThanOrEqual(365 * 86_400_000 + 1000);

    const asPat = api(runtime.url, pat.token);
    const listed = await asPat.get('/v1/service-accounts');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(account.id);

    expect((await admin.delete(patPath(account.id, pat.id))).status).toBe(204);
    const refused = await asPat.get('/v1/service-accounts');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'invalid_token', detail: 'the personal access token is not valid' });
    expect((await admin.delete(patPath(account.id, pat.id))).status).toBe(404);
  });

  it('never shows the token again: listing and reading answer metadata only', async () => {
    const account = await createAccount();
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30 * 86_400_000).toISOString();
    const pat = await createPat(account.id, { name: 'deploy', expiresAt });
    expect(pat.expiresAt).toBe(expiresAt);

    const list = await admin.get(patPath(account.id));
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([{ id: pat.id, serviceAccountId: account.id, name: 'deploy', createdAt: pat.createdAt, expiresAt: pat.expiresAt }]);
    const read = await admin.get(patPath(account.id, pat.id));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(list.body.items[0]);
    const secret = pat.token.slice(-43);
    for (const body of [list.body, read.body, (await admin.get(`/v1/service-accounts/${account.id}`)).body]) {
      expect(JSON.stringify(body)).not.toContain(secret);
      expect(JSON.stringify(body)).not.toMatch(/hash/i);
    }
  });

  it('refuses an expired PAT, and lists it no more', async () => {
    const account = await createAccount();
    const pat = await createPat(account.id, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const asPat = api(runtime.url, pat.token);
    expect((await asPat.get('/v1/service-accounts')).status).toBe(200);

    // The handlers share this process's clock: a second past the expiry, without waiting for it.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(pat.expiresAt!) + 1000);
    const refused = await asPat.get('/v1/service-accounts');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect((await admin.get(patPath(account.id))).body.items).toEqual([]);
    expect((await admin.get(patPath(account.id, pat.id))).status).toBe(404);
  });

  it("caps every PAT at the environment's maximum lifetime: refuses a longer expiry with 400, and ends one asked for without expiry", async () => {
    // An environment of its own, so the setting changed here reaches no other test.
    const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'PAT lifetimes', environmentName: 'prod' });
    const otherAdmin = api(runtime.url, await adminToken(runtime, other.admin));
    const otherAdminId = other.admin.clientId.split('@')[0];
    const forever = await otherAdmin.post(patPath(otherAdminId!), { expiresAt: '2999-01-01T00:00:00Z' });
    expect(forever.status).toBe(400);
    expect(forever.body.detail).toContain('expiresAt must be at most 31536000 seconds (365 days) from now');
    expect(forever.body.errors).toEqual([expect.objectContaining({ path: 'expiresAt' })]);

    expect((await otherAdmin.get('/v1/environment')).body.personalAccessTokenMaxLifetimeSeconds).toBe(365 * 86_400);
    const longer = await otherAdmin.patch('/v1/environment', { personalAccessTokenMaxLifetimeSeconds: 366 * 86_400 });
    expect(longer.status).toBe(400);
    expect(longer.body.detail).toContain('personalAccessTokenMaxLifetimeSeconds must be a whole number of seconds from 3600 (an hour) to 31536000 (a year)');
    const week = 7 * 86_400;
    expect((await otherAdmin.patch('/v1/environment', { personalAccessTokenMaxLifetimeSeconds: week })).status).toBe(200);
    const refused = await otherAdmin.post(patPath(otherAdminId!), { expiresAt: new Date(Date.now() + 8 * 86_400_000).toISOString() });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('at most 604800 seconds (7 days) from now');

    const pat = await otherAdmin.post(patPath(otherAdminId!), {});
    expect(pat.status).toBe(201);
    expect(Date.parse(pat.body.expiresAt) - Date.parse(pat.body.createdAt)).toBeLessThanOrEqual(week * 1000 + 1000);
    const asPat = api(runtime.url, pat.body.token);
    expect((await asPat.get('/v1/service-accounts')).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(pat.body.expiresAt) + 1000);
    expect((await asPat.get('/v1/service-accounts')).status).toBe(401);
  });

  it("refuses the PAT of a disabled account, for good, follows the owner's current grants, and dies with the owner", async () => {
    const account = await createAccount(['SERVICE_ACCOUNTS_READ', 'RESOURCES_READ']);
    const before = api(runtime.url, (await createPat(account.id)).token);
    expect((await before.get('/v1/resources')).status).toBe(200);

    expect((await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: true })).status).toBe(200);
    const disabled = await before.get('/v1/resources');
    expect(disabled.status).toBe(401);
    expect(disabled.body).toMatchObject({ code: 'invalid_token', detail: expect.stringContaining('disabled or deleted') });
    // Disabling revokes as a revoking reset does: enabling again revives no PAT made before.
    expect((await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: false })).status).toBe(200);
    expect((await before.get('/v1/resources')).status).toBe(401);
    const asPat = api(runtime.url, (await createPat(account.id)).token);
    expect((await asPat.get('/v1/resources')).status).toBe(200);

    // Permissions are the owner's as they are now, not as they were when the PAT was made.
    await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }] });
    const narrowed = await asPat.get('/v1/resources');
    expect(narrowed.status).toBe(403);
    expect(narrowed.body.detail).toContain('RESOURCES_READ');

    expect((await admin.delete(`/v1/service-accounts/${account.id}`)).status).toBe(204);
    expect((await asPat.get('/v1/service-accounts')).status).toBe(401);
  });

  it('lets a PAT act only within its permissions, including on PATs', async () => {
    const reader = await createAccount(['SERVICE_ACCOUNTS_READ']);
    const asReader = api(runtime.url, (await createPat(reader.id)).token);
    expect((await asReader.get(patPath(reader.id))).status).toBe(200);
    const denied = await asReader.post(patPath(reader.id), {});
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'not_authorized', detail: expect.stringContaining('SERVICE_ACCOUNTS_EDIT') });
  });

  it('refuses forged, tampered and malformed PATs with invalid_token', async () => {
    const account = await createAccount();
    const pat = await createPat(account.id);
    const last = pat.token.at(-1) === 'A' ? 'B' : 'A';
    for (const token of [`${pat.token.slice(0, -1)}${last}`, 'lkp_', 'lkp_not-a-token', pat.token.replace(account.id.slice(3), 'a'.repeat(26))]) {
      const answer = await api(runtime.url, token).get('/v1/service-accounts');
      expect(answer.status, token).toBe(401);
      expect(answer.body.code).toBe('invalid_token');
    }
    const none = await fetch(`${runtime.url}/v1/service-accounts`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('token_required');
  });

  it('refuses bad input with a 400 naming the field, and unknown accounts with a 404', async () => {
    const account = await createAccount();
    const past = await admin.post(patPath(account.id), { expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ code: 'invalid_request', detail: expect.stringContaining('expiresAt must be in the future') });
    expect(past.body.errors).toEqual([expect.objectContaining({ path: 'expiresAt' })]);

    const malformed = await admin.post(patPath(account.id), { expiresAt: 'tomorrow' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toContain('expiresAt');

    const unknownField = await admin.post(patPath(account.id), { name: 'x', scopes: ['all'] });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.detail).toContain('scopes');

    expect((await admin.post(patPath(account.id), '{not json')).status).toBe(400);
    expect((await admin.post(patPath(account.id), { name: '' })).status).toBe(400);
    expect((await admin.get(`${patPath(account.id)}?limit=0`)).status).toBe(400);

    const missing = await admin.post(patPath('sa_aaaaaaaaaaaaaaaaaaaaaaaaaa'), {});
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain('service account');
    expect((await admin.get(patPath(account.id, 'pat_aaaaaaaaaaaaaaaaaaaaaaaaaa'))).status).toBe(404);
    expect((await admin.get(patPath(account.id, 'not-an-id'))).status).toBe(404);
    expect((await admin.delete(patPath('sa%23x', 'pat_aaaaaaaaaaaaaaaaaaaaaaaaaa'))).status).toBe(404);
  });
});
