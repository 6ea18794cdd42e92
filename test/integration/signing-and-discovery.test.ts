import { KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeySet } from '../../src/adapters/kms-key-set';
import { startTestRuntime } from '../support/local-runtime';

describe('KMS-signed tokens and discovery over the local API (KMS signing mode)', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let signer: KmsKeySet;

  beforeAll(async () => {
    // Signers and verifiers re-read the list of retired keys for every token, so a retirement shows at once.
    runtime = await startTestRuntime(undefined, { signingMode: 'kms', signingKeyRefreshSeconds: 0 });
    // The unchanged SDK client, configured only through the standard endpoint variable.
    expect(process.env.AWS_ENDPOINT_URL_KMS).toBe(runtime.endpoints.aws);
    signer = new KmsKeySet(new KMSClient({}), runtime.resources.signingKeyArn, [runtime.resources.signingKeyArn]);
  });
  afterAll(() => runtime?.stop());

  it('signs an ES256 token that jose verifies against the JWKS served over HTTP', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signer.sign({ iss: runtime.url, sub: 'someone', iat: now, exp: now + 60 }, { typ: 'at+jwt' });
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: runtime.url, typ: 'at+jwt' });
    expect(payload.sub).toBe('someone');
    expect(protectedHeader.alg).toBe('ES256');
  });

  it('issues client-credentials tokens signed by KMS, one kms:Sign each, that verify with the JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const token = async () => {
      const response = await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    await token();
    const before = runtime.awsCalls()['TrentService.Sign'] ?? 0;
    const { protectedHeader } = await jwtVerify(await token(), jwks, { issuer: runtime.url });
    expect(runtime.awsCalls()['TrentService.Sign']).toBe(before + 1);
    expect(protectedHeader.kid).toBe((await signer.publicKeys())[0]!.kid);
  });

  it('refuses RS256 when the deployment has no RSA signing key, with a 400-class error, not a crash', async () => {
    await expect(signer.sign({ sub: 'someone' }, { alg: 'RS256' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^RS256 is not configured/) });
  });

  it('signs RS256 with the RSA key when one is configured, and publishes it', async () => {
    const rsa = new KmsKeySet(new KMSClient({}), runtime.resources.signingKeyArn, [runtime.resources.signingKeyArn], runtime.resources.rsaSigningKeyArn);
    const keys = await rsa.publicKeys();
    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'RS256']);
    const token = await rsa.sign({ sub: 'someone' }, { alg: 'RS256' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: keys as JWK[] }));
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: keys[1]!.kid });
    expect(payload.sub).toBe('someone');
  });

  it('names each published key (the signing key and a standby key) by its RFC 7638 thumbprint', async () => {
    const { keys } = (await (await fetch(`${runtime.url}/oauth/v2/keys`)).json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.kid).toBe(await calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }));
      expect(key).not.toHaveProperty('d');
    }
  });

  it('rejects a tampered token', async () => {
    const token = await signer.sign({ sub: 'someone', scope: 'read' });
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'someone', scope: 'admin' })).toString('base64url');
    expect(payload).not.toBe(forged);
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    await expect(jwtVerify(`${header}.${forged}.${signature}`, jwks)).rejects.toThrow(/signature verification failed/);
  });

  it('rejects a token signed by a key that is not published', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const published = (await signer.publicKeys())[0]!;
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const foreign = await new SignJWT({ sub: 'someone' }).setProtectedHeader({ alg: 'ES256', kid: 'unknown' }).sign(privateKey);
    await expect(jwtVerify(foreign, jwks)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // Claiming the published kid does not help a foreign key either.
    const impostor = await new SignJWT({ sub: 'someone' }).setProtectedHeader({ alg: 'ES256', kid: published.kid }).sign(privateKey);
    expect(decodeProtectedHeader(impostor).kid).toBe(published.kid);
    await expect(jwtVerify(impostor, jwks)).rejects.toThrow(/signature verification failed/);
  });

  it('serves the discovery document with the issuer and JWKS location, cacheable', async () => {
    const response = await fetch(`${runtime.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(runtime.url);
    expect(metadata.jwks_uri).toBe(`${runtime.url}/.well-known/jwks.json`);
  });

  it('answers the JWKS as a JWK set that HTTP caches keep for 30 s, so a retired key leaves them within a minute', async () => {
    const response = await fetch(`${runtime.url}/.well-known/jwks.json`);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=30');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${runtime.url}/no/such/path`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'no operation at /no/such/path' });
  });

  it('answers a wrong method with a JSON 405 naming the allowed ones', async () => {
    const response = await fetch(`${runtime.url}/.well-known/jwks.json`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toMatchObject({ status: 405, code: 'method_not_allowed' });
  });

  // Last: the retirement changes which key signs for the rest of this runtime.
  it('retires the signing KMS key at once: it leaves the JWKS, its tokens are refused by introspection and the management API, and the standby key signs', async () => {
    const basic = `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`;
    const token = async () => {
      const response = await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const introspect = async (subject: string) => {
      const response = await fetch(`${runtime.url}/oauth/v2/introspect`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: subject }),
      });
      return ((await response.json()) as { active: boolean }).active;
    };
    const management = async (subject: string) => (await fetch(`${runtime.url}/v1/service-accounts`, { headers: { authorization: `Bearer ${subject}` } })).status;
    const published = async () => ((await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    const lambda = new LambdaClient({});
    const retire = async () => {
      const answer = await lambda.send(
        new InvokeCommand({ FunctionName: runtime.functionArns['rotate-signing-keys'], Payload: new TextEncoder().encode('{"retireCurrent":true}') }),
      );
      expect(answer.FunctionError).toBeUndefined();
      return JSON.parse(new TextDecoder().decode(answer.Payload)) as { rotated: boolean; retired?: string; current?: string; reason?: string };
    };
    try {
      const signedBefore = await token();
      const [activeKid, standbyKid] = await published();
      expect(decodeProtectedHeader(signedBefore).kid).toBe(activeKid);
      expect(await introspect(signedBefore)).toBe(true);
      expect(await management(signedBefore)).toBe(200);

      expect(await retire()).toMatchObject({ rotated: true, retired: activeKid, current: standbyKid });
      expect(await published()).toEqual([standbyKid]);
      expect(await introspect(signedBefore)).toBe(false);
      expect(await management(signedBefore)).toBe(401);

      const signedAfter = await token();
      expect(decodeProtectedHeader(signedAfter).kid).toBe(standbyKid);
      await expect(jwtVerify(signedAfter, createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`)), { issuer: runtime.url })).resolves.toBeDefined();
      expect(await introspect(signedAfter)).toBe(true);
      expect(await management(signedAfter)).toBe(200);

      // The last published key is not retired: something must sign.
      expect(await retire()).toMatchObject({ rotated: false, reason: 'no-standby-key', current: standbyKid });
      expect(await published()).toEqual([standbyKid]);
    } finally {
      lambda.destroy();
    }
  });
});
