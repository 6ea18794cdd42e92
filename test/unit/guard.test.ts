import { createHash, generateKeyPairSync, sign as signBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSelfSignedCertificate } from '../../src/adapters/x509-certificate';
import { createGuard, DEFAULT_EMBEDDED_TOKEN_CLAIM, GuardError, type GuardErrorCode } from '../../src/guard';

/**
 * The guard as a resource server uses it: keys from a JWKS served over HTTP by a real
 * server on loopback, tokens signed with jose, every check and every stable error code.
 */

const ISSUER = 'https://id.example.test';
const TENANT = 'ten_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const ENVIRONMENT = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);

function sign(key: SigningKey, claims: JWTPayload, header: { typ?: string; kid?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: header.typ ?? 'at+jwt', kid: header.kid ?? key.kid }).sign(key.privateKey);
}

function endUserClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: 'usr_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    aud: 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    iat: now(),
    exp: now() + 600,
    jti: 'tok_1',
    subjectType: 'EndUserAccount',
    tenantId: TENANT,
    environmentId: ENVIRONMENT,
    applicationId: 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    profileId: 'prf_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    sessionId: 'ses_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    name: 'ada',
    ...overrides,
  };
}

function serviceClaims(permissions: Record<string, string[]>, overrides: Record<string, unknown> = {}): JWTPayload {
  return { ...endUserClaims({ subjectType: 'ServiceAccount', sub: 'sa_aaaaaaaaaaaaaaaaaaaaaaaaaa', aud: 'urn:latchkey:resource:orders', permissions }), ...overrides };
}

/** A self-signed client certificate (PEM), as a mutual-TLS client makes one. */
async function clientCertificatePem(commonName: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return buildSelfSignedCertificate(
    {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      algorithm: 'ECDSA-SHA256',
      commonName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature'],
    },
    (tbs) => signBytes('sha256', tbs, privateKey),
  );
}

/** RFC 8705 §3.1, computed independently of the guard: base64url SHA-256 of the DER bytes. */
const thumbprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

