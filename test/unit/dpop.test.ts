import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssertionReplayStore } from '../../src/domain/clients/client-assertion';
import { checkResourceProof, tokenRequestKey, type DpopDeps } from '../../src/domain/dpop';
import { InvalidDpopProof, InvalidDpopToken } from '../../src/domain/errors';
import { accessTokenHash } from '../../src/dpop-proof';

/**
 * DPoP at Latchkey's own endpoints (src/domain/dpop.ts) against an in-memory replay store and a
 * frozen clock: when a proof is required, where its `jti` is recorded, and the schemes of a resource.
 */

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const TOKEN_ENDPOINT = 'https://id.example.com/oauth/v2/token';
const USERINFO = 'https://id.example.com/oauth/v2/userinfo';

/** The replay records as the table keeps them: one per environment, key and `jti`, until it expires. */
class MemoryReplay implements AssertionReplayStore {
  readonly records = new Map<string, number>();
  async recordAssertionId(environmentId: string, clientId: string, jti: string, expiresAt: number, nowSeconds: number): Promise<boolean> {
    const key = `${environmentId} ${clientId} ${jti}`;
    if ((this.records.get(key) ?? 0) > nowSeconds) return false;
    this.records.set(key, expiresAt);
    return true;
  }
}

describe('DPoP at the token endpoint and Latchkey’s resources', () => {
  let key: { privateKey: CryptoKey; jwk: JWK; jkt: string };
  let replay: MemoryReplay;
  let deps: DpopDeps;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    key = { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
  });
  const fresh = () => {
    replay = new MemoryReplay();
    deps = { now: () => NOW, replay };
  };
  const proof = (claims: Record<string, unknown>, jti = 'proof-1') =>
    new SignJWT({ jti, iat: NOW / 1000, ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(key.privateKey);

  it('answers no key for a request without a proof, unless the client requires one', async () => {
    fresh();
    const none = { proof: undefined, method: 'POST', url: TOKEN_ENDPOINT };
    expect(await tokenRequestKey(deps, 'env_a', none, false)).toBeUndefined();
    await expect(tokenRequestKey(deps, 'env_a', none, true)).rejects.toMatchObject({ status: 400, code: 'invalid_dpop_proof' });
  });

  it("answers the proof key's thumbprint and records its jti in the client's environment until the window ends", async () => {
    fresh();
    const presented = { proof: await proof({ htm: 'POST', htu: TOKEN_ENDPOINT }), method: 'POST', url: TOKEN_ENDPOINT };
    expect(await tokenRequestKey(deps, 'env_a', presented, false)).toBe(key.jkt);
    expect([...replay.records]).toEqual([[`env_a dpop#${key.jkt} proof-1`, NOW / 1000 + 150]]);
    await expect(tokenRequestKey(deps, 'env_a', presented, false)).rejects.toBeInstanceOf(InvalidDpopProof);
  });

  it('asks a bound token for the DPoP scheme and a proof of its key with ath; refuses a bearer token under DPoP', async () => {
    fresh();
    const token = 'eyJ.token.sig';
    const bound = { environmentId: 'env_a', cnf: { jkt: key.jkt } };
    const presented = { proof: await proof({ htm: 'GET', htu: USERINFO, ath: accessTokenHash(token) }), method: 'GET', url: USERINFO };
    await expect(checkResourceProof(deps, bound, token, 'Bearer', presented)).rejects.toBeInstanceOf(InvalidDpopToken);
    await expect(checkResourceProof(deps, bound, token, 'DPoP', { ...presented, proof: undefined })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_dpop_proof',
      headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' },
    });
    await checkResourceProof(deps, bound, token, 'DPoP', presented);
    await expect(
      checkResourceProof(deps, { environmentId: 'env_a', cnf: { jkt: 'another-key' } }, token, 'DPoP', {
        ...presented,
        proof: await proof({ htm: 'GET', htu: USERINFO, ath: accessTokenHash(token) }, 'proof-2'),
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('another key') });

    await checkResourceProof(deps, { environmentId: 'env_a' }, token, 'Bearer', { proof: undefined, method: 'GET', url: USERINFO });
    await expect(checkResourceProof(deps, { environmentId: 'env_a' }, token, 'DPoP', presented)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });
});
