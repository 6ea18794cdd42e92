import { beforeEach, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { createResource } from '../../src/domain/resources';
import { authenticateWithSecret, mintForServiceAccount } from '../../src/domain/service-account-tokens';
import { createServiceAccount, deleteServiceAccount, listServiceAccounts, resetSecret, setPermissions, updateServiceAccount } from '../../src/domain/service-accounts';
import { updateEnvironment } from '../../src/domain/environments';
import type { TokenSigner } from '../../src/domain/ports';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';
import { standInSigner } from '../support/stand-in-jwt';

const ISSUER = 'https://id.example.test';
let now = Date.parse('2026-01-01T00:00:00Z');

describe('service accounts and their tokens (domain)', () => {
  let store: MemoryStore;
  let deps: { store: MemoryStore; hasher: typeof plainHasher; now: () => number; issuer: string; signer: TokenSigner; opaqueTokens: MemoryTokenStore };
  let admin: Caller;

  beforeEach(async () => {
    store = new MemoryStore();
    now = Date.parse('2026-01-01T00:00:00Z');
    deps = { store, hasher: plainHasher, now: () => now, issuer: ISSUER, signer: standInSigner, opaqueTokens: new MemoryTokenStore(store) };
    const { environment, admin: account } = await bootstrapEnvironment(deps, { tenantName: 'Acme', environmentName: 'prod' });
    admin = { tenantId: environment.tenantId, environmentId: environment.id, accountId: account.id, permissions: account.grants };
    await createResource(deps, admin, { key: 'orders', permissions: ['orders.read', 'orders.write'], audience: 'https://orders.example.test' });
    await createResource(deps, admin, { key: 'chat', permissions: ['chat.admin.all'], accessTokenTtlSeconds: 120 });
  });

  const newAccount = async (grants: Record<string, string[]> = { orders: ['orders.read'] }) => {
    const account = await createServiceAccount(deps, admin, { name: 'billing' });
    await setPermissions(deps, admin, account.id, { grants: Object.entries(grants).map(([resource, permissions]) => ({ resource, permissions })) });
    return account;
  };

  it('answers the secret once and stores only its keyed hash', async () => {
    const account = await createServiceAccount(deps, admin, { name: 'billing' });
    expect(account.clientSecret).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    const stored = store.accounts.get(`${admin.environmentId}/${account.id}`)!;
    expect(JSON.stringify(stored)).not.toContain(account.clientSecret);
    expect(stored.secret.current).toBe(await plainHasher.hash(account.clientSecret));
  });

  it('issues a token with exactly the granted permissions and the service-account claims', async () => {
    const account = await newAccount();
    const token = await authenticateWithSecret(deps, account.clientId, account.clientSecret, {});
    expect(token.claims).toMatchObject({
      iss: ISSUER,
      sub: account.id,
      aud: 'https://orders.example.test',
      client_id: account.clientId,
      name: 'billing',
      subjectType: 'ServiceAccount',
      tenantId: admin.tenantId,
      environmentId: admin.environmentId,
      permissions: { orders: ['orders.read'] },
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    expect(token.claims.jti).toMatch(/^tok_/);
    expect(store.tokenContextReads).toBe(1);
  });

  it('narrows the token to a requested resource and its shorter lifetime', async () => {
    const account = await newAccount({ orders: ['orders.read'], chat: ['chat.admin.all'] });
    const token = await authenticateWithSecret(deps, account.clientId, account.clientSecret, { resources: ['chat'] });
    expect(token.claims.permissions).toEqual({ chat: ['chat.admin.all'] });
    expect(token.expiresInSeconds).toBe(120);
    const byAudience = await authenticateWithSecret(deps, account.clientId, account.clientSecret, { resources: ['https://orders.example.test'] });
    expect(byAudience.claims.permissions).toEqual({ orders: ['orders.read'] });
  });

  it('adds role and resource-owner claims for the compatibility scopes', async () => {
    const account = await newAccount({ orders: ['orders.read'] });
    const token = await authenticateWithSecret(deps, account.clientId, account.clientSecret, {
      scope: 'openid urn:zitadel:iam:org:project:id:orders:aud urn:zitadel:iam:org:projects:roles urn:zitadel:iam:user:resourceowner',
    });
    const roles = { 'orders.read': { [admin.tenantId]: 'prod' } };
    expect(token.claims['urn:zitadel:iam:org:project:orders:roles']).toEqual(roles);
    expect(token.claims['urn:zitadel:iam:org:project:roles']).toEqual(roles);
    expect(token.claims).not.toHaveProperty('urn:zitadel:iam:org:projects:roles');
    expect(token.claims['urn:zitadel:iam:user:resourceowner:name']).toBe('Acme');
    expect(token.claims['urn:zitadel:iam:user:resourceowner:primary_domain']).toBe('prod');
  });

  it('refuses unknown scopes and resources with their RFC codes', async () => {
    const account = await newAccount();
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, { scope: 'admin' })).rejects.toMatchObject({ code: 'invalid_scope' });
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, { resources: ['nope'] })).rejects.toMatchObject({ code: 'invalid_target' });
  });

  it('refuses wrong, disabled and deleted credentials alike, keeping the reason for the log', async () => {
    const account = await newAccount();
    await expect(authenticateWithSecret(deps, account.clientId, 'lks_wrong', {})).rejects.toMatchObject({
      code: 'invalid_client',
      internalDetail: expect.stringContaining('wrong secret'),
    });
    await updateServiceAccount(deps, admin, account.id, { disabled: true });
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, {})).rejects.toMatchObject({
      code: 'invalid_client',
      internalDetail: expect.stringContaining('disabled'),
    });
    await deleteServiceAccount(deps, admin, account.id);
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, {})).rejects.toMatchObject({
      code: 'invalid_client',
      message: 'client authentication failed',
    });
    await expect(authenticateWithSecret(deps, 'not-a-client-id', 'x', {})).rejects.toMatchObject({ code: 'invalid_client' });
  });

  it('answers a delete whose record went during the call (its own retried attempt) as done, and an absent one as not found', async () => {
    const account = await newAccount();
    const deleteOnce = store.deleteServiceAccount.bind(store);
    // The first attempt commits and its answer is lost; the retry finds nothing to delete.
    store.deleteServiceAccount = async (environmentId, id, version) => {
      await deleteOnce(environmentId, id, version);
      return false;
    };
    await deleteServiceAccount(deps, admin, account.id);
    expect(await store.getServiceAccount(admin.environmentId, account.id)).toBeUndefined();
    await expect(deleteServiceAccount(deps, admin, account.id)).rejects.toMatchObject({ status: 404 });
  });

  it('keeps the old secret working only for the grace period of a reset', async () => {
    const account = await newAccount();
    const reset = await resetSecret(deps, admin, account.id, { gracePeriodSeconds: 60 });
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, {})).resolves.toBeDefined();
    await expect(authenticateWithSecret(deps, account.clientId, reset.clientSecret, {})).resolves.toBeDefined();
    now += 61_000;
    await expect(authenticateWithSecret(deps, account.clientId, account.clientSecret, {})).rejects.toMatchObject({ code: 'invalid_client' });
    const again = await resetSecret(deps, admin, account.id, {});
    await expect(authenticateWithSecret(deps, account.clientId, reset.clientSecret, {})).rejects.toMatchObject({ code: 'invalid_client' });
    await expect(authenticateWithSecret(deps, account.clientId, again.clientSecret, {})).resolves.toBeDefined();
  });

  it('applies the environment lifetime, within 30 seconds to a day', async () => {
    const account = await newAccount();
    await updateEnvironment(deps, admin, { serviceAccountTokenTtlSeconds: 45 });
    expect((await authenticateWithSecret(deps, account.clientId, account.clientSecret, {})).expiresInSeconds).toBe(45);
    await expect(updateEnvironment(deps, admin, { serviceAccountTokenTtlSeconds: 29 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('from 30 to 86400'),
    });
  });

  it('refuses roles and undefined permissions in grants', async () => {
    const account = await createServiceAccount(deps, admin, { name: 'x' });
    await expect(setPermissions(deps, admin, account.id, { grants: [], roles: ['admin'] })).rejects.toMatchObject({
      message: expect.stringContaining('roles cannot be assigned to service accounts'),
    });
    await expect(setPermissions(deps, admin, account.id, { grants: [{ resource: 'orders', permissions: ['orders.delete'] }] })).rejects.toMatchObject({
      message: 'resource "orders" does not define "orders.delete"',
    });
    await expect(setPermissions(deps, admin, account.id, { grants: [{ resource: 'ghost', permissions: [] }] })).rejects.toMatchObject({
      message: 'resource "ghost" does not exist in this environment',
    });
  });

  it('requires the management permission for each operation', async () => {
    const reader: Caller = { ...admin, permissions: { latchkey: ['SERVICE_ACCOUNTS_READ'] } };
    await expect(createServiceAccount(deps, reader, { name: 'x' })).rejects.toMatchObject({ status: 403, code: 'not_authorized' });
    await expect(listServiceAccounts(deps, reader, {})).resolves.toBeDefined();
    await expect(mintForServiceAccount(deps, reader, admin.accountId, {})).rejects.toMatchObject({ message: expect.stringContaining('SERVICE_ACCOUNTS_EDIT') });
  });

  it('adds an environment to an existing tenant under the tenant name already stored', async () => {
    const { environment } = await bootstrapEnvironment(deps, { tenantId: admin.tenantId, tenantName: 'Renamed by mistake', environmentName: 'staging' });
    expect(environment.tenantId).toBe(admin.tenantId);
    expect(environment.tenantName).toBe('Acme');
  });

  it('pages through accounts', async () => {
    for (let index = 0; index < 4; index++) await createServiceAccount(deps, admin, { name: `a${index}` });
    const first = await listServiceAccounts(deps, admin, { limit: 3 });
    const second = await listServiceAccounts(deps, admin, { limit: 3, cursor: first.cursor! });
    expect(first.items).toHaveLength(3);
    expect(second.items).toHaveLength(2);
    expect(second.cursor).toBeUndefined();
    await expect(listServiceAccounts(deps, admin, { limit: 0 })).rejects.toMatchObject({ status: 400 });
  });
});
