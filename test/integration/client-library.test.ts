import { createServer } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenProvider, getServiceAccountToken, LatchkeyClientError } from '../../src/client';
import { startTestRuntime } from '../support/local-runtime';

describe('the client library against the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
  });
  afterAll(() => runtime?.stop());

  it('gets a token that verifies against the JWKS', async () => {
    const { clientId, clientSecret } = runtime.devAdmin;
    const token = await getServiceAccountToken(runtime.url, clientId, clientSecret);
    expect(token).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 3600 });
    const { payload } = await jwtVerify(token.accessToken, jwks, { issuer: runtime.url, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: clientId, subjectType: 'ServiceAccount', environmentId: runtime.devAdmin.environmentId });
  });

  it('asks for a resource and a scope', async () => {
    const { clientId, clientSecret } = runtime.devAdmin;
    const byResource = await getServiceAccountToken(`${runtime.url}/`, clientId, clientSecret, { resource: `${runtime.url}/v1` });
    expect((await jwtVerify(byResource.accessToken, jwks)).payload.aud).toBe(`${runtime.url}/v1`);
    const scope = 'urn:zitadel:iam:org:project:id:latchkey:aud';
    const byScope = await getServiceAccountToken(runtime.url, clientId, clientSecret, { scope });
    expect(byScope.scope).toBe(scope);
  });

  it('throws LatchkeyClientError with the OAuth error for a wrong secret or an unknown resource', async () => {
    const { clientId, clientSecret } = runtime.devAdmin;
    const wrong = await getServiceAccountToken(runtime.url, clientId, `${clientSecret}x`).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(LatchkeyClientError);
    expect(wrong).toMatchObject({ code: 'invalid_client', status: 401 });
    await expect(getServiceAccountToken(runtime.url, clientId, clientSecret, { resource: 'no-such-resource' })).rejects.toMatchObject({
      code: 'invalid_target',
      status: 400,
    });
  });

  it('reports an unreachable server as network_error', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    await expect(getServiceAccountToken(`http://127.0.0.1:${closedPort}`, 'id', 'secret')).rejects.toMatchObject({ code: 'network_error' });
  });

  it('caches through a provider: concurrent callers share one request, later callers reuse the token', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const tokens = createTokenProvider({ baseUrl: runtime.url, ...runtime.devAdmin, fetch: counting });
    const [a, b, c] = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(await tokens.getToken()).toBe(a);
    expect(requests).toBe(1);
    await jwtVerify(a!, jwks, { issuer: runtime.url });

    tokens.invalidate();
    expect(await tokens.getToken()).not.toBe(a);
    expect(requests).toBe(2);
  });
});
