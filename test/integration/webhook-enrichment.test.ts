import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SIGNATURE_HEADER, signRequest, verifySignature, type EnrichmentEnvelope, type WebhookInvocationEvent, type WebhookInvocationResult } from '../../src/webhook';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * The enrichment webhook through HTTP: a real webhook server on loopback, every way it can fail under both policies,
 * and the stack's webhook Lambda answering Latchkey end to end (served over HTTP here, since the
 * local runtime has no Lambda service; in AWS Latchkey invokes it by ARN with the same event).
 */

type Api = ReturnType<typeof api>;
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const BUDGET_MS = 300;
const big = { blob: 'x'.repeat(10_300) };

describe('enrichment webhook', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: Api;
  let vouching: Api;
  let vouchingToken: string;
  let connectionId: string;
  let server: Server;
  let hookUrl: string;
  let lambdaHandler: (event: WebhookInvocationEvent) => Promise<WebhookInvocationResult>;
  const received: Received[] = [];
  /** The paths of the calls that Latchkey hung up on before the webhook answered. */
  const abandoned: string[] = [];

  /** What the loopback webhook does, by path. */
  const behaviours: Record<string, (request: Received) => Promise<{ status: number; body: unknown }>> = {
    '/ok': async () => ({ status: 200, body: { payload: { plan: 'gold', roles: ['viewer'] }, errors: [], warnings: ['deprecated field'] } }),
    // Never answers: only Latchkey's time budget can end the call.
    '/slow': () => new Promise(() => undefined),
    '/failing': async () => ({ status: 500, body: { message: 'boom' } }),
    '/oversized': async () => ({ status: 200, body: { payload: big, errors: [] } }),
    '/errors': async () => ({ status: 200, body: { payload: {}, errors: [{ message: 'no such customer' }] } }),
    '/not-json': async () => ({ status: 200, body: 'hello' }),
    // The stack's webhook Lambda, behind HTTP the way a function URL would put it.
    '/lambda': async (request) => {
      const result = await lambdaHandler({ headers: request.headers as Record<string, string>, body: request.body });
      return { status: result.statusCode, body: JSON.parse(result.body) };
    },
  };

  async function application(path: string, failurePolicy: 'fail' | 'omit', options: { secret?: boolean } = {}) {
    const created = await admin.post('/v1/applications', { name: `${path} ${failurePolicy}`, webhook: { target: `${hookUrl}${path}`, failurePolicy, timeoutMs: BUDGET_MS } });
    expect(created.status).toBe(201);
    const secret = options.secret === false ? undefined : ((await admin.post(`/v1/applications/${created.body.id}/webhook-secret`)).body.webhookSecret as string);
    const connection = (await admin.get(`/v1/idp-connections/${connectionId}`)).body;
    await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [...connection.applicationIds, created.body.id] });
    return { id: created.body.id as string, secret };
  }

  const generate = (applicationId: string, subjectId = 'sub-1') => vouching.post('/v1/delegated-access-tokens', { applicationId, subjectId, email: 'grace@example.com' });

  beforeAll(async () => {
    process.env.ENRICHMENT_CLAIMS_JSON = JSON.stringify({ '*': { '*': { tier: 'free' } } });
    runtime = await startTestRuntime();
    // Imported once the runtime has set the environment, as Lambda would have it at cold start.
    ({ handler: lambdaHandler } = await import('../../functions/webhook/enrichment-webhook'));
    admin = api(runtime.url, await adminToken(runtime));
    const account = await admin.post('/v1/service-accounts', { name: 'vouching' });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
    vouchingToken = await adminToken(runtime, account.body);
    vouching = api(runtime.url, vouchingToken);
    connectionId = (await admin.post('/v1/idp-connections', { type: 'delegated' })).body.id;

    server = createServer((request, response) => {
      response.on('close', () => {
        if (!response.writableFinished) abandoned.push(request.url ?? '');
      });
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const seen: Received = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
        received.push(seen);
        void behaviours[seen.path]!(seen).then(({ status, body }) => {
          if (response.destroyed) return;
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(typeof body === 'string' ? body : JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await runtime?.stop();
  });

  it('embeds the answer payload as the extensions claim, from a signed envelope', async () => {
    const app = await application('/ok', 'fail');
    const answer = await generate(app.id);
    expect(answer.status).toBe(200);
    expect(answer.body.payload.extensions).toEqual({ plan: 'gold', roles: ['viewer'] });

    const request = received.filter((r) => r.path === '/ok').at(-1)!;
    expect(request.headers['content-type']).toBe('application/json');
    const verified = verifySignature(app.secret!, request.body, request.headers[SIGNATURE_HEADER] as string, Date.now());
    expect(verified).toEqual({ ok: true, timestamp: expect.any(Number) });
    // Signed with this application's secret only, and over these exact bytes.
    expect(verifySignature('lkw_other', request.body, request.headers[SIGNATURE_HEADER] as string, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(app.secret!, `${request.body} `, request.headers[SIGNATURE_HEADER] as string, Date.now())).toEqual({ ok: false, reason: 'mismatch' });

    const envelope = JSON.parse(request.body) as EnrichmentEnvelope;
    const claims = answer.body.payload;
    expect(envelope).toEqual({
      payload: {
        tenant_id: runtime.devAdmin.tenantId,
        environment_id: runtime.devAdmin.environmentId,
        application_id: app.id,
        user_id: claims.sub,
        external_subject_id: 'sub-1',
        session_id: claims.sessionId,
        subject_type: 'EndUserAccount',
        profile_id: claims.profileId,
        name: 'grace',
        email: 'grace@example.com',
      },
      message_type: 'end_user_access_token_enrichment',
      message_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      message_version: '1.0',
      timestamp: expect.any(String),
    });
  });

  describe.each(['fail', 'omit'] as const)('a failing webhook under the %s policy', (policy) => {
    const cases: [string, string][] = [
      ['/slow', 'the webhook could not be reached'],
      ['/failing', 'the webhook could not be reached'],
      ['/oversized', 'over the limit of 10240'],
      ['/errors', 'answered errors: no such customer'],
      ['/not-json', 'its answer is not JSON'],
    ];

    it.each(cases)('%s', async (path, reason) => {
      const app = await application(path, policy);
      const hungUpBefore = abandoned.length;
      const answer = await generate(app.id, `sub-${path}-${policy}`);
      // A webhook that never answers gets an answer to the request all the same: the budget aborted
      // the call, and the webhook sees Latchkey close it. One that answered was not hung up on.
      if (path === '/slow') await vi.waitFor(() => expect(abandoned.slice(hungUpBefore)).toEqual(['/slow']));
      else expect(abandoned.slice(hungUpBefore)).toEqual([]);
      if (policy === 'fail') {
        expect(answer.status).toBe(502);
        expect(answer.body).toMatchObject({ code: 'enrichment_failed', detail: expect.stringContaining(`enrichment webhook of application "${app.id}" failed`) });
        expect(answer.body.detail).toContain(reason);
      } else {
        expect(answer.status).toBe(200);
        expect(answer.body.payload).not.toHaveProperty('extensions');
        expect(answer.body.payload.sub).toMatch(/^usr_/);
      }
    });

    it('without a webhook secret', async () => {
      const app = await application('/ok', policy, { secret: false });
      const before = received.length;
      const answer = await generate(app.id);
      expect(received.length).toBe(before); // nothing unsigned is ever sent
      if (policy === 'fail') expect(answer.body).toMatchObject({ status: 502, detail: expect.stringContaining('no webhook secret') });
      else expect(answer.body.payload).not.toHaveProperty('extensions');
    });
  });

  // A peer that takes the connection and never answers, as a host behind a silent firewall or a hung
  // server: nothing but Latchkey's budget ends the call. Without it the request would hang until
  // the Lambda or API Gateway gives up (30 s), past this test's bound of 10 s, which is 30 budgets
  // and leaves room for a busy machine. The socket closing proves the call was aborted, not left open.
  it('fails fast on an unreachable webhook: the time budget aborts a call nothing answers', { timeout: 10_000 }, async () => {
    const held: Socket[] = [];
    let closedByLatchkey = 0;
    const silent = createNetServer((socket) => {
      held.push(socket);
      socket.on('close', () => closedByLatchkey++);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const unreachable = async (target: string) => {
      const created = await admin.post('/v1/applications', { name: 'gone', webhook: { target, timeoutMs: BUDGET_MS } });
      await admin.post(`/v1/applications/${created.body.id}/webhook-secret`);
      const connection = (await admin.get(`/v1/idp-connections/${connectionId}`)).body;
      await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [...connection.applicationIds, created.body.id] });
      const answer = await generate(created.body.id);
      expect(answer.body).toMatchObject({ status: 502, detail: `the enrichment webhook of application "${created.body.id}" failed: the webhook could not be reached` });
      // What happened stays in the log: the answer must not tell a silent port from a refused one.
      expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|timeout|127\.0\.0\.1|port/i);
    };
    try {
      await unreachable(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`);
      expect(held).toHaveLength(1);
      await vi.waitFor(() => expect(closedByLatchkey).toBe(1));

      // A port nobody listens on is refused at once, and reads the same.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await unreachable(`http://127.0.0.1:${port}/hook`);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers a failing webhook through GraphQL with 502, as REST does, not a server error', async () => {
    const app = await application('/failing', 'fail');
    const response = await fetch(`${runtime.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${vouchingToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: GenerateDelegatedAccessTokenInput!) { generateDelegatedAccessToken(input: $input) { accessToken } }',
        variables: { input: { applicationId: app.id, subjectId: 'sub-graphql' } },
      }),
    });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { data: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.data).toEqual({ generateDelegatedAccessToken: null });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: `the enrichment webhook of application "${app.id}" failed: the webhook could not be reached`,
        extensions: { code: 'ENRICHMENT_FAILED' },
      }),
    ]);
  });

  it("answers Latchkey with the stack's webhook Lambda, verifying each request", async () => {
    const app = await application('/lambda', 'fail');
    const answer = await generate(app.id, 'sub-lambda');
    expect(answer.status).toBe(200);
    expect(answer.body.payload.extensions).toEqual({ tier: 'free' });

    // After the secret is replaced, the webhook verifies with the new one at once.
    await admin.post(`/v1/applications/${app.id}/webhook-secret`);
    expect((await generate(app.id, 'sub-lambda')).body.payload.extensions).toEqual({ tier: 'free' });
  });

  it("invokes the stack's webhook Lambda by ARN (the local Lambda stand-in), and fails cleanly on an unknown function", async () => {
    const arn = runtime.functionArns['enrichment-webhook']!;
    const created = await admin.post('/v1/applications', { name: 'by ARN', webhook: { target: arn, timeoutMs: 2000 } });
    expect(created.status).toBe(201);
    await admin.post(`/v1/applications/${created.body.id}/webhook-secret`);
    const connection = (await admin.get(`/v1/idp-connections/${connectionId}`)).body;
    await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [...connection.applicationIds, created.body.id] });
    const answer = await generate(created.body.id, 'sub-arn');
    expect(answer.status).toBe(200);
    expect(answer.body.payload.extensions).toEqual({ tier: 'free' });

    const gone = await admin.post('/v1/applications', { name: 'no such function', webhook: { target: arn.replace('latchkey-local-enrichment-webhook', 'nothing-here') } });
    await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [...(await admin.get(`/v1/idp-connections/${connectionId}`)).body.applicationIds, gone.body.id] });
    await admin.post(`/v1/applications/${gone.body.id}/webhook-secret`);
    const missing = await generate(gone.body.id);
    expect(missing.body).toMatchObject({ status: 502, detail: expect.stringContaining('the webhook could not be reached') });
    expect(JSON.stringify(missing.body)).not.toContain('ResourceNotFoundException');
  });

  describe('the webhook Lambda, called directly', () => {
    let app: { id: string; secret?: string };
    let body: string;
    const envelope = (overrides: Record<string, unknown> = {}) =>
      JSON.stringify({
        payload: {
          tenant_id: runtime.devAdmin.tenantId,
          environment_id: runtime.devAdmin.environmentId,
          application_id: app.id,
          user_id: 'usr_aaaaaaaaaaaaaaaaaaaaaaaaaa',
          external_subject_id: 'vip',
          session_id: 'ses_aaaaaaaaaaaaaaaaaaaaaaaaaa',
          subject_type: 'EndUserAccount',
          profile_id: 'prf_aaaaaaaaaaaaaaaaaaaaaaaaaa',
          name: 'vip',
          email: null,
        },
        message_type: 'end_user_access_token_enrichment',
        message_id: crypto.randomUUID(),
        message_version: '1.0',
        timestamp: new Date().toISOString(),
        ...overrides,
      });
    const call = (rawBody: string, signature?: string) => lambdaHandler({ headers: signature === undefined ? {} : { [SIGNATURE_HEADER]: signature }, body: rawBody });
    const errorCode = (result: WebhookInvocationResult) => JSON.parse(result.body).errors[0]?.code;

    beforeAll(async () => {
      app = await application('/lambda', 'fail');
      body = envelope();
    });

    it('answers a correctly signed request with the claims configured for the application', async () => {
      const result = await call(body, signRequest(app.secret!, body, Date.now()));
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ payload: { tier: 'free' }, errors: [], warnings: [] });
    });

    it('refuses a replay of the same message', async () => {
      const again = envelope();
      expect((await call(again, signRequest(app.secret!, again, Date.now()))).statusCode).toBe(200);
      const replayed = await call(again, signRequest(app.secret!, again, Date.now()));
      expect([replayed.statusCode, errorCode(replayed)]).toEqual([401, 'replayed']);
    });

    it.each([
      ['unsigned', () => call(body), 'signature_missing'],
      ['signed with another secret', () => call(body, signRequest('lkw_not-the-secret', body, Date.now())), 'signature_mismatch'],
      ['tampered after signing', () => call(body.replace('"vip"', '"admin"'), signRequest(app.secret!, body, Date.now())), 'signature_mismatch'],
      ['121 s old', () => call(body, signRequest(app.secret!, body, Date.now() - 121_000)), 'signature_stale'],
      ['a minute in the future', () => call(body, signRequest(app.secret!, body, Date.now() + 60_000)), 'signature_future'],
      ['a garbled header', () => call(body, 'v1=abc'), 'signature_malformed'],
    ])('refuses a request %s', async (_name, send, code) => {
      const result = await send();
      expect(result.statusCode).toBe(401);
      expect(errorCode(result)).toBe(code);
    });

    it('refuses an old timestamp re-signed into a new header only with the secret', async () => {
      // Moving the header's timestamp forward without the secret breaks the signature.
      const old = signRequest(app.secret!, body, Date.now() - 300_000);
      const moved = old.replace(/^t=\d+/, `t=${Math.floor(Date.now() / 1000)}`);
      expect(errorCode(await call(body, moved))).toBe('signature_mismatch');
    });

    it('refuses requests for an application without a secret, and bodies that are not envelopes', async () => {
      const other = envelope({ payload: { ...JSON.parse(body).payload, application_id: 'app_bbbbbbbbbbbbbbbbbbbbbbbbbb' } });
      const unknown = await call(other, signRequest(app.secret!, other, Date.now()));
      expect([unknown.statusCode, errorCode(unknown)]).toEqual([401, 'unknown_application']);
      const garbage = await call('{"hello":1}', signRequest(app.secret!, '{"hello":1}', Date.now()));
      expect([garbage.statusCode, errorCode(garbage)]).toEqual([400, 'invalid_envelope']);
    });
  });
});
