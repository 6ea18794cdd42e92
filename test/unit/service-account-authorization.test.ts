import { beforeEach, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { ConcurrentUpdate, Conflict, InvalidRequest, NotAuthorized } from '../../src/domain/errors';
import { updateEnvironment } from '../../src/domain/environments';
import type { StoredServiceAccount } from '../../src/domain/model';
import type { TokenSigner } from '../../src/domain/ports';
import { createResource, updateResource } from '../../src/domain/resources';
import { authenticateWithSecret, mintForServiceAccount } from '../../src/domain/service-account-tokens';
import { createServiceAccount, deleteServiceAccount, resetSecret, setPermissions } from '../../src/domain/service-accounts';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';

const ISSUER = 'https://id.example.test';
const signer: TokenSigner = { sign: async () => 'signed' };

/** Escalation rules, versioned writes and audience rules of the service-account and resource commands. */
describe('service-account authorization and concurrency (domain)', () => {
  let store: MemoryStore;
  let deps: { store: MemoryStore; hasher: typeof plainHasher; now: () => number; issuer: string; signer: TokenSigner; opaqueTokens: MemoryTokenStore };
  let admin: Caller;
  const callerFor = (account: { id: string; grants: StoredServiceAccount['grants'] }): Caller => ({ ...admin, accountId: account.id, permissions: account.grants });
  const stored = (id: string) => store.accounts.get(`${admin.environmentId}/${id}`)!;

  beforeEach(async () => {
    store = new MemoryStore();
    deps = { store, hasher: plainHasher, now: () => Date.parse('2026-01-01T00:00:00Z'), issuer: ISSUER, signer, opaqueTokens: new MemoryTokenStore(store) };
    const { environment, admin: account } = await bootstrapEnvironment(deps, { tenantName: 'Acme', environmentName: 'prod' });
    admin = { tenantId: environment.tenantId, environmentId: environment.id, accountId: account.id, permissions: account.grants };
    await createResource(deps, admin, { key: 'orders', permissions: ['orders.read'] });
  });

  it('creates an account with grants only within what the caller holds, and customer grants only with PERMISSIONS_GRANT', async () => {
    const editor = callerFor({ id: 'sa_editor', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT'] } });
    await expect(createServiceAccount(deps, editor, { name: 'x', grants: { latchkey: ['ENVIRONMENT_EDIT'] } })).rejects.toThrow(
      /cannot grant permissions you do not hold yourself: ENVIRONMENT_EDIT/,
    );
    await expect(createServiceAccount(deps, editor, { name: 'x', grants: { orders: ['orders.read'] } })).rejects.toThrow(/PERMISSIONS_GRANT/);
    const made = await createServiceAccount(deps, editor, { name: 'x', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT'] } });
    expect(made.grants).toEqual({ latchkey: ['SERVICE_ACCOUNTS_EDIT'] });
    const grantor = callerFor({ id: 'sa_grantor', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT', 'PERMISSIONS_GRANT'] } });
    expect((await createServiceAccount(deps, grantor, { name: 'y', grants: { orders: ['orders.read'] } })).grants).toEqual({ orders: ['orders.read'] });
  });

  it('refuses deleting an account that gained permissions between the check and the write', async () => {
    const editor = callerFor({ id: 'sa_editor', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT'] } });
    const target = await createServiceAccount(deps, admin, { name: 'target' });
    let raced = false;
    store.beforeVersionedWrite = async () => {
      if (raced) return;
      raced = true;
      // Another administrator makes the target stronger than the editor meanwhile.
      await setPermissions(deps, admin, target.id, { grants: [{ resource: 'latchkey', permissions: ['ENVIRONMENT_EDIT'] }] });
    };
    await expect(deleteServiceAccount(deps, editor, target.id)).rejects.toBeInstanceOf(NotAuthorized);
    expect(stored(target.id)).toBeDefined();
  });

  it('refuses resetting or minting for an account holding customer grants without PERMISSIONS_GRANT, also when the grant arrives mid-way', async () => {
    const editor = callerFor({ id: 'sa_editor', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT'] } });
    const holder = await createServiceAccount(deps, admin, { name: 'holder', grants: { orders: ['orders.read'] } });
    await expect(mintForServiceAccount(deps, editor, holder.id, {})).rejects.toThrow(/holds grants on "orders"; acting on it needs PERMISSIONS_GRANT/);
    const target = await createServiceAccount(deps, admin, { name: 'target' });
    const secretBefore = stored(target.id).secret;
    let raced = false;
    store.beforeVersionedWrite = async () => {
      if (raced) return;
      raced = true;
      await setPermissions(deps, admin, target.id, { grants: [{ resource: 'orders', permissions: ['orders.read'] }] });
    };
    await expect(resetSecret(deps, editor, target.id, {})).rejects.toThrow(/PERMISSIONS_GRANT/);
    expect(stored(target.id).secret).toEqual(secretBefore);
    const steward = callerFor({ id: 'sa_steward', grants: { latchkey: ['SERVICE_ACCOUNTS_EDIT', 'PERMISSIONS_GRANT'] } });
    expect((await mintForServiceAccount(deps, steward, holder.id, {})).claims.permissions).toEqual({ orders: ['orders.read'] });
  });

  it('retries a reset that lost a race from a fresh read, so the secret it answers is the one that works', async () => {
    const target = await createServiceAccount(deps, admin, { name: 'target' });
    let concurrent: string | undefined;
    store.beforeVersionedWrite = async () => {
      if (concurrent) return;
      concurrent = 'pending';
      concurrent = (await resetSecret(deps, admin, target.id, {})).clientSecret;
    };
    const answered = await resetSecret(deps, admin, target.id, {});
    expect(stored(target.id).version).toBe(3);
    await expect(authenticateWithSecret(deps, target.clientId, answered.clientSecret, {})).resolves.toBeDefined();
    await expect(authenticateWithSecret(deps, target.clientId, concurrent!, {})).rejects.toThrow();
  });

  it('answers 409 "changed concurrently; retry" after losing every retry, and writes nothing', async () => {
    const target = await createServiceAccount(deps, admin, { name: 'target' });
    const before = stored(target.id);
    store.beforeVersionedWrite = async () => {
      const current = stored(target.id);
      store.accounts.set(`${admin.environmentId}/${target.id}`, { ...current, version: (current.version ?? 0) + 1 });
    };
    const error = await resetSecret(deps, admin, target.id, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConcurrentUpdate);
    expect(error).toMatchObject({ status: 409, code: 'conflict', message: `service account "${target.id}" changed concurrently; retry` });
    expect(stored(target.id).secret).toEqual(before.secret);
  });

  it('versions resource and environment updates too', async () => {
    store.beforeVersionedWrite = undefined;
    expect((await updateResource(deps, admin, 'orders', { name: 'Orders' })).version).toBe(2);
    expect((await updateEnvironment(deps, admin, { name: 'production' })).version).toBe(2);
  });

  it('reserves audiences on the issuer, accepts other https ones once in the deployment', async () => {
    for (const audience of [`${ISSUER}/v1`, ISSUER, `${ISSUER}/oauth/v2/token`, 'https://ID.example.test/v1']) {
      await expect(createResource(deps, admin, { key: 'mine', audience })).rejects.toBeInstanceOf(InvalidRequest);
    }
    await createResource(deps, admin, { key: 'shop', audience: 'https://shop.example.test' });
    const other = await bootstrapEnvironment(deps, { tenantName: 'Other', environmentName: 'prod' });
    const otherAdmin: Caller = { tenantId: other.tenant.id, environmentId: other.environment.id, accountId: other.admin.id, permissions: other.admin.grants };
    await expect(createResource(deps, otherAdmin, { key: 'shop', audience: 'https://shop.example.test' })).rejects.toBeInstanceOf(Conflict);
  });
});
