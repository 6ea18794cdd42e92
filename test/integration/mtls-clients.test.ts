import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalTlsCredentials } from '../../local/https';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { clientCertificate } from '../support/certificates';
import { pregeneratedRsaKeys } from '../support/pregenerated-rsa-keys';
import { adminToken, api } from '../support/http';

describe('self-signed mutual TLS client authentication on the local runtime', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let admin: ReturnType<typeof api>;
  let base: string;
  let certificate: { key: string; cert: string };

  /** POST /oauth/v2/token over the mutual-TLS listener, presenting `tls` when given. */
  const tokenOverTls = (fields: Record<string, string>, tls?: { key: string; cert: string }, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const url = new URL('/oauth/v2/token', runtime.mtlsUrl);
      const req = request(
        url,
        { method: 'POST', ca: runtime.mtlsServerCertificate, ...tls, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(new URLSearchParams({ grant_type: 'client_credentials', ...fields }).toString());
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-mtls-'));
    runtime = await startLocalRuntime({ dataDir, port: 0, mtlsPort: 0, pregeneratedRsaKeys });
    admin = api(runtime.url, await adminToken(runtime));
    const appId = (await admin.post('/v1/applications', { name: 'Devices' })).body.id;
    base = `/v1/applications/${appId}/clients`;
    certificate = await clientCertificate('device-42');
  });
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTPS with a server certificate kept in the data folder', () => {
    expect(runtime.mtlsUrl).toMatch(/^https:\/\/localhost:\d+$/);
    expect(new X509Certificate(runtime.mtlsServerCertificate!).checkHost('localhost')).toBe('localhost');
  });

  it('names the mutual-TLS endpoints in discovery (RFC 8705 §5)', async () => {
    const metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as Record<string, any>;
    expect(metadata.mtls_endpoint_aliases).toEqual({
      token_endpoint: `${runtime.mtlsUrl}/oauth/v2/token`,
      introspection_endpoint: `${runtime.mtlsUrl}/oauth/v2/introspect`,
      revocation_endpoint: `${runtime.mtlsUrl}/oauth/v2/revoke`,
      userinfo_endpoint: `${runtime.mtlsUrl}/oauth/v2/userinfo`,
    });
    expect(metadata.token_endpoint).toBe(`${runtime.url}/oauth/v2/token`);
  });

  it('issues a token bound to the registered certificate (cnf.x5t#S256)', async () => {
    const created = await admin.post(base, {
      name: 'Device',
      authMethod: 'self_signed_tls_client_auth',
      tlsClientCertificate: certificate.cert,
      tokenBinding: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ authMethod: 'self_signed_tls_client_auth', tokenBinding: true, tlsClientCertificate: certificate.cert });

    const answer = await tokenOverTls({ client_id: created.body.clientId }, certificate);
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('Bearer');
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(answer.body.access_token, jwks, { issuer: runtime.url });
    // RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER, computed here independently.
    const der = Buffer.from(certificate.cert.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(payload.cnf).toEqual({ 'x5t#S256': createHash('sha256').update(der).digest('base64url') });
    expect(Buffer.from(new X509Certificate(certificate.cert).fingerprint256.replace(/:/g, ''), 'hex').toString('base64url')).toBe(
      (payload.cnf as Record<string, string>)['x5t#S256'],
    );
  });

  it('binds a token to the certificate and to a DPoP key whose proof names the mutual-TLS alias (RFC 9449, RFC 8705 §5)', async () => {
    const created = await admin.post(base, { name: 'Device', authMethod: 'self_signed_tls_client_auth', tlsClientCertificate: certificate.cert, tokenBinding: true });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = (htu: string) =>
      new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(privateKey);
    const answer = await tokenOverTls({ client_id: created.body.clientId }, certificate, { dpop: await proof(`${runtime.mtlsUrl}/oauth/v2/token`) });
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('DPoP');
    const der = Buffer.from(certificate.cert.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(decodeJwt(answer.body.access_token).cnf).toEqual({ 'x5t#S256': createHash('sha256').update(der).digest('base64url'), jkt: await calculateJwkThumbprint(jwk) });
    // A proof for the plain domain's URL is not one for this request.
    const elsewhere = await tokenOverTls({ client_id: created.body.clientId }, certificate, { dpop: await proof(`${runtime.url}/oauth/v2/token`) });
    expect(elsewhere).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
  });

  it('issues an unbound token when token binding is off', async () => {
    const created = await admin.post(base, { name: 'Unbound', authMethod: 'self_signed_tls_client_auth', tlsClientCertificate: certificate.cert });
    const answer = await tokenOverTls({ client_id: created.body.clientId }, certificate);
    expect(answer.status).toBe(200);
    const payload = JSON.parse(Buffer.from(answer.body.access_token.split('.')[1], 'base64url').toString());
    expect(payload).not.toHaveProperty('cnf');
  });

  it('refuses a different certificate, no certificate, and the plain HTTP listener', async () => {
    const { clientId } = (await admin.post(base, { name: 'Strict', authMethod: 'self_signed_tls_client_auth', tlsClientCertificate: certificate.cert })).body;
    const other = await clientCertificate('device-42');
    const wrong = await tokenOverTls({ client_id: clientId }, other);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect((await tokenOverTls({ client_id: clientId })).body.error).toBe('invalid_client');
    const plain = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId }),
    });
    expect(plain.status).toBe(401);
    expect(((await plain.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses certificate authentication for a client registered for a secret', async () => {
    const { clientId } = (await admin.post(base, { name: 'Secretive' })).body;
    expect((await tokenOverTls({ client_id: clientId }, certificate)).body.error).toBe('invalid_client');
  });

  it('keeps the server certificate in the data folder for the next start', async () => {
    // Handlers keep their SDK clients like warm Lambdas, so a second runtime needs its own process;
    // what a restart reads is what ensureLocalTlsCredentials finds in the folder.
    expect((await ensureLocalTlsCredentials(dataDir)).cert).toBe(runtime.mtlsServerCertificate);
  });
});
