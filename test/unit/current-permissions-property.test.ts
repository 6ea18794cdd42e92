import fc from 'fast-check';
import { describe, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { LatchkeyError } from '../../src/domain/errors';
import { callerFromServiceAccountJwt } from '../../src/domain/management-caller';
import { authenticatePersonalAccessToken, createPersonalAccessToken } from '../../src/domain/personal-access-tokens';
import type { TokenSigner } from '../../src/domain/ports';
import { createResource, deleteResource, listResources, updateResource } from '../../src/domain/resources';
import { authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { createServiceAccount, listServiceAccounts, resetSecret, setPermissions } from '../../src/domain/service-accounts';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';
import { checkAgainstModel, steps, type ManagementCheck, type PermissionHarness } from '../support/permission-model';

const ISSUER = 'https://id.example.test';
const signer: TokenSigner = { sign: async () => 'signed' };

type Token = { readonly kind: 'jwt'; readonly claims: Readonly<Record<string, unknown>> } | { readonly kind: 'pat'; readonly token: string };

/** The domain with the in-memory stores and a frozen clock that only the `wait` step moves. */
async function domainHarness(): Promise<PermissionHarness<Token>> {
  let now = Date.parse('2026-03-01T00:00:00Z');
  const store = new MemoryStore();
  const tokens = new MemoryTokenStore(store);
  const deps = { store, tokens, hasher: plainHasher, now: () => now, issuer: ISSUER, signer, opaqueTokens: tokens };
  const { environment, admin: adminAccount } = await bootstrapEnvironment(deps, { tenantName: 'Acme', environmentName: 'prod' });
  const admin: Caller = { tenantId: environment.tenantId, environmentId: environment.id, accountId: adminAccount.id, permissions: adminAccount.grants };
  await createResource(deps, admin, { key: 'orders', permissions: ['r', 'w', 'x'] });
  const account = await createServiceAccount(deps, admin, { name: 'subject' });
  let secret = account.clientSecret;

  const callerOf = async (token: Token): Promise<Caller> => {
    if (token.kind === 'pat') return authenticatePersonalAccessToken(deps, token.token);
    const claims = token.claims;
    return callerFromServiceAccountJwt(ISSUER, claims, await tokens.loadJwtState(environment.id, claims.jti as string, claims.sub as string));
  };
  const refusedIsFalse = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return true;
    } catch (error) {
      if (error instanceof LatchkeyError && (error.status === 401 || error.status === 403)) return false;
      throw error;
    }
  };
  const calls: Record<ManagementCheck, (caller: Caller) => Promise<unknown>> = {
    SERVICE_ACCOUNTS_READ: (caller) => listServiceAccounts(deps, caller, {}),
    RESOURCES_READ: (caller) => listResources(deps, caller),
  };

  return {
    setGrants: async (management, customer) => {
      await setPermissions(deps, admin, account.id, {
        grants: [{ resource: 'latchkey', permissions: [...management] }, ...(customer.length > 0 ? [{ resource: 'orders', permissions: [...customer] }] : [])],
      });
    },
    redefineResource: async (permissions) => void (await updateResource(deps, admin, 'orders', { permissions: [...permissions] })),
    deleteResource: () => deleteResource(deps, admin, 'orders'),
    createResource: async (permissions) => void (await createResource(deps, admin, { key: 'orders', permissions: [...permissions] })),
    resetSecret: async (revokeTokens) => {
      secret = (await resetSecret(deps, admin, account.id, { revokeTokens })).clientSecret;
    },
    issueJwt: async () => ({ kind: 'jwt', claims: (await authenticateWithSecret(deps, account.clientId, secret, { resources: ['latchkey'] })).claims }),
    issuePat: async () => ({ kind: 'pat', token: (await createPersonalAccessToken(deps, admin, account.id, {})).token }),
    mayCall: (token, permission) => refusedIsFalse(async () => calls[permission](await callerOf(token))),
    newTokenPermissions: async () => {
      if ((await store.getResources(environment.id, ['orders'])).length === 0) return undefined;
      const { claims } = await authenticateWithSecret(deps, account.clientId, secret, { resources: ['orders'] });
      return (claims.permissions as Record<string, string[]>).orders ?? [];
    },
    wait: (seconds) => {
      now += seconds * 1000;
    },
  };
}

describe('permissions on the management API follow the account as it is now (domain, property)', () => {
  it('after any sequence of grants, revocations, resource changes and resets, an earlier token works only with the permissions held now', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (sequence) => checkAgainstModel(await domainHarness(), sequence)),
      { numRuns: 25 },
    );
  });
});
