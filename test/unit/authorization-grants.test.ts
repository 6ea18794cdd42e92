import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GrantDeps } from '../../src/domain/authorization/deps';
import { exchangeAuthorizationCode, refreshTokens } from '../../src/domain/authorization/grants';
import type { AuthenticatedClient } from '../../src/domain/clients/authentication';
import type { StoredOidcClient } from '../../src/domain/clients/model';
import { CLIENT_DEFAULTS } from '../../src/domain/clients/settings';
import type { EndUser } from '../../src/domain/end-users';
import { InvalidGrant, SigningAlgorithmNotConfigured } from '../../src/domain/errors';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';

/**
 * The authorization-code and refresh-token grants against in-memory stores and a frozen clock: the
 * single-use and family-revocation rules without an emulator, including concurrent redemptions.
 */

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const START = Date.parse('2026-01-01T00:00:00Z');

const client = (overrides: Partial<StoredOidcClient> = {}): StoredOidcClient => ({
  ...CLIENT_DEFAULTS,
  name: 'RP',
  id: 'cl_bbbbbbbbbbbbbbbbbbbbbbbbbb',
  clientId: `cl_bbbbbbbbbbbbbbbbbbbbbbbbbb@${ENV}`,
  applicationId: 'app_cccccccccccccccccccccccccc',
  environmentId: ENV,
  tenantId: 'ten_dddddddddddddddddddddddddd',
  protocol: 'oidc',
  secret: { current: 'x' },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  redirectUris: ['https://rp.example.com/cb'],
  ...overrides,
});

