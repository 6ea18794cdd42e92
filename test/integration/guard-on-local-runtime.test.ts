import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { clientCertificate } from '../support/certificates';
import { pregeneratedRsaKeys } from '../support/pregenerated-rsa-keys';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { createGuard, JWKS_CACHE_SECONDS, type Guard } from '../../src/guard';
import { JWKS_MAX_AGE_SECONDS, signingKeyRefreshSeconds, signingKeyRotation } from '../../src/adapters/from-environment';
import { adminToken, api } from '../support/http';

/**
 * The guard as a resource server of one tenant uses it, against tokens the local runtime issues:
 * tokens of another tenant of the same deployment (same signing keys) are refused, a token
 * bound to a client certificate (RFC 8705 §3) passes only with that certificate, and a guard's cached
 * JWKS is renewed within the signing-key rotation interval (the last test moves the clock on).
 */

describe('the guard against tokens of the local runtime', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let tokenOfB: string;
  let guardOfA: Guard;

  /** A client-credentials token over the mutual-TLS listener, presenting `tls`. */
  const tokenOverTls = (clientId: string, tls: { key: string; cert: string }) =>
    new Promise<string>((resolve, reject) => {
      const req = request(
        new URL('/oauth/v2/token', runtime.mtlsUrl),
        { method: 'POST', ca: runtime.mtlsServerCertificate, ...tls, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(text).access_token) : reject(new Error(`${response.statusCode} ${text}`))));
        },
      );
      req.on('error', reject);
      req.end(new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId }).toString());
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-guard-'));
    runtime = await startLocalRuntime({ dataDir, port: 0, mtlsPort: 0, pregeneratedRsaKeys });
    const b = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Tenant B', environmentName: 'prod' });
    tokenOfB = await adminToken(runtime, b.admin);
    guardOfA = createGuard({ issuer: runtime.url, tenantId: runtime.devAdmin.tenantId });
  });
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses tenant B's token at tenant A's guard and accepts A's own", async () => {
    await expect(guardOfA.verify(tokenOfB)).rejects.toMatchObject({ code: 'TOKEN_INVALID', status: 401, message: 'the token is for another tenant' });
    const byEnvironment = createGuard({ issuer: runtime.url, environmentId: runtime.devAdmin.environmentId });
    await expect(byEnvironment.verify(tokenOfB)).rejects.toMatchObject({ code: 'TOKEN_INVALID', message: 'the token is for another environment' });
    const claims = await guardOfA.verify(await adminToken(runtime));
    expect(claims).toMatchObject({ tenantId: runtime.devAdmin.tenantId, environmentId: runtime.devAdmin.environmentId });
  });

  it('refuses to be created without a tenant or environment', () => {
    expect(() => createGuard({ issuer: runtime.url })).toThrow(TypeError);
  });

  it('accepts a certificate-bound token only with the certificate it is bound to', async () => {
    const admin = api(runtime.url, await adminToken(runtime));
    const applicationId = (await admin.post('/v1/applications', { name: 'Devices' })).body.id;
    const device = await clientCertificate('device-7');
    const created = await admin.post(`/v1/applications/${applicationId}/clients`, {
      name: 'Device 7',
      authMethod: 'self_signed_tls_client_auth',
      tlsClientCertificate: device.cert,
      tokenBinding: true,
    });
    expect(created.status).toBe(201);
    const bound = await tokenOverTls(created.body.clientId, device);

    await expect(guardOfA.verify(bound)).rejects.toMatchObject({ code: 'CERTIFICATE_REQUIRED', status: 401 });
    const stolenWith = await clientCertificate('device-7');
    await expect(guardOfA.verify(bound, { clientCertificate: { certificate: stolenWith.cert } })).rejects.toMatchObject({ code: 'CERTIFICATE_MISMATCH' });
    const claims = await guardOfA.verify(bound, { clientCertificate: { certificate: device.cert } });
    expect(claims.subjectType).toBe('Client');
    expect(claims.cnf?.['x5t#S256']).toMatch(/^[\w-]{43}$/);

    // Introspection has no certificate of the holder: it reports the binding (RFC 8705 §3.2), so the
    // guard's introspection option works for bound tokens too.
    const withIntrospection = createGuard({
      issuer: runtime.url,
      tenantId: runtime.devAdmin.tenantId,
      introspection: { clientId: runtime.devAdmin.clientId, clientSecret: runtime.devAdmin.clientSecret },
    });
    await expect(withIntrospection.verify(bound)).rejects.toMatchObject({ code: 'CERTIFICATE_REQUIRED' });
    expect((await withIntrospection.verify(bound, { clientCertificate: { certificate: device.cert } })).sub).toBe(claims.sub);
  });

  it('refreshes a cached JWKS within the rotation interval, so a guard knows a new key before the key signs, without an unknown kid to prompt it', async () => {
    // The JWKS behind a switch, counting what the guard fetches.
    let fetches = 0;
    let reachable = true;
    const proxy = createServer((_request, response) => {
      fetches++;
      if (!reachable) return void response.writeHead(503).end();
      void fetch(`${runtime.url}/.well-known/jwks.json`)
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/jwk-set+json' }).end(await answer.text()))
        .catch(() => response.writeHead(502).end());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const lambda = new LambdaClient({});
    const rotate = async (): Promise<{ rotated: boolean; reason?: string; next: string; current: string }> => {
      const answer = await lambda.send(new InvokeCommand({ FunctionName: runtime.functionArns['rotate-signing-keys'], Payload: new TextEncoder().encode('{}') }));
      return JSON.parse(new TextDecoder().decode(answer.Payload));
    };
    const jwks = async () => ((await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; alg: string }> }).keys;
    const interval = signingKeyRotation().policy.minIntervalSeconds;
    // How stale a JWKS answer may be: the signers' key set refresh plus the HTTP max-age.
    const lag = signingKeyRefreshSeconds() + JWKS_MAX_AGE_SECONDS;
    expect(interval).toBeGreaterThanOrEqual(600);
    // Only Date is faked, and it advances in real time: the clock runs as usual, except when the test moves it on.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const moveOn = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);
    try {
      const guard = createGuard({ issuer: runtime.url, tenantId: runtime.devAdmin.tenantId, jwksUri: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/jwks` });
      moveOn(interval);
      // The guard caches the JWKS, then a rotation publishes a new next key it has not seen.
      await guard.verify(await adminToken(runtime));
      expect(fetches).toBe(1);
      const published = await rotate();
      expect(published.rotated).toBe(true);

      // The last moment a JWKS answer may still lack the new key, a rotation interval before it can sign:
      // the guard, used for a token whose key it knows, fetches the JWKS again on age alone.
      moveOn(interval - lag - 1);
      expect(await rotate()).toMatchObject({ rotated: false, reason: 'too-soon' });
      const newKid = (await jwks())[0]!.kid;
      await guard.verify(await adminToken(runtime));
      expect(fetches).toBe(2);
      expect(JWKS_CACHE_SECONDS).toBeLessThan(interval - lag);

      // The new key signs from the next rotation on; the guard verifies its tokens from its cache alone.
      reachable = false;
      moveOn(lag + 1);
      expect(await rotate()).toMatchObject({ rotated: true, current: published.next });
      const signedByNewKey = await adminToken(runtime);
      expect(decodeProtectedHeader(signedByNewKey).kid).toBe(newKid);
      await expect(guard.verify(signedByNewKey)).resolves.toMatchObject({ tenantId: runtime.devAdmin.tenantId });
      expect(fetches).toBe(2);
    } finally {
      vi.useRealTimers();
      lambda.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
