import { decodeJwt, decodeProtectedHeader, SignJWT, generateKeyPair } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mintAccessToken, type MinterDeps, type MintRequest } from '../../src/domain/minter';
import type { Resource } from '../../src/domain/model';
import { newId } from '../../src/domain/ids';
import { parseReferenceToken } from '../../src/domain/reference-tokens';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';

/**
 * The minter's rules, one kind of subject after another, against an in-memory token store and a
 * frozen clock: audience, lifetime, issued-at after a revoking event, `scope`, JWT or opaque.
 */

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const ENV = newId('env');
const ACCOUNT = newId('sa');
const TENANT = 'ten_bbbbbbbbbbbbbbbbbbbbbbbbbb';

const resource = (key: string, accessTokenTtlSeconds?: number): Resource =>
  ({
    key,
    name: key,
    audience: `https://${key}.example.com`,
    environmentId: ENV,
    permissions: [],
    builtIn: false,
    ...(accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds } : {}),
  }) as unknown as Resource;

describe('the access-token minter', () => {
  let privateKey: CryptoKey;
  let opaqueTokens: MemoryTokenStore;
  let deps: MinterDeps;

  beforeAll(async () => {
    ({ privateKey } = await generateKeyPair('ES256'));
  });

  beforeEach(() => {
    opaqueTokens = new MemoryTokenStore(new MemoryStore());
    deps = {
      signer: { sign: (claims, options) => new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', typ: options?.typ ?? 'JWT' }).sign(privateKey) },
      opaqueTokens,
      hasher: plainHasher,
      now: () => NOW,
      issuer: 'https://id.example.com',
    };
  });

  const serviceAccount = (overrides: Partial<MintRequest> = {}, accessTokenType: 'jwt' | 'opaque' = 'jwt'): MintRequest => ({
    subject: { subjectType: 'ServiceAccount', id: ACCOUNT, clientId: `${ACCOUNT}@${ENV}`, name: 'Orders job', accessTokenType, permissions: { orders: ['read'] } },
    tenantId: TENANT,
    environmentId: ENV,
    audience: { resources: [], otherwise: 'https://id.example.com/v1' },
    lifetimeSeconds: 3600,
    ...overrides,
  });

  it('signs an at+jwt whose audience is one resource as a string, several as an array, none the grant’s own', async () => {
    const one = await mintAccessToken(deps, serviceAccount({ audience: { resources: [resource('orders')], otherwise: 'x' } }));
    expect(decodeProtectedHeader(one.accessToken).typ).toBe('at+jwt');
    expect(decodeJwt(one.accessToken)).toEqual(one.claims);
    expect(one.claims.aud).toBe('https://orders.example.com');
    const two = await mintAccessToken(deps, serviceAccount({ audience: { resources: [resource('orders'), resource('billing')], otherwise: 'x' } }));
    expect(two.claims.aud).toEqual(['https://orders.example.com', 'https://billing.example.com']);
    expect((await mintAccessToken(deps, serviceAccount())).claims.aud).toBe('https://id.example.com/v1');
  });

  it('lives the grant’s lifetime, cut to the shortest limit of an audience resource', async () => {
    const limited = await mintAccessToken(
      deps,
      serviceAccount({ audience: { resources: [resource('orders', 600), resource('billing', 900), resource('stock')], otherwise: 'x' } }),
    );
    expect(limited.expiresInSeconds).toBe(600);
    expect(limited.claims.exp - limited.claims.iat).toBe(600);
    expect((await mintAccessToken(deps, serviceAccount({ audience: { resources: [resource('orders', 7200)], otherwise: 'x' } }))).expiresInSeconds).toBe(3600);
  });

  it('is dated after a revoking event of this very second, and now otherwise', async () => {
    expect((await mintAccessToken(deps, serviceAccount())).claims.iat).toBe(NOW / 1000);
    const revokedNow = new Date(NOW + 400).toISOString();
    expect((await mintAccessToken(deps, serviceAccount({ validAfter: { tokensValidAfter: revokedNow } }))).claims.iat).toBe(NOW / 1000 + 1);
  });

  it('states scope for a machine only when asked, for an end user’s grant always, for a delegated token never', async () => {
    expect((await mintAccessToken(deps, serviceAccount({ scopes: [] }))).claims).not.toHaveProperty('scope');
    const asked = await mintAccessToken(deps, serviceAccount({ scopes: ['openid', 'profile'] }));
    expect(asked.claims.scope).toBe('openid profile');
    expect(asked.scope).toBe('openid profile');

    const endUser = (scopes?: string[]): MintRequest => ({
      ...serviceAccount(),
      subject: { subjectType: 'EndUserAccount', id: 'usr_1', applicationId: 'app_1', profileId: 'prf_1', sessionId: 'ses_1' },
      ...(scopes ? { scopes } : {}),
    });
    expect((await mintAccessToken(deps, endUser([]))).claims.scope).toBe('');
    expect((await mintAccessToken(deps, endUser())).claims).not.toHaveProperty('scope');
  });

  it('binds a client’s token to its certificate and gives it no permissions', async () => {
    const token = await mintAccessToken(deps, {
      ...serviceAccount(),
      subject: { subjectType: 'Client', id: 'cl_1', clientId: `cl_1@${ENV}`, name: 'Storefront', applicationId: 'app_1', certificateThumbprint: 'thumb' },
    });
    expect(token.claims).toMatchObject({ subjectType: 'Client', client_id: `cl_1@${ENV}`, applicationId: 'app_1', cnf: { 'x5t#S256': 'thumb' } });
    expect(token.claims).not.toHaveProperty('permissions');
  });

  it('answers an opaque reference token for a service account that asks for one, and stores its claims', async () => {
    const token = await mintAccessToken(deps, serviceAccount({}, 'opaque'));
    expect(token.accessToken).toMatch(/^lko_/);
    expect(parseReferenceToken(token.accessToken)).toMatchObject({ environmentId: ENV, id: token.claims.jti });
    const stored = await opaqueTokens.loadOpaqueToken(ENV, ACCOUNT, token.claims.jti);
    expect(stored.token?.claims).toEqual(token.claims);
  });

  it('never dates the expiry past the grant’s notAfter, and names the actor of an exchange in act', async () => {
    const nowSeconds = Math.floor(NOW / 1000);
    const actor = { sub: newId('sa'), client_id: 'gateway', act: { sub: newId('sa') } };
    const token = await mintAccessToken(deps, serviceAccount({ notAfter: nowSeconds + 90, actor }));
    expect(token.expiresInSeconds).toBe(90);
    expect(decodeJwt(token.accessToken)).toMatchObject({ exp: nowSeconds + 90, act: actor });
    // Without an actor, no act; a notAfter beyond the lifetime changes nothing.
    const plain = await mintAccessToken(deps, serviceAccount({ notAfter: nowSeconds + 7200 }));
    expect(plain.expiresInSeconds).toBe(3600);
    expect(decodeJwt(plain.accessToken).act).toBeUndefined();
  });

  it('binds a token asked for with a DPoP proof to its key, beside a certificate binding, and stores the binding of an opaque one', async () => {
    const plain = await mintAccessToken(deps, serviceAccount());
    expect(plain.tokenType).toBe('Bearer');
    expect(plain.claims).not.toHaveProperty('cnf');

    const bound = await mintAccessToken(deps, serviceAccount({ dpopKeyThumbprint: 'key-thumbprint' }));
    expect(bound.tokenType).toBe('DPoP');
    expect(decodeJwt(bound.accessToken).cnf).toEqual({ jkt: 'key-thumbprint' });

    const client = await mintAccessToken(deps, {
      ...serviceAccount({ dpopKeyThumbprint: 'key-thumbprint' }),
      subject: { subjectType: 'Client', id: 'cl_1', clientId: `cl_1@${ENV}`, name: 'Storefront', applicationId: 'app_1', certificateThumbprint: 'thumb' },
    });
    expect(client.claims.cnf).toEqual({ 'x5t#S256': 'thumb', jkt: 'key-thumbprint' });

    const opaque = await mintAccessToken(deps, serviceAccount({ dpopKeyThumbprint: 'key-thumbprint' }, 'opaque'));
    expect(opaque.tokenType).toBe('DPoP');
    expect((await opaqueTokens.loadOpaqueToken(ENV, ACCOUNT, opaque.claims.jti)).token?.claims.cnf).toEqual({ jkt: 'key-thumbprint' });
  });
});