describe('authorization-code and refresh-token grants', () => {
  let now: number;
  let authorizations: MemoryAuthorizationStore;
  let tokens: MemoryTokenStore;
  let deps: GrantDeps;
  let caller: AuthenticatedClient;
  let user: EndUser;

  beforeEach(async () => {
    now = START;
    authorizations = new MemoryAuthorizationStore();
    const store = new MemoryStore();
    tokens = new MemoryTokenStore(store);
    const { privateKey } = await generateKeyPair('ES256');
    user = {
      id: 'usr_eeeeeeeeeeeeeeeeeeeeeeeeee',
      environmentId: ENV,
      tenantId: 'ten_dddddddddddddddddddddddddd',
      idpConnectionId: 'idp_x',
      subjectId: 's',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    };
    deps = {
      clients: undefined as never,
      applications: undefined as never,
      connections: { listIdpConnections: async () => [{ id: 'idp_x', enabled: true }] } as never,
      users: { getUser: async (_env: string, id: string) => (id === user.id ? user : undefined) } as never,
      authorizations,
      resources: store,
      hasher: plainHasher,
      now: () => now,
      issuer: 'https://id.example.com',
      signer: { sign: (claims, options) => new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', typ: options?.typ ?? 'JWT' }).sign(privateKey) },
      tokens,
    };
    caller = { client: client(), environment: undefined as never };
  });

  async function seedCode(scopes = ['openid', 'offline_access']): Promise<{ code: string; verifier: string }> {
    const code = `lkc_${randomBytes(32).toString('base64url')}`;
    const verifier = randomBytes(32).toString('base64url');
    await authorizations.putFamily({
      id: 'fam_gggggggggggggggggggggggggg',
      environmentId: ENV,
      clientRef: caller.client.id,
      absoluteExpiresAt: START / 1000 + caller.client.maxRefreshSeconds,
      accessTokens: [],
    });
    await authorizations.putCode({
      codeHash: await plainHasher.hash(code),
      environmentId: ENV,
      tenantId: 'ten_dddddddddddddddddddddddddd',
      clientRef: caller.client.id,
      applicationId: caller.client.applicationId,
      redirectUri: 'https://rp.example.com/cb',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      userId: 'usr_eeeeeeeeeeeeeeeeeeeeeeeeee',
      profileId: 'prf_x',
      sessionId: 'ses_ffffffffffffffffffffffffff',
      authTime: START / 1000,
      scopes,
      familyId: 'fam_gggggggggggggggggggggggggg',
      expiresAt: START / 1000 + 60,
    });
    return { code, verifier };
  }

  const redeem = (grant: { code: string; verifier: string }) =>
    exchangeAuthorizationCode(deps, caller, { code: grant.code, redirectUri: 'https://rp.example.com/cb', codeVerifier: grant.verifier });
  const revoked = (accessToken: string) => tokens.revokedJwts.has(`${ENV}/${decodeJwt(accessToken).jti}`);

  it('lets at most one of two concurrent redemptions through, and revokes whatever it got', async () => {
    const grant = await seedCode();
    const results = await Promise.allSettled([redeem(grant), redeem(grant)]);
    const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    // The second redemption is a replay: it is refused, and it revokes the family even if the first is still issuing.
    expect(won.length).toBeLessThanOrEqual(1);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const reason of lost) expect(reason).toBeInstanceOf(InvalidGrant);
    for (const family of authorizations.families.values()) expect(family.revoked).toBe(true);
    for (const { accessToken, refreshToken } of won) {
      expect(revoked(accessToken)).toBe(true);
      await expect(refreshTokens(deps, caller, { refreshToken: refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
    }
    const issued = [...authorizations.families.values()].flatMap((family) => family.accessTokens);
    for (const token of issued) expect(tokens.revokedJwts.has(`${ENV}/${token.jti}`)).toBe(true);
  });

  it("revokes the first redemption's tokens when the code comes back later", async () => {
    const grant = await seedCode();
    const first = await redeem(grant);
    expect(revoked(first.accessToken)).toBe(false);
    await expect(redeem(grant)).rejects.toBeInstanceOf(InvalidGrant);
    expect(revoked(first.accessToken)).toBe(true);
  });

  it('refuses a code one second past its minute', async () => {
    const grant = await seedCode();
    now = START + 61_000;
    await expect(redeem(grant)).rejects.toMatchObject({ code: 'invalid_grant', internalDetail: 'unknown or expired code' });
    now = START + 59_000;
    await expect(redeem(grant)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('caps refresh tokens at the family maximum and lets a narrower scope through only', async () => {
    caller = { client: client({ refreshTokenTtlSeconds: 3600, maxRefreshSeconds: 5400 }), environment: undefined as never };
    const first = await redeem(await seedCode(['openid', 'profile', 'offline_access']));
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken!, scope: 'openid email' })).rejects.toMatchObject({ code: 'invalid_scope' });
    now = START + 3000_000;
    const second = await refreshTokens(deps, caller, { refreshToken: first.refreshToken!, scope: 'openid' });
    expect(second.scope).toBe('openid');
    expect(decodeJwt(second.idToken!)).not.toHaveProperty('name');
    const stored = [...authorizations.refreshTokens.values()].find((token) => token.usedAt === undefined)!;
    expect(stored.expiresAt).toBe(START / 1000 + 5400);
    expect(stored.scopes).toEqual(['openid', 'profile', 'offline_access']);
    now = START + 5400_000;
    await expect(refreshTokens(deps, caller, { refreshToken: second.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('leaves the code unspent when the ID token cannot be signed with the algorithm the client asks for', async () => {
    const sign = deps.signer.sign;
    deps = { ...deps, signer: { sign: (claims, options) => (options?.alg === 'RS256' ? Promise.reject(new SigningAlgorithmNotConfigured('RS256')) : sign(claims, options)) } };
    const grant = await seedCode();
    caller = { client: client({ idTokenSignedResponseAlg: 'RS256' }), environment: undefined as never };
    await expect(redeem(grant)).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    expect([...authorizations.codes.values()][0]!.usedAt).toBeUndefined();
    expect([...authorizations.families.values()][0]!.accessTokens).toEqual([]);
    caller = { client: client(), environment: undefined as never };
    await expect(redeem(grant)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it("refuses another client's refresh token without spending it", async () => {
    const first = await redeem(await seedCode());
    const other = { client: client({ id: 'cl_hhhhhhhhhhhhhhhhhhhhhhhhhh' }), environment: undefined as never };
    await expect(refreshTokens(deps, other, { refreshToken: first.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  /** Redeems a fresh code with a DPoP proof of `key`. */
  const redeemWithKey = async (by: AuthenticatedClient, key: string) => {
    const { code, verifier } = await seedCode();
    return exchangeAuthorizationCode(deps, by, { code, codeVerifier: verifier, redirectUri: 'https://rp.example.com/cb', dpopKeyThumbprint: key });
  };

  it("binds a public client's refresh token to the DPoP key of the redemption", async () => {
    const publicCaller = { ...caller, publicClient: true };
    const first = await redeemWithKey(publicCaller, 'key-a');
    expect(first.tokenType).toBe('DPoP');
    expect(decodeJwt(first.accessToken).cnf).toEqual({ jkt: 'key-a' });
    for (const dpopKeyThumbprint of [undefined, 'key-b']) {
      await expect(refreshTokens(deps, publicCaller, { refreshToken: first.refreshToken!, ...(dpopKeyThumbprint ? { dpopKeyThumbprint } : {}) })).rejects.toMatchObject({
        code: 'invalid_grant',
      });
    }
    const second = await refreshTokens(deps, publicCaller, { refreshToken: first.refreshToken!, dpopKeyThumbprint: 'key-a' });
    expect(second.tokenType).toBe('DPoP');
    await expect(refreshTokens(deps, publicCaller, { refreshToken: second.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it("binds a confidential client's access token to the key, and not its refresh token, which its authentication protects", async () => {
    const first = await redeemWithKey(caller, 'key-a');
    expect(first.tokenType).toBe('DPoP');
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('gives two concurrent refreshes with one token a fresh pair each, and keeps the family', async () => {
    const first = await redeem(await seedCode());
    const [a, b] = await Promise.all([refreshTokens(deps, caller, { refreshToken: first.refreshToken! }), refreshTokens(deps, caller, { refreshToken: first.refreshToken! })]);
    expect(a.refreshToken).not.toBe(b.refreshToken);
    expect([...authorizations.families.values()][0]!.revoked).toBeUndefined();
    await expect(refreshTokens(deps, caller, { refreshToken: a.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
    await expect(refreshTokens(deps, caller, { refreshToken: b.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('takes a rotated token back within the leeway only while it is the last one rotated', async () => {
    const first = await redeem(await seedCode());
    const second = await refreshTokens(deps, caller, { refreshToken: first.refreshToken! });
    now += 5_000;
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
    // Once its successor was used, the first token is no longer the immediately previous one: reuse.
    await refreshTokens(deps, caller, { refreshToken: second.refreshToken! });
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(revoked(second.accessToken)).toBe(true);
  });

  it('revokes the family when a spent token comes back after the leeway', async () => {
    const first = await redeem(await seedCode());
    const second = await refreshTokens(deps, caller, { refreshToken: first.refreshToken! });
    now += 6_000;
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(refreshTokens(deps, caller, { refreshToken: second.refreshToken! })).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(revoked(second.accessToken)).toBe(true);
  });

  it.each([
    ['disabled', () => ({ disabled: true })],
    ['signed out everywhere after the login', () => ({ tokensValidAfter: new Date(START + 1_000).toISOString() })],
    ['signed out everywhere in the second of the login', () => ({ tokensValidAfter: new Date(START + 999).toISOString() })],
  ])('refuses the refresh token, and an unredeemed code, of a user %s', async (_name, change) => {
    const first = await redeem(await seedCode());
    now = START + 2_000;
    user = { ...user, ...change() };
    const refused = { code: 'invalid_grant', internalDetail: `user ${user.id} no longer stands` };
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).rejects.toMatchObject(refused);
    authorizations.families.clear();
    await expect(redeem(await seedCode())).rejects.toMatchObject(refused);
  });

  it('issues again to a user who signed out everywhere before the login', async () => {
    user = { ...user, tokensValidAfter: new Date(START - 1).toISOString() };
    const first = await redeem(await seedCode());
    await expect(refreshTokens(deps, caller, { refreshToken: first.refreshToken! })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
