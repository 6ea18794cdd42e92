import { beforeEach, describe, expect, it } from 'vitest';
import type { RefreshTokenRecord } from '../../src/domain/authorization/model';
import { UnauthorizedClient } from '../../src/domain/errors';
import { introspect, type IntrospectionDeps } from '../../src/domain/introspection';
import { revoke } from '../../src/domain/revocation';
import type { OAuthClient } from '../../src/domain/token-endpoint';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';

/** Introspection and revocation of refresh tokens (RFC 7662, RFC 7009 §2.1) over in-memory records. */

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const CLIENT = 'cl_bbbbbbbbbbbbbbbbbbbbbbbbbb';
const APP = 'app_cccccccccccccccccccccccccc';
const USER = 'usr_dddddddddddddddddddddddddd';
const FAMILY = 'fam_eeeeeeeeeeeeeeeeeeeeeeeeee';
const NOW = Date.parse('2026-03-01T10:00:00Z');
const TOKEN = `lkr_${'A'.repeat(43)}`;

const client = (principalId: string): OAuthClient => ({ environmentId: ENV, principalId, clientId: `${principalId}@${ENV}`, mayRevokeAny: false });

describe('refresh tokens at introspection and revocation', () => {
  let authorizations: MemoryAuthorizationStore;
  let tokens: MemoryTokenStore;
  let deps: IntrospectionDeps;
  let user: { idpConnectionId: string; disabled?: boolean };

  let tokenHash: string;
  const record = (changes: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
    environmentId: ENV,
    tenantId: 'ten_ffffffffffffffffffffffffff',
    clientRef: CLIENT,
    applicationId: APP,
    userId: USER,
    profileId: 'prf_x',
    sessionId: 'ses_x',
    authTime: NOW / 1000 - 60,
    scopes: ['openid', 'offline_access'],
    familyId: FAMILY,
    tokenHash,
    expiresAt: NOW / 1000 + 3600,
    ...changes,
  });

  beforeEach(async () => {
    tokenHash = await plainHasher.hash(TOKEN);
    authorizations = new MemoryAuthorizationStore();
    tokens = new MemoryTokenStore(new MemoryStore());
    user = { idpConnectionId: 'idp_1' };
    deps = {
      tokens,
      hasher: plainHasher,
      now: () => NOW,
      issuer: 'https://id.example.test',
      verifyJwt: async () => undefined,
      origins: {
        clients: { getClient: async (_env, id) => (id === CLIENT ? ({ protocol: 'oidc', applicationId: APP } as never) : undefined) },
        applications: { getApplication: async (_env, id) => (id === APP ? ({ id } as never) : undefined) },
        users: { getUser: async (_env, id) => (id === USER ? (user as never) : undefined) },
        connections: { listIdpConnections: async () => [{ id: 'idp_1', enabled: true } as never] },
      },
      authorizations,
    };
    await authorizations.putFamily({
      id: FAMILY,
      environmentId: ENV,
      clientRef: CLIENT,
      absoluteExpiresAt: NOW / 1000 + 7200,
      accessTokens: [{ jti: 'tok_1', exp: NOW / 1000 + 600 }],
    });
  });

  it('introspects a live refresh token with its client, subject, scope and expiry', async () => {
    await authorizations.putRefreshToken(record());
    expect(await introspect(deps, { environmentId: ENV }, TOKEN)).toMatchObject({
      active: true,
      client_id: `${CLIENT}@${ENV}`,
      sub: USER,
      scope: 'openid offline_access',
      exp: NOW / 1000 + 3600,
      tokenKind: 'refresh_token',
    });
    expect(await introspect(deps, { environmentId: 'env_zzzzzzzzzzzzzzzzzzzzzzzzzz' }, TOKEN)).toEqual({ active: false });
  });

  it.each([
    ['spent', () => authorizations.putRefreshToken(record({ usedAt: NOW / 1000 - 1 }))],
    ['expired', () => authorizations.putRefreshToken(record({ expiresAt: NOW / 1000 }))],
    ['of a revoked family', async () => void (await Promise.all([authorizations.putRefreshToken(record()), authorizations.revokeFamily(ENV, FAMILY)]))],
    ['of a deleted client', () => authorizations.putRefreshToken(record({ clientRef: 'cl_gggggggggggggggggggggggggg' }))],
    [
      'of a disabled user',
      async () => {
        user = { ...user, disabled: true };
        await authorizations.putRefreshToken(record());
      },
    ],
  ])('answers inactive for a refresh token %s', async (_name, seed) => {
    await seed();
    expect(await introspect(deps, { environmentId: ENV }, TOKEN)).toEqual({ active: false });
  });

  it('revokes the family and its access tokens for the client it was issued to, even once spent', async () => {
    await authorizations.putRefreshToken(record({ usedAt: NOW / 1000 - 1 }));
    await expect(revoke(deps, client('cl_gggggggggggggggggggggggggg'), TOKEN)).rejects.toBeInstanceOf(UnauthorizedClient);
    expect(authorizations.families.get(`${ENV}/${FAMILY}`)?.revoked).toBeUndefined();
    expect(await revoke(deps, client(CLIENT), TOKEN, 'refresh_token')).toBe(true);
    expect(authorizations.families.get(`${ENV}/${FAMILY}`)?.revoked).toBe(true);
    expect(tokens.revokedJwts.has(`${ENV}/tok_1`)).toBe(true);
  });
});
