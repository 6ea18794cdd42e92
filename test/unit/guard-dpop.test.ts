import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGuard, GuardError, type DpopReplayCache, type GuardErrorCode } from '../../src/guard';

/**
 * The guard with DPoP-bound tokens (RFC 9449 §7), as a resource server uses it: tokens and proofs
 * made with jose, the proof's method and URL passed with the request, every refusal by its code.
 */

const ISSUER = 'https://id.example.test';
const ENVIRONMENT = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const URL_ = 'https://api.example.test/orders/42';
const now = () => Math.floor(Date.now() / 1000);

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly jkt: string;
}

async function keyPair(alg = 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

/** A DPoP proof as a client makes one (RFC 9449 §4.2), with any field overridden. */
function proof(key: KeyPair, token: string, overrides: { header?: Record<string, unknown>; claims?: JWTPayload; alg?: string } = {}): Promise<string> {
  const claims = {
    jti: crypto.randomUUID(),
    htm: 'GET',
    htu: URL_,
    iat: now(),
    ath: createHash('sha256').update(token).digest('base64url'),
    ...overrides.claims,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: overrides.alg ?? 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk, ...overrides.header }).sign(key.privateKey);
}

async function refused(promise: Promise<unknown>, code: GuardErrorCode, fragment?: string): Promise<void> {
  const error = await promise.then(
    () => expect.fail(`expected ${code}, but the token was accepted`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GuardError);
  expect((error as GuardError).code).toBe(code);
  expect((error as GuardError).status).toBe(401);
  if (fragment) expect((error as GuardError).message).toContain(fragment);
}

describe('the guard with DPoP-bound tokens (RFC 9449 §7)', () => {
  let signer: { privateKey: CryptoKey; jwk: JWK };
  let holder: KeyPair;
  let thief: KeyPair;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    signer = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' } };
    holder = await keyPair();
    thief = await keyPair();
  });

  const guardFor = (replayCache?: DpopReplayCache) =>
    createGuard({ issuer: ISSUER, jwks: { keys: [signer.jwk] }, environmentId: ENVIRONMENT, ...(replayCache ? { dpop: { replayCache } } : {}) });
  const token = (cnf?: Record<string, string>) =>
    new SignJWT({
      iss: ISSUER,
      sub: 'sa_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      aud: 'urn:orders',
      iat: now(),
      exp: now() + 600,
      jti: crypto.randomUUID(),
      subjectType: 'ServiceAccount',
      tenantId: 'ten_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      environmentId: ENVIRONMENT,
      permissions: { orders: ['orders.read'] },
      ...(cnf ? { cnf } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .sign(signer.privateKey);
  const request = (dpop: string | undefined, overrides: { method?: string; url?: string } = {}) => ({
    resource: 'orders',
    allOf: ['orders.read'],
    dpop: { proof: dpop, method: overrides.method ?? 'GET', url: overrides.url ?? URL_ },
  });

  it('accepts a bound token with a proof of its key for this request, under the DPoP scheme', async () => {
    const bound = await token({ jkt: holder.jkt });
    const claims = await guardFor().verifyAuthorizationHeader(`DPoP ${bound}`, request(await proof(holder, bound)));
    expect(claims.cnf).toEqual({ jkt: holder.jkt });
    // The URL is compared normalised and without its query (RFC 9449 §4.3 step 9).
    await guardFor().verify(bound, request(await proof(holder, bound, { claims: { htu: 'HTTPS://API.example.test:443/orders/42' } }), { url: `${URL_}?expand=1` }));
  });

  it('refuses a bound token as a Bearer token, or without a proof: DPOP_PROOF_REQUIRED', async () => {
    const bound = await token({ jkt: holder.jkt });
    await refused(guardFor().verifyAuthorizationHeader(`Bearer ${bound}`, request(await proof(holder, bound))), 'DPOP_PROOF_REQUIRED', 'Authorization: DPoP');
    await refused(guardFor().verifyAuthorizationHeader(`DPoP ${bound}`, request(undefined)), 'DPOP_PROOF_REQUIRED');
    await refused(guardFor().verify(bound), 'DPOP_PROOF_REQUIRED');
  });

  it("refuses a proof of another key than the token's, as a thief without the key would send: DPOP_PROOF_INVALID", async () => {
    const bound = await token({ jkt: holder.jkt });
    await refused(guardFor().verifyAuthorizationHeader(`DPoP ${bound}`, request(await proof(thief, bound))), 'DPOP_PROOF_INVALID', 'another key');
  });

  it('refuses a proof used before, within its window, with the default cache or one passed in', async () => {
    const bound = await token({ jkt: holder.jkt });
    const guard = guardFor();
    const once = await proof(holder, bound);
    await guard.verify(bound, request(once));
    await refused(guard.verify(bound, request(once)), 'DPOP_PROOF_INVALID', 'used before');

    const recorded = new Set<string>();
    const shared: DpopReplayCache = {
      record: async ({ jkt, jti, environmentId }) => {
        expect({ jkt, environmentId }).toEqual({ jkt: holder.jkt, environmentId: ENVIRONMENT });
        if (recorded.has(jti)) return false;
        recorded.add(jti);
        return true;
      },
    };
    const again = await proof(holder, bound);
    await guardFor(shared).verify(bound, request(again));
    // Another guard instance sharing the cache refuses it too.
    await refused(guardFor(shared).verify(bound, request(again)), 'DPOP_PROOF_INVALID', 'used before');
  });

  it('refuses a proof for another method, URL or token, or outside its window', async () => {
    const bound = await token({ jkt: holder.jkt });
    const guard = guardFor();
    await refused(guard.verify(bound, request(await proof(holder, bound), { method: 'POST' })), 'DPOP_PROOF_INVALID', '"htm"');
    await refused(guard.verify(bound, request(await proof(holder, bound), { url: 'https://api.example.test/orders/43' })), 'DPOP_PROOF_INVALID', '"htu"');
    await refused(guard.verify(bound, request(await proof(holder, bound, { claims: { ath: 'x' } }))), 'DPOP_PROOF_INVALID', '"ath"');
    await refused(guard.verify(bound, request(await proof(holder, bound, { claims: { iat: now() - 600 } }))), 'DPOP_PROOF_INVALID', '"iat"');
    await refused(guard.verify(bound, request(await proof(holder, bound, { claims: { iat: now() + 600 } }))), 'DPOP_PROOF_INVALID', '"iat"');
  });

  it('refuses a proof that is not a DPoP JWT of a public asymmetric key', async () => {
    const bound = await token({ jkt: holder.jkt });
    const guard = guardFor();
    await refused(guard.verify(bound, request(await proof(holder, bound, { header: { typ: 'JWT' } }))), 'DPOP_PROOF_INVALID', 'typ');
    await refused(guard.verify(bound, request(await proof(holder, bound, { header: { jwk: { ...holder.publicJwk, d: 'secret' } } }))), 'DPOP_PROOF_INVALID', 'public');
    await refused(guard.verify(bound, request(await proof(holder, bound, { header: { jwk: thief.publicJwk } }))), 'DPOP_PROOF_INVALID', 'not valid');
    const hmac = await new SignJWT({ jti: 'j', htm: 'GET', htu: URL_, iat: now() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as JWK })
      .sign(new TextEncoder().encode('secret'));
    await refused(guard.verify(bound, request(hmac)), 'DPOP_PROOF_INVALID', 'public');
    await refused(guard.verify(bound, request(`${await proof(holder, bound)}, ${await proof(holder, bound)}`)), 'DPOP_PROOF_INVALID', 'exactly one');
    await refused(guard.verify(bound, request('not-a-jwt')), 'DPOP_PROOF_INVALID');
  });

  it('keeps bearer tokens as they were, and refuses one under the DPoP scheme', async () => {
    const bearer = await token();
    await guardFor().verifyAuthorizationHeader(`Bearer ${bearer}`, { resource: 'orders', allOf: ['orders.read'] });
    await refused(guardFor().verifyAuthorizationHeader(`DPoP ${bearer}`, request(await proof(holder, bearer))), 'TOKEN_INVALID', 'not bound');
  });
});
