import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createRemoteJWKSet, customFetch } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundFailure, OutboundHttp, type ResolvedAddress } from '../../src/adapters/outbound-http';
import { policyFetch } from '../../src/adapters/remote-jwks';
import { WebhookCaller } from '../../src/adapters/webhook-caller';
import { buildSelfSignedCertificate } from '../../src/adapters/x509-certificate';
import { blockedAddressReason } from '../../src/domain/outbound-policy';
import { WEBHOOK_UNREACHABLE, WebhookFailure } from '../../src/domain/enrichment';

/**
 * The outbound client in "deployed" mode against real servers on loopback. A test resolver maps the
 * test's host names, and the test server's address (127.0.0.1) is allowed by an explicit list, as a
 * public webhook would be; everything else gets the real address policy.
 */

const HOST = 'hooks.example.test';
const allowTestServer = (address: string) => (address === '127.0.0.1' ? undefined : blockedAddressReason(address));

describe('outbound HTTP in a deployed stage', () => {
  let server: Server;
  let port: number;
  let ca: string;
  const seen: string[] = [];

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    seen.push(request.url ?? '');
    if (request.url === '/redirect') return response.writeHead(302, { location: `https://${HOST}:${port}/ok` }).end();
    if (request.url === '/big') return response.writeHead(200).end('x'.repeat(70_000));
    if (request.url === '/jwks') return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [] }));
    return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payload: { ok: true } }));
  };

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    ca = await buildSelfSignedCertificate(
      {
        subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
        algorithm: 'ECDSA-SHA256',
        commonName: HOST,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        keyUsage: ['digitalSignature'],
        serverAuth: true,
        altNames: [HOST],
      },
      (tbs) => sign('sha256', tbs, privateKey),
    );
    server = createHttpsServer({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: ca }, handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A resolver that answers `answers` in turn and counts its calls. */
  function resolver(...answers: (readonly ResolvedAddress[])[]) {
    const calls: string[] = [];
    const resolve = async (hostname: string) => {
      calls.push(hostname);
      return answers[Math.min(calls.length - 1, answers.length - 1)]!;
    };
    return { calls, resolve };
  }

  const loopback: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];
  const post = { method: 'POST' as const, body: '{}', maxBytes: 64 * 1024 };

  async function refusal(promise: Promise<unknown>): Promise<OutboundFailure> {
    const error = await promise.then(
      () => expect.fail('expected the request to be refused'),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OutboundFailure);
    return error as OutboundFailure;
  }

  it('connects to the address it checked, once resolved, with TLS verified against the host name', async () => {
    const dns = resolver(loopback);
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: dns.resolve, blockedAddress: allowTestServer, ca });
    const answer = await http.request(`https://${HOST}:${port}/ok`, post);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({ payload: { ok: true } });
    // The system resolver does not know this name: the connection used the checked address.
    expect(dns.calls).toEqual([HOST]);
  });

  it('refuses a host name that resolves to a private address, without connecting', async () => {
    const before = seen.length;
    for (const address of ['10.0.0.7', '169.254.169.254', '127.0.0.1', '::1', 'fd00::1', '::ffff:127.0.0.1']) {
      const dns = resolver([{ address, family: address.includes(':') ? 6 : 4 }]);
      const http = new OutboundHttp({ allowLocalTargets: false, resolve: dns.resolve, ca });
      const error = await refusal(http.request(`https://${HOST}:${port}/ok`, post));
      expect(error.message).toContain('resolves to a refused address');
    }
    expect(seen.length).toBe(before);
  });

  it('refuses a name whose addresses mix public and private ones', async () => {
    const dns = resolver([
      { address: '127.0.0.1', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ]);
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: dns.resolve, blockedAddress: allowTestServer, ca });
    expect((await refusal(http.request(`https://${HOST}:${port}/ok`, post))).message).toContain('10.0.0.1 is a private address');
  });

  it('checks every connection again: a name that rebinds to a private address is refused', async () => {
    const dns = resolver(loopback, [{ address: '169.254.169.254', family: 4 }]);
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: dns.resolve, blockedAddress: allowTestServer, ca });
    expect((await http.request(`https://${HOST}:${port}/ok`, post)).status).toBe(200);
    expect((await refusal(http.request(`https://${HOST}:${port}/ok`, post))).message).toContain('169.254.169.254 is a linkLocal address');
    expect(dns.calls).toEqual([HOST, HOST]);
  });

  it('refuses numeric and mapped loopback hosts before any lookup or connection', async () => {
    const dns = resolver(loopback);
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: dns.resolve, ca });
    const before = seen.length;
    for (const host of ['0x7f000001', '2130706433', '127.1', '[::ffff:127.0.0.1]', '[::1]', '0.0.0.0']) {
      await refusal(http.request(`https://${host}:${port}/ok`, post));
    }
    await refusal(http.request(`http://127.0.0.1:${port}/ok`, post));
    expect(dns.calls).toEqual([]);
    expect(seen.length).toBe(before);
  });

  it('never follows a redirect: the 3xx comes back, the target is not requested', async () => {
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: resolver(loopback).resolve, blockedAddress: allowTestServer, ca });
    const before = seen.length;
    expect((await http.request(`https://${HOST}:${port}/redirect`, post)).status).toBe(302);
    expect(seen.slice(before)).toEqual(['/redirect']);
  });

  it('stops reading an answer over the limit', async () => {
    const http = new OutboundHttp({ allowLocalTargets: false, resolve: resolver(loopback).resolve, blockedAddress: allowTestServer, ca });
    expect((await refusal(http.request(`https://${HOST}:${port}/big`, post))).message).toContain('larger than 65536 bytes');
  });

  describe('the webhook caller', () => {
    const caller = (http: OutboundHttp) => new WebhookCaller(() => new LambdaClient({}), http);
    const deliver = (http: OutboundHttp, path: string) =>
      caller(http)
        .deliver(`https://${HOST}:${port}${path}`, '{}', { 'content-type': 'application/json' }, AbortSignal.timeout(5000))
        .catch((error: unknown) => error);

    it('treats a redirect as a failure with the generic reason, the status in the detail', async () => {
      const error = await deliver(new OutboundHttp({ allowLocalTargets: false, resolve: resolver(loopback).resolve, blockedAddress: allowTestServer, ca }), '/redirect');
      expect(error).toBeInstanceOf(WebhookFailure);
      expect(error).toMatchObject({ message: WEBHOOK_UNREACHABLE, detail: 'it answered HTTP 302' });
    });

    it('gives a refused address the same generic reason as a closed port; the difference is only in the detail', async () => {
      const blocked = await deliver(new OutboundHttp({ allowLocalTargets: false, resolve: resolver([{ address: '10.0.0.7', family: 4 }]).resolve, ca }), '/ok');
      const closed = createHttpServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const refused = await caller(new OutboundHttp({ allowLocalTargets: true }))
        .deliver(`http://127.0.0.1:${closedPort}/hook`, '{}', {}, AbortSignal.timeout(5000))
        .catch((error: unknown) => error);
      expect(blocked).toMatchObject({ message: WEBHOOK_UNREACHABLE, detail: expect.stringContaining('10.0.0.7 is a private address') });
      expect(refused).toMatchObject({ message: WEBHOOK_UNREACHABLE, detail: expect.stringContaining('ECONNREFUSED') });
    });
  });

  describe('jwksUri fetches', () => {
    it('go through the policy: a key set behind a private address is never fetched', async () => {
      const before = seen.length;
      const http = new OutboundHttp({ allowLocalTargets: false, resolve: resolver([{ address: '127.0.0.1', family: 4 }]).resolve, ca });
      const keys = createRemoteJWKSet(new URL(`https://${HOST}:${port}/jwks`), { [customFetch]: policyFetch(http) });
      await expect(keys.reload()).rejects.toThrow(OutboundFailure);
      expect(seen.length).toBe(before);
    });

    it('refuse a redirect, and fetch an allowed key set', async () => {
      const http = new OutboundHttp({ allowLocalTargets: false, resolve: resolver(loopback).resolve, blockedAddress: allowTestServer, ca });
      await expect(createRemoteJWKSet(new URL(`https://${HOST}:${port}/redirect`), { [customFetch]: policyFetch(http) }).reload()).rejects.toThrow(/Expected 200 OK/);
      const keys = createRemoteJWKSet(new URL(`https://${HOST}:${port}/jwks`), { [customFetch]: policyFetch(http) });
      await keys.reload();
      expect(keys.jwks()).toEqual({ keys: [] });
    });
  });
});
