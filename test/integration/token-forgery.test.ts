import { createHmac, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Forged bearer tokens against the management API, as an attacker who has seen one genuine token
 * and the public JWKS would try them (RFC 8725 §2.1, §3.1). Every one must answer 401, and the
 * answer must not say which check caught it beyond "invalid token".
 */

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('forged tokens on the management API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let genuine: string;
  let claims: Record<string, unknown>;
  let header: Record<string, unknown>;
  let publicJwk: Record<string, unknown>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    genuine = await adminToken(runtime);
    claims = decodeJwt(genuine) as Record<string, unknown>;
    header = decodeProtectedHeader(genuine) as Record<string, unknown>;
    const jwks = (await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    publicJwk = jwks.keys.find((key) => key.kid === header.kid)!;
  });
  afterAll(() => runtime?.stop());

  const attempt = async (token: string) => {
    const answer = await api(runtime.url, token).get('/v1/service-accounts');
    return answer;
  };

  it('accepts the genuine token (the baseline the forgeries start from)', async () => {
    expect((await attempt(genuine)).status).toBe(200);
  });

  it('refuses alg "none" with the signature stripped', async () => {
    const token = `${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.`;
    expect((await attempt(token)).status).toBe(401);
  });

  it('refuses HS256 keyed with the published public key (algorithm confusion)', async () => {
    const forgedHeader = { ...header, alg: 'HS256' };
    const signingInput = `${b64url(forgedHeader)}.${b64url({ ...claims, permissions: { latchkey: ['ENVIRONMENT_EDIT'] } })}`;
    // Both the JWK's JSON and its coordinates are tried as the HMAC secret, as attack tools do.
    for (const secret of [JSON.stringify(publicJwk), String(publicJwk.x)]) {
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect((await attempt(`${signingInput}.${signature}`)).status).toBe(401);
    }
  });

  it('refuses a token signed by the attacker that names its own key in jwk, jku or x5u', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const attackerJwk = await exportJWK(publicKey);
    const tampered = { ...claims, permissions: { latchkey: ['ENVIRONMENT_EDIT', 'SERVICE_ACCOUNTS_EDIT'] } };
    const headers = [
      { alg: 'ES256', typ: 'at+jwt', jwk: attackerJwk },
      { alg: 'ES256', typ: 'at+jwt', kid: header.kid as string, jwk: attackerJwk },
      { alg: 'ES256', typ: 'at+jwt', kid: 'attacker', jku: 'http://127.0.0.1:9/jwks.json' },
      { alg: 'ES256', typ: 'at+jwt', kid: header.kid as string, x5u: 'http://127.0.0.1:9/cert.pem' },
    ];
    for (const forgedHeader of headers) {
      const token = await new SignJWT(tampered).setProtectedHeader(forgedHeader).sign(privateKey);
      expect((await attempt(token)).status).toBe(401);
    }
  });

  it('refuses a genuine token whose claims were changed after signing', async () => {
    const [encodedHeader, , signature] = genuine.split('.');
    const elevated = { ...claims, sub: 'sa_someoneelse', permissions: { latchkey: ['ENVIRONMENT_EDIT'] } };
    expect((await attempt(`${encodedHeader}.${b64url(elevated)}.${signature}`)).status).toBe(401);
  });

  it('refuses an RS256 token signed by an unpublished key under a published kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: header.kid as string }).sign(privateKey);
    expect((await attempt(token)).status).toBe(401);
  });

  it('answers every forgery with the same invalid_token challenge, naming no key material', async () => {
    const answer = await attempt(`${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.`);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.stringify(answer.body)).not.toContain(String(publicJwk.x));
  });
});
