import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '../../src/webhook';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../support/oauth4webapi';

/**
 * The environment's enrichment webhook for service-account tokens, through HTTP: a real webhook
 * server on loopback answers, the token endpoint puts its answer under `extensions`, and the
 * setting is checked against the outbound policy when it is saved.
 */
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('service-account token enrichment', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let server: Server;
  let hookUrl: string;
  let account: Credentials & { id: string };
  const received: Received[] = [];

  const behaviours: Record<string, () => { status: number; body: unknown }> = {
    '/ok': () => ({ status: 200, body: { payload: { plan: 'gold', team: 'payments' }, errors: [] } }),
    '/failing': () => ({ status: 500, body: { message: 'boom' } }),
  };
  const setWebhook = (webhook: unknown) => admin.patch('/v1/environment', { serviceAccountTokenWebhook: webhook });
  const calls = (path: string) => received.filter((request) => request.path === path).length;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    expect((await admin.post('/v1/resources', { key: 'ledger', permissions: ['ledger.read', 'ledger.write'] })).status).toBe(201);
    const created = await admin.post('/v1/service-accounts', { name: 'enriched' });
    await admin.put(`/v1/service-accounts/${created.body.id}/permissions`, { grants: [{ resource: 'ledger', permissions: ['ledger.read'] }] });
    account = created.body;

    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const { status, body } = behaviours[request.url ?? '']!();
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    // The shared runtime's next file gets an environment of its own; this one is left without the webhook anyway.
    await setWebhook(null);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await runtime?.stop();
  });

  it('puts the signed webhook answer under extensions, with the account and its grants asked about', async () => {
    const saved = await setWebhook({ target: `${hookUrl}/ok`, failurePolicy: 'fail', timeoutMs: 2000 });
    expect(saved.status).toBe(200);
    const secret = saved.body.serviceAccountTokenWebhookSecret as string;
    expect(secret).toMatch(/^lkw_/);
    expect(saved.body.serviceAccountTokenWebhook).toEqual({ target: `${hookUrl}/ok`, failurePolicy: 'fail', timeoutMs: 2000 });
    // Answered once: reading the environment tells only that a secret is configured.
    const read = (await admin.get('/v1/environment')).body;
    expect(read).toMatchObject({ serviceAccountTokenWebhookSecretConfigured: true });
    expect(JSON.stringify(read)).not.toContain(secret);

    const as = await discoverAuthorizationServer(runtime.url);
    const client = { client_id: account.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(account.clientSecret), { resource: 'ledger' }, insecure);
    const token = await oauth.processClientCredentialsResponse(as, client, response);
    expect(decodeJwt(token.access_token)).toMatchObject({ sub: account.id, permissions: { ledger: ['ledger.read'] }, extensions: { plan: 'gold', team: 'payments' } });

    const request = received.at(-1)!;
    expect(verifySignature(secret, request.body, request.headers[SIGNATURE_HEADER] as string, Date.now())).toEqual({ ok: true, timestamp: expect.any(Number) });
    expect(JSON.parse(request.body).payload).toEqual({
      tenant_id: runtime.devAdmin.tenantId,
      environment_id: runtime.devAdmin.environmentId,
      subject_type: 'ServiceAccount',
      service_account_id: account.id,
      client_id: account.clientId,
      name: 'enriched',
      grants: { ledger: ['ledger.read'] },
      audience: [expect.stringContaining('ledger')],
    });
  });

  it('refuses the token when the webhook fails under fail, and issues it without extensions under omit', async () => {
    expect((await setWebhook({ target: `${hookUrl}/failing`, failurePolicy: 'fail', timeoutMs: 2000 })).status).toBe(200);
    const refused = await requestToken(runtime.url, account, { resource: 'ledger' });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ error: 'enrichment_failed' });
    expect(JSON.stringify(refused.body)).not.toContain('boom');

    const saved = await setWebhook({ target: `${hookUrl}/failing`, failurePolicy: 'omit', timeoutMs: 2000 });
    // The secret made when the setting was first saved stays, and is not answered again.
    expect(saved.body.serviceAccountTokenWebhookSecret).toBeUndefined();
    const issued = await requestToken(runtime.url, account, { resource: 'ledger' });
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.body.access_token as string).extensions).toBeUndefined();
  });

  it('checks the target against the outbound policy when it is saved', async () => {
    const metadata = await setWebhook({ target: 'http://169.254.169.254/latest/meta-data', failurePolicy: 'omit' });
    expect(metadata.status).toBe(400);
    expect(metadata.body.detail).toMatch(/^serviceAccountTokenWebhook\.target /);
    expect((await setWebhook({ target: `${hookUrl}/ok`, timeoutMs: 60_000 })).status).toBe(400);
  });

  it('calls nothing once the setting is removed', async () => {
    expect((await setWebhook({ target: `${hookUrl}/ok`, failurePolicy: 'fail' })).status).toBe(200);
    const removed = await setWebhook(null);
    expect(removed.status).toBe(200);
    expect(removed.body.serviceAccountTokenWebhook).toBeUndefined();
    expect(removed.body.serviceAccountTokenWebhookSecretConfigured).toBeUndefined();
    const before = calls('/ok');
    const issued = await requestToken(runtime.url, account, { resource: 'ledger' });
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.body.access_token as string).extensions).toBeUndefined();
    expect(calls('/ok')).toBe(before);
  });
});
