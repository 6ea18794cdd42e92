import { beforeEach, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { createResource, updateResource } from '../../src/domain/resources';
import { authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { createServiceAccount, setPermissions } from '../../src/domain/service-accounts';
import { exchangeToken, serviceAccountActor, type ExchangeActor, type TokenExchangeDeps } from '../../src/domain/token-exchange';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';
import { standInClaims, standInSigner, standInVerifier } from '../support/stand-in-jwt';

/**
 * Token exchange in the domain, against in-memory stores and a stand-in signer: what the subject
 * token carries bounds the result, whatever the caller holds; an opaque subject token is looked up.
 */

const ISSUER = 'https://id.example.test';
let now = 0;

const verifyJwt = standInVerifier(() => now);

const unexpected = async (): Promise<never> => {
  throw new Error('only service-account tokens are exchanged in these tests');
};

describe('token exchange (domain)', () => {
  let store: MemoryStore;
  let deps: TokenExchangeDeps & { store: MemoryStore; tokens: MemoryTokenStore };
  let admin: Caller;
  let actor: ExchangeActor;

  const account = async (name: string, grants: { resource: string; permissions: string[] }[], input: { accessTokenType?: 'opaque' } = {}) => {
    const created = await createServiceAccount(deps, admin, { name, ...input });
    await setPermissions(deps, admin, created.id, { grants });
    return created;
  };
  const subjectToken = async (credentials: { clientId: string; clientSecret: string }, resource: string) =>
    (await authenticateWithSecret(deps, credentials.clientId, credentials.clientSecret, { resources: [resource] })).accessToken;
  const request = (token: string, resources: string[] = []) => ({
    subjectToken: token,
    subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    resources,
    audiences: [],
  });

  beforeEach(async () => {
    now = Date.parse('2026-01-01T00:00:00Z');
    store = new MemoryStore();
    const tokens = new MemoryTokenStore(store);
    const introspection = {
      tokens,
      hasher: plainHasher,
      now: () => now,
      issuer: ISSUER,
      verifyJwt,
      origins: {
        clients: { getClient: unexpected },
        applications: { getApplication: unexpected },
        users: { getUser: unexpected },
        connections: { listIdpConnections: unexpected },
      },
      authorizations: new MemoryAuthorizationStore(),
    };
    deps = { store, tokens, opaqueTokens: tokens, hasher: plainHasher, now: () => now, issuer: ISSUER, signer: standInSigner, introspection, resources: store };
    const { environment, admin: created } = await bootstrapEnvironment(deps, { tenantName: 'Acme', environmentName: 'prod' });
    admin = { tenantId: environment.tenantId, environmentId: environment.id, accountId: created.id, permissions: created.grants };
    await createResource(deps, admin, { key: 'orders', permissions: ['read', 'write'] });
    await createResource(deps, admin, { key: 'billing', permissions: ['read'] });
    const gateway = await account('gateway', [
      { resource: 'latchkey', permissions: ['TOKEN_EXCHANGE'] },
      { resource: 'orders', permissions: ['read', 'write'] },
    ]);
    actor = serviceAccountActor((await store.getServiceAccount(environment.id, gateway.id))!);
  });

  it('looks an opaque subject token up, and answers a JWT standing for its account', async () => {
    const subject = await account('opaque subject', [{ resource: 'orders', permissions: ['read'] }], { accessTokenType: 'opaque' });
    const token = await subjectToken(subject, 'orders');
    expect(token).toMatch(/^lko_/);
    const exchanged = await exchangeToken(deps, actor, request(token, ['orders']));
    expect(exchanged.claims).toMatchObject({ sub: subject.id, subjectType: 'ServiceAccount', permissions: { orders: ['read'] }, act: { sub: actor.id } });
    expect(exchanged.accessToken).not.toMatch(/^lko_/);
  });

  it('drops a permission the resource no longer defines, though the subject token still carries it', async () => {
    const subject = await account('subject', [{ resource: 'orders', permissions: ['read', 'write'] }]);
    const token = await subjectToken(subject, 'orders');
    expect(standInClaims(token).permissions).toEqual({ orders: ['read', 'write'] });
    await updateResource(deps, admin, 'orders', { permissions: ['read'] });
    const exchanged = await exchangeToken(deps, actor, request(token));
    expect(exchanged.claims.permissions).toEqual({ orders: ['read'] });
  });

  it('gives an account without TOKEN_EXCHANGE nothing, and no target outside the subject token', async () => {
    const subject = await account('subject', [{ resource: 'orders', permissions: ['read'] }]);
    const token = await subjectToken(subject, 'orders');
    await expect(exchangeToken(deps, { ...actor, mayExchange: false }, request(token))).rejects.toMatchObject({ code: 'unauthorized_client' });
    await expect(exchangeToken(deps, actor, request(token, ['billing']))).rejects.toMatchObject({ code: 'invalid_target' });
    await expect(exchangeToken(deps, actor, { ...request(token), scope: 'orders' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('expires with the subject token, and refuses it once it has', async () => {
    const subject = await account('subject', [{ resource: 'orders', permissions: ['read'] }]);
    const token = await subjectToken(subject, 'orders');
    now += 3000 * 1000;
    const exchanged = await exchangeToken(deps, actor, request(token));
    expect(exchanged.claims.exp).toBe(standInClaims(token).exp);
    expect(exchanged.expiresInSeconds).toBe(3600 - 3000);
    now += 601 * 1000;
    await expect(exchangeToken(deps, actor, request(token))).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
