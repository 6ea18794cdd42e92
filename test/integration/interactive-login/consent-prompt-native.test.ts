import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { acceptLogin, challengeIn, CONSENT_URL, discover, LOGIN_URL, oidc, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * openid-client as the relying party of a third-party client that needs consent, of `prompt=none`
 * with and without a session, and of a native app (public client, custom-scheme redirect, PKCE
 * instead of a secret).
 */

const REDIRECT_URI = 'https://partner.example.com/cb';

describe('consent, prompt=none and native apps with openid-client', () => {
  let runtime: Runtime;
  let world: World;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  async function start(config: oidc.Configuration, redirectUri: string, params: Record<string, string>) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    return { url, verifier, state };
  }

  it('asks a third-party client for consent, issues only the granted scopes, then remembers the consent', async () => {
    const partner = await world.createClient({ redirectUris: [REDIRECT_URI], thirdParty: true });
    const config = await discover(runtime, partner.clientId, partner.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const flow = await start(config, REDIRECT_URI, { scope: 'openid profile email' });

    const toLogin = await browser.visit(flow.url.href);
    const toConsent = await acceptLogin(world, browser, challengeIn(toLogin.location, LOGIN_URL, 'login_challenge'), {
      subjectId: 'bob',
      name: 'Bob',
      email: 'bob@example.com',
      remember: true,
    });
    const consentChallenge = challengeIn(toConsent.location, CONSENT_URL, 'consent_challenge');
    const asked = await world.backend.get(`/v1/consent-requests/${encodeURIComponent(consentChallenge)}`);
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ clientId: partner.clientId, requestedScopes: ['openid', 'profile', 'email'], subject: { subjectId: 'bob' } });

    const tooMuch = await world.backend.post(`/v1/consent-requests/${encodeURIComponent(consentChallenge)}/accept`, { grantScopes: ['openid', 'offline_access'] });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.detail).toContain('"offline_access" was not requested');

    const granted = await world.backend.post(`/v1/consent-requests/${encodeURIComponent(consentChallenge)}/accept`, { grantScopes: ['openid', 'profile'] });
    expect(granted.status).toBe(200);
    const callback = await browser.visit(granted.body.redirectTo);
    expect(callback.body).toBe('');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.scope).toBe('openid profile');
    expect(tokens.claims()).toMatchObject({ name: 'Bob' });
    expect(tokens.claims()).not.toHaveProperty('email');
    expect(await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).not.toHaveProperty('email');

    // Remembered for the client's access validity: the same scopes need no consent page again...
    const again = await start(config, REDIRECT_URI, { scope: 'openid profile' });
    expect((await browser.visit(again.url.href)).location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
    // ...unless the client asks for it, or asks for more than was granted.
    const forced = await start(config, REDIRECT_URI, { scope: 'openid profile', prompt: 'consent' });
    challengeIn((await browser.visit(forced.url.href)).location, CONSENT_URL, 'consent_challenge');
    const more = await start(config, REDIRECT_URI, { scope: 'openid email', prompt: 'none' });
    const refused = new URL((await browser.visit(more.url.href)).location!);
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({ error: 'consent_required', state: more.state, iss: runtime.url });
  });

  it('answers prompt=none with login_required without a session, and with a code when there is one', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(runtime.url);

    const silent = await start(config, REDIRECT_URI, { scope: 'openid', prompt: 'none' });
    const refused = await browser.visit(silent.url.href);
    expect(refused.status).toBe(303);
    const error = new URL(refused.location!);
    expect(`${error.origin}${error.pathname}`).toBe(REDIRECT_URI);
    expect(Object.fromEntries(error.searchParams)).toEqual({ error: 'login_required', error_description: 'the end user is not logged in', state: silent.state, iss: runtime.url });
    await expect(oidc.authorizationCodeGrant(config, error, { pkceCodeVerifier: silent.verifier, expectedState: silent.state })).rejects.toMatchObject({ error: 'login_required' });

    const login = await start(config, REDIRECT_URI, { scope: 'openid' });
    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(login.url.href)).location, LOGIN_URL, 'login_challenge'), {
      subjectId: 'carol',
      remember: true,
    });
    const first = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: login.verifier, expectedState: login.state });

    const withSession = await start(config, REDIRECT_URI, { scope: 'openid', prompt: 'none' });
    const answered = await browser.visit(withSession.url.href);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(answered.location!), { pkceCodeVerifier: withSession.verifier, expectedState: withSession.state });
    expect(tokens.claims()).toMatchObject({ sub: first.claims()!.sub, sid: first.claims()!.sid, auth_time: first.claims()!.auth_time });

    // prompt=login and an exceeded max_age send the browser to the login page despite the session.
    const forced = await start(config, REDIRECT_URI, { scope: 'openid', prompt: 'login' });
    challengeIn((await browser.visit(forced.url.href)).location, LOGIN_URL, 'login_challenge');
    const other = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const otherConfig = await discover(runtime, other.clientId, other.clientSecret);
    const sso = await start(otherConfig, REDIRECT_URI, { scope: 'openid', prompt: 'none' });
    expect((await browser.visit(sso.url.href)).location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
  });

  it('sends the browser back to the login page once the login is older than max_age', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const login = await start(config, REDIRECT_URI, { scope: 'openid' });
    await acceptLogin(world, browser, challengeIn((await browser.visit(login.url.href)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'grace', remember: true });

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    const recentEnough = await start(config, REDIRECT_URI, { scope: 'openid', max_age: '600' });
    const answered = await browser.visit(recentEnough.url.href);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(answered.location!), {
      pkceCodeVerifier: recentEnough.verifier,
      expectedState: recentEnough.state,
      maxAge: 600,
    });
    expect(Math.floor(Date.now() / 1000) - (tokens.claims()!.auth_time as number)).toBeGreaterThanOrEqual(120);
    const tooOld = await start(config, REDIRECT_URI, { scope: 'openid', max_age: '60' });
    challengeIn((await browser.visit(tooOld.url.href)).location, LOGIN_URL, 'login_challenge');
    const silentTooOld = await start(config, REDIRECT_URI, { scope: 'openid', max_age: '60', prompt: 'none' });
    expect(new URL((await browser.visit(silentTooOld.url.href)).location!).searchParams.get('error')).toBe('login_required');
  });

  it('issues an access token for the one resource asked for (RFC 8707), with its lifetime', async () => {
    expect((await world.admin.post('/v1/resources', { key: 'orders', audience: 'https://orders.example.com', permissions: ['read'] })).status).toBe(201);
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI], resources: [{ resource: 'orders', accessTokenTtlSeconds: 600 }] });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const flow = await start(config, REDIRECT_URI, { scope: 'openid', resource: 'https://orders.example.com' });
    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(flow.url.href)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'heidi' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.expires_in).toBe(600);
    const access = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(access).toMatchObject({ aud: 'https://orders.example.com', client_id: rp.clientId });
    // The ID token is still for the client; userinfo still answers for the openid scope.
    expect(tokens.claims()!.aud).toBe(rp.clientId);
    const posted = await fetch(`${runtime.url}/oauth/v2/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }),
    });
    expect(await posted.json()).toEqual({ sub: tokens.claims()!.sub });
  });

  it('lets a native app log in with a custom-scheme redirect and PKCE instead of a secret', async () => {
    const redirectUri = 'com.example.shop:/oauth/callback';
    const app = await world.createClient({ clientType: 'native', redirectUris: [redirectUri], pkce: 'enforce_instead_of_secret' });
    const config = await discover(runtime, app.clientId);
    const browser = new TestBrowser(runtime.url);
    const flow = await start(config, redirectUri, { scope: 'openid offline_access' });

    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(flow.url.href)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'dave' });
    expect(callback.location).toMatch(/^com\.example\.shop:\/oauth\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.claims()!.aud).toBe(app.clientId);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();

    // A public client may not use client_credentials: it has no secret to prove anything with.
    const refused = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized_client' });

    // Nor introspect the environment's tokens: a client_id alone authenticates nothing.
    const introspection = await fetch(`${runtime.url}/oauth/v2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token, client_id: app.clientId }),
    });
    expect(introspection.status).toBe(401);
    expect(await introspection.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    // It may revoke its own tokens (RFC 7009 §2.1): signing out on the device ends the grant.
    await oidc.tokenRevocation(config, refreshed.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('lets a native app registered with a loopback IP redirect listen on any port (RFC 8252 §7.3), and no other', async () => {
    const app = await world.createClient({ clientType: 'native', redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'], pkce: 'enforce_instead_of_secret' });
    const config = await discover(runtime, app.clientId);
    const browser = new TestBrowser(runtime.url);
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const flow = await start(config, redirectUri, { scope: 'openid' });

    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(flow.url.href)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'ivan' });
    expect(callback.location).toMatch(/^http:\/\/127\.0\.0\.1:53682\/callback\?code=/);
    // The token request names the redirect URI used at the authorization endpoint, port and all.
    const otherPort = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: app.clientId,
        code: new URL(callback.location!).searchParams.get('code')!,
        redirect_uri: 'http://127.0.0.1:1234/callback',
        code_verifier: flow.verifier,
      }),
    });
    expect(otherPort.status).toBe(400);
    expect(await otherPort.json()).toMatchObject({ error: 'invalid_grant' });

    const again = await start(config, 'http://127.0.0.1:40123/callback', { scope: 'openid' });
    const back = await acceptLogin(world, browser, challengeIn((await browser.visit(again.url.href)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'ivan' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: again.verifier, expectedState: again.state });
    expect(tokens.claims()!.aud).toBe(app.clientId);

    // localhost is a name, not a loopback literal: it is compared exactly; so are other paths.
    for (const refused of ['http://localhost:53682/callback', 'http://127.0.0.1:53682/elsewhere']) {
      const attempt = await start(config, refused, { scope: 'openid' });
      const page = await browser.visit(attempt.url.href);
      expect(page.status).toBe(400);
      expect(page.location).toBeUndefined();
    }
  });
});