/** Expects a GuardError with this code (and, when given, a message fragment). */
async function refused(promise: Promise<unknown>, code: GuardErrorCode, fragment?: string): Promise<GuardError> {
  const error = await promise.then(
    () => expect.fail(`expected ${code}, but the token was accepted`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GuardError);
  expect((error as GuardError).code).toBe(code);
  if (fragment) expect((error as GuardError).message).toContain(fragment);
  return error as GuardError;
}

describe('the guard', () => {
  let server: Server;
  let jwksUri: string;
  let published: SigningKey[];
  let fetches = 0;
  let failing = false;
  let key: SigningKey;
  let foreign: SigningKey;

  beforeAll(async () => {
    key = await signingKey('key-1');
    foreign = await signingKey('key-foreign');
    published = [key];
    server = createServer((_request, response) => {
      fetches++;
      if (failing) {
        response.writeHead(500).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      response.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    failing = false;
    published = [key];
    vi.useRealTimers();
  });

  // Serves the tenant of the test tokens unless a test says otherwise.
  const guardFor = (options: Partial<Parameters<typeof createGuard>[0]> = {}) =>
    createGuard({ issuer: ISSUER, jwksUri, ...(options.environmentId || options.unsafeAcceptAnyTenant ? {} : { tenantId: TENANT }), ...options });

  describe('keys', () => {
    it('fetches the JWKS once and serves later verifications from its cache', async () => {
      const guard = guardFor();
      const before = fetches;
      for (let i = 0; i < 3; i++) await guard.verify(await sign(key, endUserClaims()));
      expect(fetches - before).toBe(1);
    });

    it('fetches again for a key ID it does not know (after the refetch cool-down), and then accepts it', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const guard = guardFor();
      await guard.verify(await sign(key, endUserClaims()));
      const rotated = await signingKey('key-2');
      published = [key, rotated];
      const before = fetches;
      vi.setSystemTime(Date.now() + 31_000);
      const claims = await guard.verify(await sign(rotated, endUserClaims()));
      expect(claims.sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      expect(fetches - before).toBe(1);
    });

    it('refuses a token whose key is not published: SIGNING_KEY_NOT_FOUND', async () => {
      await refused(guardFor().verify(await sign(foreign, endUserClaims())), 'SIGNING_KEY_NOT_FOUND');
    });

    it("refuses a token signed by another key under a published key's ID: TOKEN_INVALID", async () => {
      await refused(guardFor().verify(await sign(foreign, endUserClaims(), { kid: key.kid })), 'TOKEN_INVALID');
    });

    it('answers JWKS_UNREACHABLE (503) when the keys cannot be fetched', async () => {
      failing = true;
      const error = await refused(guardFor().verify(await sign(key, endUserClaims())), 'JWKS_UNREACHABLE');
      expect(error.status).toBe(503);
      const nowhere = createGuard({ issuer: ISSUER, tenantId: TENANT, jwksUri: 'http://127.0.0.1:9/jwks.json' });
      await refused(nowhere.verify(await sign(key, endUserClaims())), 'JWKS_UNREACHABLE');
    });

    it('accepts a key set function, and maps its failure to JWKS_UNREACHABLE', async () => {
      const local = createGuard({ issuer: ISSUER, tenantId: TENANT, jwks: async () => ({ keys: [key.publicJwk] }) });
      expect((await local.verify(await sign(key, endUserClaims()))).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      const broken = createGuard({ issuer: ISSUER, tenantId: TENANT, jwks: async () => Promise.reject(new Error('KMS down')) });
      await refused(broken.verify(await sign(key, endUserClaims())), 'JWKS_UNREACHABLE');
    });

    it('follows a key set function that answers a new set: a rotated-in key verifies, a retired one no longer does', async () => {
      let set = { keys: [key.publicJwk] };
      const local = createGuard({ issuer: ISSUER, tenantId: TENANT, jwks: async () => set });
      expect((await local.verify(await sign(key, endUserClaims()))).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      // Same set object again: the keys imported for the first token serve the second.
      expect((await local.verify(await sign(key, endUserClaims()))).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      const next = await signingKey('key-next');
      set = { keys: [next.publicJwk] };
      expect((await local.verify(await sign(next, endUserClaims()))).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      await refused(local.verify(await sign(key, endUserClaims())), 'SIGNING_KEY_NOT_FOUND');
    });
  });

  describe('token checks', () => {
    it('answers the claims of a valid token', async () => {
      const claims = await guardFor({ tenantId: TENANT, environmentId: ENVIRONMENT }).verify(await sign(key, endUserClaims()));
      expect(claims).toMatchObject({ subjectType: 'EndUserAccount', tenantId: TENANT, environmentId: ENVIRONMENT, profileId: 'prf_aaaaaaaaaaaaaaaaaaaaaaaaaa' });
    });

    it('requires a token: TOKEN_REQUIRED (401)', async () => {
      const guard = guardFor();
      const error = await refused(guard.verify(undefined), 'TOKEN_REQUIRED');
      expect(error.status).toBe(401);
      await refused(guard.verifyAuthorizationHeader(undefined), 'TOKEN_REQUIRED');
      await refused(guard.verifyAuthorizationHeader('Basic dXNlcjpwdw=='), 'TOKEN_REQUIRED');
      const token = await sign(key, endUserClaims());
      expect((await guard.verifyAuthorizationHeader(`bearer ${token}`)).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    });

    it('refuses an expired token: TOKEN_EXPIRED', async () => {
      await refused(guardFor().verify(await sign(key, endUserClaims({ iat: now() - 700, exp: now() - 60 }))), 'TOKEN_EXPIRED');
    });

    it('tolerates a few seconds of clock skew, no more', async () => {
      const guard = guardFor();
      expect((await guard.verify(await sign(key, endUserClaims({ exp: now() - 2 })))).sub).toBeDefined();
      await refused(guard.verify(await sign(key, endUserClaims({ nbf: now() + 60 }))), 'TOKEN_INVALID', 'nbf');
    });

    it.each([
      ['another issuer', { iss: 'https://evil.example.test' }, 'iss'],
      ['no subject', { sub: undefined }, 'sub'],
      ['no tenant', { tenantId: undefined }, 'tenant'],
    ])('refuses a token with %s: TOKEN_INVALID', async (_name, overrides, fragment) => {
      await refused(guardFor().verify(await sign(key, endUserClaims(overrides))), 'TOKEN_INVALID', fragment);
    });

    it('refuses a token that is not an access token (typ) or not ES256', async () => {
      await refused(guardFor().verify(await sign(key, endUserClaims(), { typ: 'JWT' })), 'TOKEN_INVALID');
      const hmac = await new SignJWT(endUserClaims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }).sign(new TextEncoder().encode('x'.repeat(32)));
      await refused(guardFor().verify(hmac), 'TOKEN_INVALID');
      await refused(guardFor().verify('not.a.jwt'), 'TOKEN_INVALID');
    });

    it('checks the expected tenant, environment and audience', async () => {
      const token = await sign(key, endUserClaims());
      await refused(guardFor({ tenantId: 'ten_bbbbbbbbbbbbbbbbbbbbbbbbbb' }).verify(token), 'TOKEN_INVALID', 'another tenant');
      await refused(guardFor({ tenantId: TENANT, environmentId: 'env_bbbbbbbbbbbbbbbbbbbbbbbbbb' }).verify(token), 'TOKEN_INVALID', 'another environment');
      await refused(guardFor({ environmentId: 'env_bbbbbbbbbbbbbbbbbbbbbbbbbb' }).verify(token), 'TOKEN_INVALID', 'another environment');
      await refused(guardFor({ audience: 'urn:other' }).verify(token), 'TOKEN_INVALID', 'aud');
      expect((await guardFor({ audience: ['urn:other', 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa'] }).verify(token)).sub).toBeDefined();
    });

    it('checks the subject type: NOT_AUTHORIZED (403)', async () => {
      const error = await refused(guardFor().verify(await sign(key, serviceClaims({})), { subjectType: 'EndUserAccount' }), 'NOT_AUTHORIZED', 'EndUserAccount');
      expect(error.status).toBe(403);
    });
  });

  describe('permissions', () => {
    const permissions = { orders: ['orders.read', 'orders.write'], billing: ['billing.read'] };

    it('accepts all-of and any-of requirements the token meets', async () => {
      const token = await sign(key, serviceClaims(permissions));
      const guard = guardFor();
      await guard.verify(token, { resource: 'orders', allOf: ['orders.read', 'orders.write'] });
      await guard.verify(token, { resource: 'orders', anyOf: ['orders.admin', 'orders.read'] });
      await guard.verify(token, { resource: 'orders', allOf: ['orders.read'], anyOf: ['orders.write', 'orders.admin'] });
    });

    it('refuses a missing permission with NOT_AUTHORIZED, naming it', async () => {
      const token = await sign(key, serviceClaims(permissions));
      const guard = guardFor();
      await refused(guard.verify(token, { resource: 'orders', allOf: ['orders.read', 'orders.admin'] }), 'NOT_AUTHORIZED', 'orders.admin');
      await refused(guard.verify(token, { resource: 'orders', anyOf: ['orders.admin', 'orders.delete'] }), 'NOT_AUTHORIZED', 'one of orders.admin, orders.delete');
      // A permission of another resource does not count.
      await refused(guard.verify(token, { resource: 'orders', allOf: ['billing.read'] }), 'NOT_AUTHORIZED');
      await refused(guard.verify(await sign(key, endUserClaims()), { resource: 'orders', anyOf: ['orders.read'] }), 'NOT_AUTHORIZED');
    });

    it('is a programming error to ask for permissions without a resource', async () => {
      await expect(guardFor().verify(await sign(key, serviceClaims(permissions)), { allOf: ['orders.read'] })).rejects.toThrow(TypeError);
    });
  });

  describe('an end-user token embedded in a third-party JWT', () => {
    let thirdParty: CryptoKey;
    beforeAll(async () => {
      ({ privateKey: thirdParty } = await generateKeyPair('RS256'));
    });
    const outer = (claims: Record<string, unknown>) =>
      new SignJWT({ sub: '1234567890', name: 'John Doe', admin: true, ...claims }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('1h').sign(thirdParty);

    it(`accepts the embedded token under "${DEFAULT_EMBEDDED_TOKEN_CLAIM}", verified on its own`, async () => {
      const embedded = await sign(key, endUserClaims());
      const claims = await guardFor({ environmentId: ENVIRONMENT }).verifyEmbedded(await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: embedded }));
      // The answer describes the Latchkey token, not the outer one.
      expect(claims).toMatchObject({ sub: 'usr_aaaaaaaaaaaaaaaaaaaaaaaaaa', profileId: 'prf_aaaaaaaaaaaaaaaaaaaaaaaaaa' });
      expect(claims).not.toHaveProperty('admin');
    });

    it('accepts the claim as a nested path too, and under a configured name', async () => {
      const embedded = await sign(key, endUserClaims());
      const nested = await outer({ latchkey: { 'end-user': { accessToken: embedded } } });
      expect((await guardFor().verifyEmbedded(nested)).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      const custom = await outer({ 'acme.latchkey': embedded });
      expect((await guardFor({ embeddedTokenClaim: 'acme.latchkey' }).verifyEmbedded(custom)).sub).toBe('usr_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      await refused(guardFor().verifyEmbedded(custom), 'TOKEN_REQUIRED', DEFAULT_EMBEDDED_TOKEN_CLAIM);
    });

    it('refuses an embedded token signed by another key', async () => {
      await refused(guardFor().verifyEmbedded(await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: await sign(foreign, endUserClaims()) })), 'SIGNING_KEY_NOT_FOUND');
      const impostor = await sign(foreign, endUserClaims(), { kid: key.kid });
      await refused(guardFor().verifyEmbedded(await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: impostor })), 'TOKEN_INVALID');
    });

    it('refuses an expired embedded token, even inside a fresh outer token', async () => {
      const expired = await sign(key, endUserClaims({ iat: now() - 4000, exp: now() - 600 }));
      await refused(guardFor().verifyEmbedded(await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: expired })), 'TOKEN_EXPIRED');
    });

    it('refuses an embedded token for another environment', async () => {
      const elsewhere = await sign(key, endUserClaims({ environmentId: 'env_bbbbbbbbbbbbbbbbbbbbbbbbbb' }));
      await refused(guardFor({ environmentId: ENVIRONMENT }).verifyEmbedded(await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: elsewhere })), 'TOKEN_INVALID', 'another environment');
    });

    it('accepts only end-user tokens inside, whatever the requirements say', async () => {
      const service = await sign(key, serviceClaims({ orders: ['orders.read'] }));
      const wrapped = await outer({ [DEFAULT_EMBEDDED_TOKEN_CLAIM]: service });
      await refused(guardFor().verifyEmbedded(wrapped), 'NOT_AUTHORIZED', 'EndUserAccount');
      await refused(guardFor().verifyEmbedded(wrapped, { subjectType: undefined }), 'NOT_AUTHORIZED');
      await refused(guardFor().verifyEmbedded(wrapped, { subjectType: 'ServiceAccount' }), 'NOT_AUTHORIZED');
    });

    it('refuses an outer token without the claim or that is not a JWT', async () => {
      await refused(guardFor().verifyEmbedded(await outer({})), 'TOKEN_REQUIRED');
      await refused(guardFor().verifyEmbedded(await outer({ toString: 'x' })), 'TOKEN_REQUIRED');
      await refused(guardFor().verifyEmbedded('garbage'), 'TOKEN_INVALID');
      await refused(guardFor().verifyEmbedded(undefined), 'TOKEN_REQUIRED');
    });

    it('never trusts the outer token: an embedded Latchkey token is needed even when the outer one is Latchkey-signed', async () => {
      const latchkeySignedOuter = await sign(key, endUserClaims());
      await refused(guardFor().verifyEmbedded(latchkeySignedOuter), 'TOKEN_REQUIRED');
    });
  });

  describe('whom the guard serves', () => {
    it('is a TypeError to create a guard that names no tenant or environment', () => {
      expect(() => createGuard({ issuer: ISSUER, jwksUri })).toThrow(TypeError);
      expect(() => createGuard({ issuer: ISSUER, jwksUri })).toThrow(/tenantId and\/or environmentId/);
      expect(() => createGuard({ issuer: ISSUER, jwksUri, tenantId: '' })).toThrow(TypeError);
      expect(() => createGuard({ issuer: ISSUER, jwksUri, unsafeAcceptAnyTenant: false as unknown as true })).toThrow(TypeError);
      expect(() => createGuard({ issuer: ISSUER, jwksUri, tenantId: TENANT, unsafeAcceptAnyTenant: true })).toThrow(TypeError);
    });

    it("refuses a token of tenant B at tenant A's guard, even with A's audience and a valid signature", async () => {
      const tenantB = 'ten_bbbbbbbbbbbbbbbbbbbbbbbbbb';
      const tokenOfB = await sign(key, serviceClaims({ orders: ['orders.read'] }, { tenantId: tenantB, environmentId: 'env_bbbbbbbbbbbbbbbbbbbbbbbbbb' }));
      const guardOfA = guardFor({ tenantId: TENANT, audience: 'urn:latchkey:resource:orders' });
      await refused(guardOfA.verify(tokenOfB, { resource: 'orders', allOf: ['orders.read'] }), 'TOKEN_INVALID', 'another tenant');
      await refused(guardFor({ environmentId: ENVIRONMENT, audience: 'urn:latchkey:resource:orders' }).verify(tokenOfB), 'TOKEN_INVALID', 'another environment');
      // The same token of A passes A's guard: the refusal is about the tenant, nothing else.
      const tokenOfA = await sign(key, serviceClaims({ orders: ['orders.read'] }));
      expect((await guardOfA.verify(tokenOfA, { resource: 'orders', allOf: ['orders.read'] })).tenantId).toBe(TENANT);
    });

    it('accepts every tenant only when told so explicitly', async () => {
      const tokenOfB = await sign(key, endUserClaims({ tenantId: 'ten_bbbbbbbbbbbbbbbbbbbbbbbbbb', environmentId: 'env_bbbbbbbbbbbbbbbbbbbbbbbbbb' }));
      const everyTenant = createGuard({ issuer: ISSUER, jwksUri, unsafeAcceptAnyTenant: true });
      expect((await everyTenant.verify(tokenOfB)).tenantId).toBe('ten_bbbbbbbbbbbbbbbbbbbbbbbbbb');
    });
  });

  describe('certificate-bound tokens (RFC 8705 §3)', () => {
    let pem: string;
    let otherPem: string;
    beforeAll(async () => {
      pem = await clientCertificatePem('device-1');
      otherPem = await clientCertificatePem('device-1');
    });
    const bound = (thumbprint: string) => sign(key, serviceClaims({ orders: ['orders.read'] }, { cnf: { 'x5t#S256': thumbprint } }));

    it('accepts a bound token with the certificate it is bound to, as PEM, DER or thumbprint', async () => {
      const token = await bound(thumbprintOf(pem));
      const guard = guardFor();
      expect((await guard.verify(token, { clientCertificate: { certificate: pem } })).cnf).toEqual({ 'x5t#S256': thumbprintOf(pem) });
      await guard.verify(token, { clientCertificate: { certificate: new Uint8Array(new X509Certificate(pem).raw) } });
      await guard.verify(token, { clientCertificate: { thumbprint: thumbprintOf(pem) } });
    });

    it('refuses a bound token presented without a certificate: CERTIFICATE_REQUIRED (401)', async () => {
      const token = await bound(thumbprintOf(pem));
      const error = await refused(guardFor().verify(token), 'CERTIFICATE_REQUIRED', 'cnf.x5t#S256');
      expect(error.status).toBe(401);
      await refused(guardFor().verifyAuthorizationHeader(`Bearer ${token}`, { resource: 'orders', allOf: ['orders.read'] }), 'CERTIFICATE_REQUIRED');
    });

    it('refuses a bound token with another certificate (same subject), another thumbprint or an unreadable certificate: CERTIFICATE_MISMATCH', async () => {
      const token = await bound(thumbprintOf(pem));
      const guard = guardFor();
      await refused(guard.verify(token, { clientCertificate: { certificate: otherPem } }), 'CERTIFICATE_MISMATCH');
      await refused(guard.verify(token, { clientCertificate: { thumbprint: thumbprintOf(otherPem) } }), 'CERTIFICATE_MISMATCH');
      await refused(guard.verify(token, { clientCertificate: { thumbprint: 'short' } }), 'CERTIFICATE_MISMATCH');
      await refused(guard.verify(token, { clientCertificate: { certificate: 'not a certificate' } }), 'CERTIFICATE_MISMATCH');
    });

    it('refuses a malformed cnf, or one with a confirmation method the guard cannot check', async () => {
      const guard = guardFor();
      const withCnf = (cnf: unknown) => sign(key, serviceClaims({}, { cnf }));
      // `jkt` alone is a DPoP binding (test/unit/guard-dpop.test.ts); beside a certificate it must still be well formed.
      for (const cnf of ['x', ['a'], {}, { 'x5t#S256': 42 }, { 'x5t#S256': 'tooshort' }, { 'x5t#S256': thumbprintOf(pem), jkt: 'x' }, { 'x5t#S256': thumbprintOf(pem), jwk: {} }]) {
        await refused(guard.verify(await withCnf(cnf), { clientCertificate: { certificate: pem } }), 'TOKEN_INVALID', 'cnf');
      }
    });

    it('accepts an unbound token whether or not a certificate is presented', async () => {
      const token = await sign(key, serviceClaims({}));
      await guardFor().verify(token, { clientCertificate: { certificate: pem } });
      await guardFor().verify(token);
    });
  });

  describe('the permissions claim', () => {
    it.each([
      ['a list', ['orders.read']],
      ['a string', 'orders.read'],
      ['null', null],
      ['an object with a string value', { orders: 'orders.read' }],
      ['an object with a list holding a number', { orders: ['orders.read', 7] }],
      ['an object with a nested object', { orders: { read: true } }],
    ])('refuses a token whose permissions claim is %s: TOKEN_INVALID', async (_name, permissions) => {
      const token = await sign(key, endUserClaims({ subjectType: 'ServiceAccount', permissions }));
      await refused(guardFor().verify(token), 'TOKEN_INVALID', 'permissions');
    });

    it('finds no permission in Object.prototype members', async () => {
      const token = await sign(key, serviceClaims({ orders: ['orders.read'] }));
      await refused(guardFor().verify(token, { resource: 'constructor', anyOf: ['name'] }), 'NOT_AUTHORIZED');
    });
  });
});
