import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrapDeps } from '../../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../../src/domain/bootstrap';
import { adminToken, api } from '../../support/http';
import { startTestRuntime } from '../../support/local-runtime';
import { acceptLogin, challengeIn, LOGIN_URL, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * Every rule of interactive login that an attacker or a broken client might try to break, through
 * HTTP with raw requests, asserting the exact error the browser, the client or the backend sees.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';

describe('interactive login refuses', () => {
  let runtime: Runtime;
  let world: World;
  let rp: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    rp = await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce', promptValues: ['login', 'none'] });
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorizeUrl = (params: Record<string, string>) => `${runtime.url}/oauth/v2/authorize?${new URLSearchParams(params)}`;
  const codeParams = (challenge: string, extra: Record<string, string> = {}) => ({
    client_id: rp.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid offline_access',
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const token = async (form: Record<string, string>, client = rp) => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const loginChallenge = async (browser: TestBrowser, extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const started = await browser.visit(authorizeUrl(codeParams(challenge, extra)));
    return { verifier, challenge: challengeIn(started.location, LOGIN_URL, 'login_challenge') };
  };
  const code = async () => {
    const browser = new TestBrowser(runtime.url);
    const { verifier, challenge } = await loginChallenge(browser);
    const callback = await acceptLogin(world, browser, challenge);
    return { verifier, code: new URL(callback.location!).searchParams.get('code')! };
  };
  const redeem = (grant: { code: string; verifier?: string }) =>
    token({ grant_type: 'authorization_code', code: grant.code, redirect_uri: REDIRECT_URI, ...(grant.verifier ? { code_verifier: grant.verifier } : {}) });
  const userinfo = (accessToken: string) => fetch(`${runtime.url}/oauth/v2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

  describe('at the authorization endpoint', () => {
    it('an unregistered redirect URI with an error page, never a redirect', async () => {
      const response = await fetch(authorizeUrl(codeParams(pkce().challenge, { redirect_uri: 'https://attacker.example.com/cb' })), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      // No script, style or image can load on it, and no other site can frame it (RFC 9700 §4.16).
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(await response.text()).toContain('redirect_uri is not registered for this client');
    });

    it('an unknown client with an error page', async () => {
      const response = await fetch(authorizeUrl(codeParams(pkce().challenge, { client_id: 'cl_aaaaaaaaaaaaaaaaaaaaaaaaaa@env_aaaaaaaaaaaaaaaaaaaaaaaaaa' })), {
        redirect: 'manual',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('is not a client of this issuer');
    });

    it.each([
      [{ prompt: 'consent' }, 'invalid_request', 'prompt "consent" is not allowed for this client'],
      [{ prompt: 'none login' }, 'invalid_request', 'prompt "none" must not be combined with other values'],
      [{ code_challenge_method: 'plain' }, 'invalid_request', 'code_challenge_method must be S256'],
      [{ code_challenge: '', code_challenge_method: '' }, 'invalid_request', 'code_challenge_method must be S256'],
      [{ response_type: 'token' }, 'unsupported_response_type', 'only response_type "code" is supported'],
      [{ scope: 'openid admin' }, 'invalid_scope', 'scope "admin" is not allowed for this client'],
      [{ resource: 'https://api.example.com' }, 'invalid_target', 'resource "https://api.example.com" is not one this client may request'],
      [{ request: 'eyJ' }, 'request_not_supported', 'request objects are not supported'],
    ])('%j by redirecting with the error, state and iss', async (extra, error, description) => {
      const response = await fetch(authorizeUrl(codeParams(pkce().challenge, extra)), { redirect: 'manual' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(Object.fromEntries(location.searchParams)).toEqual({ error, error_description: description, state: 'st', iss: runtime.url });
    });

    it('a request without PKCE from a client that must use it', async () => {
      const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = codeParams('');
      const response = await fetch(authorizeUrl(withoutPkce), { redirect: 'manual' });
      expect(new URL(response.headers.get('location')!).searchParams.get('error_description')).toBe(
        'this client must use PKCE: send code_challenge with code_challenge_method S256',
      );
    });

    it('to resume a login in a browser other than the one that started it', async () => {
      const browser = new TestBrowser(runtime.url);
      const { challenge } = await loginChallenge(browser);
      const accepted = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId: 'mallory-victim' });
      const elsewhere = await new TestBrowser(runtime.url).visit(accepted.body.redirectTo);
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.location).toBeUndefined();
      expect(elsewhere.body).toContain('this sign-in was started in another browser');
      // The right browser can still finish, once.
      expect((await browser.visit(accepted.body.redirectTo)).location).toMatch(/\?code=/);
      expect((await browser.visit(accepted.body.redirectTo)).status).toBe(400);
    });
  });

  describe('at the token endpoint', () => {
    it('a missing or wrong PKCE verifier, without spending the code', async () => {
      const grant = await code();
      expect(await redeem({ code: grant.code })).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' } });
      expect((await redeem({ code: grant.code, verifier: pkce().verifier })).body.error).toBe('invalid_grant');
      expect((await redeem(grant)).status).toBe(200);
    });

    it('a code used twice, and revokes the tokens of its first use', async () => {
      const grant = await code();
      const first = await redeem(grant);
      expect(first.status).toBe(200);
      expect((await userinfo(first.body.access_token)).status).toBe(200);

      expect(await redeem(grant)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'the authorization code is invalid, expired or already used' } });
      const revoked = await userinfo(first.body.access_token);
      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect((await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).body.error).toBe('invalid_grant');
    });

    it('a code of another client, or for another redirect URI', async () => {
      const grant = await code();
      const other = await world.createClient({ redirectUris: [REDIRECT_URI] });
      expect((await token({ grant_type: 'authorization_code', code: grant.code, redirect_uri: REDIRECT_URI, code_verifier: grant.verifier }, other)).body.error).toBe(
        'invalid_grant',
      );
      expect((await token({ grant_type: 'authorization_code', code: grant.code, redirect_uri: 'https://rp.example.com/other', code_verifier: grant.verifier })).body.error).toBe(
        'invalid_grant',
      );
      expect((await redeem(grant)).status).toBe(200);
    });

    it('an expired code', async () => {
      const grant = await code();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61_000);
      expect((await redeem(grant)).body.error).toBe('invalid_grant');
    });

    it('a spent refresh token, and revokes its whole family', async () => {
      const first = await redeem(await code());
      const second = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      expect(second.status).toBe(200);
      // Past the few seconds in which the previous token still serves a second tab.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 6_000);
      expect(await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' },
      });
      // The thief's reuse cost the legitimate holder the family too: the newest token and its access token.
      expect((await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token })).body.error).toBe('invalid_grant');
      expect((await userinfo(second.body.access_token)).status).toBe(401);
    });

    it('a refresh past the client maximum refresh time', async () => {
      const short = await world.createClient({ redirectUris: [REDIRECT_URI], refreshTokenTtlSeconds: 300, maxRefreshSeconds: 600 });
      const browser = new TestBrowser(runtime.url);
      const { verifier, challenge } = pkce();
      const started = await browser.visit(authorizeUrl({ ...codeParams(challenge), client_id: short.clientId }));
      const callback = await acceptLogin(world, browser, challengeIn(started.location, LOGIN_URL, 'login_challenge'));
      const first = await token(
        { grant_type: 'authorization_code', code: new URL(callback.location!).searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier },
        short,
      );
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 240_000);
      const second = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, short);
      expect(second.status).toBe(200);
      vi.setSystemTime(Date.now() + 240_000);
      const third = await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, short);
      expect(third.status).toBe(200);
      vi.setSystemTime(Date.now() + 240_000);
      expect((await token({ grant_type: 'refresh_token', refresh_token: third.body.refresh_token }, short)).body.error).toBe('invalid_grant');
    });

    it('the resource owner password and implicit-style grants, which are not offered at all (RFC 9700 §2.4)', async () => {
      expect(await token({ grant_type: 'password', username: 'alice', password: 'x' })).toEqual({
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'grant_type "password" is not supported' },
      });
      expect((await token({ grant_type: '__proto__' })).body.error).toBe('unsupported_grant_type');
    });

    it('end-user grants to a service account', async () => {
      const response = await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'lkr_x', client_id: runtime.devAdmin.clientId, client_secret: runtime.devAdmin.clientSecret }),
      });
      expect(await response.json()).toEqual({ error: 'unauthorized_client', error_description: 'service accounts cannot use the refresh_token grant' });
    });
  });

  describe('at the login and consent requests', () => {
    it('a caller without LOGIN_REQUESTS_ACCEPT', async () => {
      const { challenge } = await loginChallenge(new TestBrowser(runtime.url));
      const outsider = await world.accountWith(['USERS_READ']);
      for (const answer of [
        await outsider.get(`/v1/login-requests/${encodeURIComponent(challenge)}`),
        await outsider.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId: 'x' }),
      ]) {
        expect(answer.status).toBe(403);
        expect(answer.body).toMatchObject({ code: 'not_authorized', detail: 'this operation requires the permission LOGIN_REQUESTS_ACCEPT on the resource latchkey' });
      }
      expect((await world.backend.get(`/v1/login-requests/${encodeURIComponent(challenge)}`)).status).toBe(200);
    });

    it('an expired challenge', async () => {
      const { challenge } = await loginChallenge(new TestBrowser(runtime.url));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 10 * 60_000 + 1000);
      const answer = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId: 'late' });
      expect(answer.status).toBe(410);
      expect(answer.body).toMatchObject({ code: 'challenge_expired', detail: 'this login request has expired; start the sign-in again' });
    });

    it("another environment's challenge, as if it did not exist", async () => {
      const { challenge } = await loginChallenge(new TestBrowser(runtime.url));
      const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Other', environmentName: 'prod' });
      const foreign = api(runtime.url, await adminToken(runtime, other.admin));
      const answer = await foreign.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId: 'intruder' });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('not_found');
      expect((await world.backend.get(`/v1/login-requests/${encodeURIComponent(challenge)}`)).status).toBe(200);
    });

    it('a challenge answered twice, and a made-up one', async () => {
      const { challenge } = await loginChallenge(new TestBrowser(runtime.url));
      expect((await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/reject`, { error: 'access_denied' })).status).toBe(200);
      const again = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId: 'x' });
      expect(again.status).toBe(409);
      expect(again.body.detail).toBe('this login request has already been answered');
      const forged = `${challenge.split('.')[0]}.${randomBytes(32).toString('base64url')}`;
      expect((await world.backend.get(`/v1/login-requests/${encodeURIComponent(forged)}`)).status).toBe(404);
    });

    it('a rejected login by sending the client the error the application chose', async () => {
      const browser = new TestBrowser(runtime.url);
      const { challenge } = await loginChallenge(browser);
      const rejected = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/reject`, { error: 'access_denied', errorDescription: 'account locked' });
      const back = new URL((await browser.visit(rejected.body.redirectTo)).location!);
      expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'access_denied', error_description: 'account locked', state: 'st', iss: runtime.url });
      const badError = await world.backend.post(`/v1/login-requests/${encodeURIComponent((await loginChallenge(browser)).challenge)}/reject`, { error: 'server_error' });
      expect(badError.status).toBe(400);
    });
  });
});
