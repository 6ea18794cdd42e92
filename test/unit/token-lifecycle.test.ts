import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { beforeEach, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { introspect } from '../../src/domain/introspection';
import { authenticatePersonalAccessToken, createPersonalAccessToken, presentedPersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { newReferenceToken, parseReferenceToken } from '../../src/domain/reference-tokens';
import { revoke } from '../../src/domain/revocation';
import { serviceAccountClient } from '../../src/domain/token-endpoint';
import { authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { createServiceAccount, setPermissions } from '../../src/domain/service-accounts';
import type { StoredServiceAccount } from '../../src/domain/model';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';
import { standInSigner, standInVerifier } from '../support/stand-in-jwt';

const ISSUER = 'https://id.example.test';
let now = 0;

const verifyJwt = standInVerifier(() => now);

/** Only service-account tokens here: asking about a client's or end user's origin would be a bug. */
const unexpected = async (): Promise<never> => {
  throw new Error('only service-account tokens are introspected in these tests');
};
const serviceAccountTokensOnly = {
  clients: { getClient: unexpected },
  applications: { getApplication: unexpected },
  users: { getUser: unexpected },
  connections: { listIdpConnections: unexpected },
};

describe('PATs, opaque tokens, introspection and revocation (domain)', () => {
  let store: MemoryStore;
  let tokens: MemoryTokenStore;
  let deps: ReturnType<typeof makeDeps>;
  let admin: Caller;
  let adminAccount: StoredServiceAccount;

  const makeDeps = () => ({
    store,
    tokens,
    opaqueTokens: tokens,
    hasher: plainHasher,
    now: () => now,
    issuer: ISSUER,
    signer: standInSigner,
    verifyJwt,
    origins: serviceAccountTokensOnly,
    authorizations: new MemoryAuthorizationStore(),
  });

  beforeEach(async () => {
    now = Date.parse('2026-01-01T00:00:00Z');
    store = new MemoryStore();
    tokens = new MemoryTokenStore(store);
    deps = makeDeps();
    const { environment, admin: account } = await bootstrapEnvironment(deps, { tenantName: 'Acme', environmentName: 'prod' });
    admin = { tenantId: environment.tenantId, environmentId: environment.id, accountId: account.id, permissions: account.grants };
    adminAccount = (await store.getServiceAccount(environment.id, account.id))!;
  });

  const account = async (input: { accessTokenType?: 'jwt' | 'opaque' } = {}, permissions = ['SERVICE_ACCOUNTS_READ']) => {
    const created = await createServiceAccount(deps, admin, { name: 'worker', ...input });
    await setPermissions(deps, admin, created.id, { grants: [{ resource: 'latchkey', permissions }] });
    return created;
  };

  it('makes reference tokens that name their record and break when any part changes', async () => {
    const { token, hash } = await newReferenceToken(plainHasher, 'lkp', admin.environmentId, admin.accountId, 'pat_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(parseReferenceToken(token)).toEqual({ kind: 'lkp', environmentId: admin.environmentId, accountId: admin.accountId, id: 'pat_aaaaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(hash).toBe(await plainHasher.hash(token));
    expect(parseReferenceToken(`${token}x`)).toBeUndefined();
    expect(parseReferenceToken(token.replace('lkp_', 'lkx_'))).toBeUndefined();
    expect(presentedPersonalAccessToken(`Bearer ${token}`)).toBe(token);
    expect(presentedPersonalAccessToken('Bearer eyJ.a.b')).toBeUndefined();
    await expect(newReferenceToken(plainHasher, 'lko', admin.environmentId, admin.accountId, 'pat_aaaaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toThrow(TypeError);
  });

  it('expires a PAT at the second asked for (rounded up), even though the record is still stored', async () => {
    const owner = await account();
    const pat = await createPersonalAccessToken(deps, admin, owner.id, { expiresAt: '2026-01-01T00:00:10.200Z' });
    expect(pat.expiresAt).toBe('2026-01-01T00:00:11.000Z');
    expect(JSON.stringify([...tokens.personalAccessTokens.values()])).not.toContain(pat.token);

    now = Date.parse('2026-01-01T00:00:10.999Z');
    await expect(authenticatePersonalAccessToken(deps, pat.token)).resolves.toMatchObject({ accountId: owner.id, permissions: { latchkey: ['SERVICE_ACCOUNTS_READ'] } });
    expect((await introspect(deps, admin, pat.token)).active).toBe(true);
    now = Date.parse('2026-01-01T00:00:11.000Z');
    await expect(authenticatePersonalAccessToken(deps, pat.token)).rejects.toMatchObject({ code: 'invalid_token', internalDetail: expect.stringContaining('expired') });
    expect(tokens.personalAccessTokens.size).toBe(1);
    expect(await introspect(deps, admin, pat.token)).toEqual({ active: false });
  });

  it('ends a PAT stored without expiry one year after its creation, on the management API and in introspection', async () => {
    const owner = await account();
    const pat = await createPersonalAccessToken(deps, admin, owner.id, {});
    expect(pat.expiresAt).toBe('2027-01-01T00:00:00.000Z');
    // As a record written before every PAT had an expiry.
    const [key, record] = [...tokens.personalAccessTokens.entries()][0]!;
    const { expiresAt: _expiresAt, ...legacy } = record;
    tokens.personalAccessTokens.set(key, legacy);
    now = Date.parse('2026-12-31T23:59:59Z');
    await expect(authenticatePersonalAccessToken(deps, pat.token)).resolves.toMatchObject({ accountId: owner.id });
    expect(await introspect(deps, admin, pat.token)).toMatchObject({ active: true, exp: Date.parse('2027-01-01T00:00:00Z') / 1000 });
    now = Date.parse('2027-01-01T00:00:00Z');
    await expect(authenticatePersonalAccessToken(deps, pat.token)).rejects.toMatchObject({ internalDetail: expect.stringContaining('expired') });
    expect(await introspect(deps, admin, pat.token)).toEqual({ active: false });
  });

  it('refuses an expiry that is not in the future', async () => {
    const owner = await account();
    await expect(createPersonalAccessToken(deps, admin, owner.id, { expiresAt: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('must be in the future'),
    });
  });

  it('stores an opaque token hashed, with its claims, and lets it lapse at exp', async () => {
    const owner = await account({ accessTokenType: 'opaque' });
    const issued = await authenticateWithSecret(deps, owner.clientId, owner.clientSecret, {});
    expect(issued.accessToken).toMatch(/^lko_/);
    const [stored] = [...tokens.opaqueTokens.values()];
    expect(stored).toMatchObject({ id: issued.claims.jti, serviceAccountId: owner.id, claims: issued.claims, expiresAt: issued.claims.exp });
    expect(JSON.stringify(stored)).not.toContain(issued.accessToken);

    expect(await introspect(deps, admin, issued.accessToken)).toMatchObject({ active: true, tokenKind: 'opaque', sub: owner.id });
    now = (issued.claims.exp as number) * 1000;
    expect(await introspect(deps, admin, issued.accessToken)).toEqual({ active: false });
  });

  it('revokes a JWT until its exp, and only for its own client or an administrator', async () => {
    const owner = await account();
    const other = await account();
    const otherAccount = (await store.getServiceAccount(admin.environmentId, other.id))!;
    const ownerAccount = (await store.getServiceAccount(admin.environmentId, owner.id))!;
    const jwt = (await authenticateWithSecret(deps, owner.clientId, owner.clientSecret, {})).accessToken;

    await expect(revoke(deps, serviceAccountClient(otherAccount), jwt)).rejects.toMatchObject({ code: 'unauthorized_client' });
    expect(tokens.revokedJwts.size).toBe(0);
    await expect(revoke(deps, serviceAccountClient(ownerAccount), jwt)).resolves.toBe(true);
    expect([...tokens.revokedJwts.values()]).toEqual([Math.floor(now / 1000) + 3600]);
    expect(await introspect(deps, admin, jwt)).toEqual({ active: false });
    // Already inactive: success, nothing more done (RFC 7009 §2.2).
    await expect(revoke(deps, serviceAccountClient(adminAccount), jwt)).resolves.toBe(false);

    const second = (await authenticateWithSecret(deps, owner.clientId, owner.clientSecret, {})).accessToken;
    await expect(revoke(deps, serviceAccountClient(adminAccount), second)).resolves.toBe(true);
  });

  it('answers inactive for a token of another environment without reading its records', async () => {
    const { admin: foreign } = await bootstrapEnvironment(deps, { tenantName: 'Other', environmentName: 'prod' });
    const jwt = (await authenticateWithSecret(deps, foreign.clientId, foreign.clientSecret, {})).accessToken;
    expect(await introspect(deps, admin, jwt)).toEqual({ active: false });
    const foreignCaller: Caller = { tenantId: foreign.tenantId, environmentId: foreign.environmentId, accountId: foreign.id, permissions: foreign.grants };
    const pat = await createPersonalAccessToken(deps, foreignCaller, foreign.id, {});
    let reads = 0;
    const counting = {
      ...deps,
      tokens: Object.assign(Object.create(tokens), {
        loadPersonalAccessToken: async () => {
          reads++;
          return {};
        },
      }),
    };
    expect(await introspect(counting, admin, pat.token)).toEqual({ active: false });
    expect(reads).toBe(0);
    expect(await introspect(deps, foreignCaller, pat.token)).toMatchObject({ active: true });
  });
});
