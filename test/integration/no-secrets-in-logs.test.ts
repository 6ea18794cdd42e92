import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { acceptLogin, challengeIn, discover, LOGIN_URL, oidc, setUpWorld, TestBrowser } from './interactive-login/setup';

/** Everything the handlers log while secrets and tokens fly past: none of them may appear. */
describe('logs', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  const lines: string[] = [];

  beforeAll(async () => {
    // Handlers build their logger on first import, after this.
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    // Captured, not echoed: the debug-level log of a whole test would drown the test report.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, method).mockImplementation((...parts: unknown[]) => void lines.push(parts.map(String).join(' ')));
    }
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await runtime?.stop();
  });

  it('never carry a secret, a token or the pepper', async () => {
    const token = await adminToken(runtime);
    const admin = api(runtime.url, token);
    const account = await admin.post('/v1/service-accounts', { name: 'logged' });
    const reset = await admin.post(`/v1/service-accounts/${account.body.id}/secret`, {});
    await requestToken(runtime.url, { clientId: account.body.clientId, clientSecret: account.body.clientSecret });
    const issued = await requestToken(runtime.url, { clientId: account.body.clientId, clientSecret: reset.body.clientSecret });
    await api(runtime.url, `${token}x`).get('/v1/service-accounts');
    await api(runtime.url, 'not-a-token').get('/v1/environment');
    // An upstream identity provider's client secret, given on creation and on a change.
    const upstreamSecrets = ['upstream-client-secret-one-8f2c1d9e7a6b5c4d', 'upstream-client-secret-two-1a2b3c4d5e6f7a8b'];
    const upstream = await admin.post('/v1/idp-connections', { type: 'oidc', issuer: 'https://idp.example.com', clientId: 'latchkey', clientSecret: upstreamSecrets[0] });
    await admin.patch(`/v1/idp-connections/${upstream.body.id}`, { clientSecret: upstreamSecrets[1] });

    const log = lines.join('\n');
    expect(log).toContain('request refused');
    // Each audit event is one JSON line marked `"audit": true`, for Logs Insights and SIEM export.
    const auditLines = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"audit":true'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(auditLines.find((line) => line.action === 'service_account.secret_reset')).toMatchObject({
      audit: true,
      outcome: 'success',
      target: { type: 'service_account', id: account.body.id },
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(auditLines.find((line) => line.action === 'service_account.authentication_failed')).toMatchObject({ errorCode: 'invalid_client', sourceIp: '127.0.0.1' });
    const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as unknown;
    const pepper = JSON.stringify(secrets).match(/[A-Za-z0-9]{64}/)?.[0];
    for (const value of [token, account.body.clientSecret, reset.body.clientSecret, issued.body.access_token, runtime.devAdmin.clientSecret, pepper, ...upstreamSecrets]) {
      expect(typeof value).toBe('string');
      expect(log).not.toContain(value as string);
      expect(log).not.toContain((value as string).slice(-20));
    }
  });

  it('never carry a login challenge, code, refresh token, session secret or ID token of interactive login', async () => {
    const world = await setUpWorld(runtime);
    const rp = await world.createClient({ redirectUris: ['https://rp.example.com/cb'] });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://rp.example.com/cb',
      scope: 'openid offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const challenge = challengeIn((await browser.visit(url.href)).location, LOGIN_URL, 'login_challenge');
    const callback = await acceptLogin(world, browser, challenge, { subjectId: 'logged-user', remember: true });
    const code = new URL(callback.location!).searchParams.get('code')!;
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier });
    const session = callback.setCookies
      .find((cookie) => cookie.startsWith('lk_session_'))!
      .split(';')[0]!
      .split('=')[1]!;
    // Refusals log their reasons: a replayed code and a reused refresh token.
    await expect(oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier })).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toThrow();
    await world.backend.get(`/v1/login-requests/${encodeURIComponent(challenge)}`);

    const log = lines.join('\n');
    expect(log).toContain('invalid_grant');
    // The accepted login is on record by the public ID part of its challenge, never the challenge itself.
    const accepted = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"audit":true') && line.includes('login_request.accepted'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(accepted).toEqual([expect.objectContaining({ outcome: 'success', target: { type: 'login_request', id: challenge.split('.')[0] } })]);
    for (const value of [challenge, code, verifier, tokens.refresh_token!, tokens.id_token!, tokens.access_token, session, session.split('.')[1]!]) {
      expect(log).not.toContain(value);
      expect(log).not.toContain(value.slice(-20));
    }
  });

  /** The structured log lines written since `from`, parsed. */
  const entries = (from = 0): Array<Record<string, unknown>> =>
    lines
      .slice(from)
      .flatMap((chunk) => chunk.split('\n'))
      .flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as unknown;
          return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });

  it('warn of a failed client authentication with the client ID and the source address, never the secret', async () => {
    const admin = api(runtime.url, await adminToken(runtime));
    const account = await admin.post('/v1/service-accounts', { name: 'mistyped' });
    const from = lines.length;
    const wrongSecret = `${account.body.clientSecret}x`;
    expect((await requestToken(runtime.url, { clientId: account.body.clientId, clientSecret: wrongSecret })).status).toBe(401);
    // A client that put its secret where the client ID goes: the field is not logged as it came.
    expect((await requestToken(runtime.url, { clientId: account.body.clientSecret, clientSecret: 'x' })).status).toBe(401);

    const failed = entries(from).filter((entry) => entry.message === 'client authentication failed');
    expect(failed).toEqual([
      expect.objectContaining({ level: 'WARN', clientId: account.body.clientId, sourceIp: '127.0.0.1' }),
      expect.objectContaining({ level: 'WARN', clientId: 'malformed', sourceIp: '127.0.0.1' }),
    ]);
    const log = lines.slice(from).join('\n');
    for (const secret of [wrongSecret, account.body.clientSecret]) expect(log).not.toContain(secret.slice(-20));
  });

  it("warn, without a stack trace, of a customer's failing webhook answered with 502; no error is logged", async () => {
    const admin = api(runtime.url, await adminToken(runtime));
    const account = await admin.post('/v1/service-accounts', { name: 'vouching for logs' });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
    const vouching = api(runtime.url, await adminToken(runtime, account.body));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const app = await admin.post('/v1/applications', { name: 'broken webhook', webhook: { target: `http://127.0.0.1:${port}/hook`, failurePolicy: 'fail', timeoutMs: 1000 } });
    expect(app.status).toBe(201);
    await admin.post(`/v1/applications/${app.body.id}/webhook-secret`);
    // The environment's one delegated connection (the interactive-login test above may have made it).
    const listed = await admin.get('/v1/idp-connections');
    const existing = (listed.body.items as Array<{ id: string; type: string; applicationIds: string[] }>).find((candidate) => candidate.type === 'delegated');
    const connection = existing ?? (await admin.post('/v1/idp-connections', { type: 'delegated' })).body;
    const linked = await admin.patch(`/v1/idp-connections/${connection.id}`, { applicationIds: [...(connection.applicationIds ?? []), app.body.id] });
    expect(linked.status).toBe(200);

    const from = lines.length;
    const answer = await vouching.post('/v1/delegated-access-tokens', { applicationId: app.body.id, subjectId: 'logged', email: 'grace@example.com' });
    expect(answer.status).toBe(502);

    const logged = entries(from);
    expect(logged.filter((entry) => entry.level === 'ERROR')).toEqual([]);
    const refused = logged.find((entry) => entry.message === 'request refused' && entry.code === 'enrichment_failed');
    expect(refused).toMatchObject({ level: 'WARN', status: 502 });
    expect(JSON.stringify(refused)).not.toMatch(/stack|\bat .+\.ts:\d+/);
  });
});
