import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { acceptLogin, challengeIn, discover, LOGIN_URL, oidc, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2) as an attacker would try it: a
 * cross-site link or form must not end a session that no fresh ID token of its user vouches for;
 * the end user is asked on Latchkey's page, whose answer only this browser can give.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';
const POST_LOGOUT_URI = 'https://rp.example.com/signed-out';
const FORM = 'application/x-www-form-urlencoded';

describe('RP-initiated logout', () => {
  let runtime: Runtime;
  let world: World;
  let rp: { clientId: string; clientSecret: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    rp = await world.createClient({ redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI], pkce: 'enforce' });
    config = await discover(runtime, rp.clientId, rp.clientSecret);
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  /** A browser signed in as `subjectId`, and the tokens the relying party got. */
  async function signIn(subjectId: string) {
    const browser = new TestBrowser(runtime.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const started = await browser.visit(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 's',
      }).href,
    );
    const callback = await acceptLogin(world, browser, challengeIn(started.location, LOGIN_URL, 'login_challenge'), { subjectId, remember: true });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: 's' });
    return { browser, tokens };
  }

  /** Whether the browser's session still logs it in without the login page. */
  async function signedIn(browser: TestBrowser): Promise<boolean> {
    const verifier = oidc.randomPKCECodeVerifier();
    const answer = await browser.visit(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        prompt: 'none',
        state: 'p',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).href,
    );
    return new URL(answer.location!).searchParams.has('code');
  }

  /** The hidden fields of the confirmation page, as the browser would post them. */
  function confirmationForm(page: string): URLSearchParams {
    expect(page).toContain('<form method="post" action="end_session">');
    const fields = new URLSearchParams();
    for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields.set(
        name!,
        value!.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))),
      );
    return fields;
  }

  const endSessionUrl = () => `${runtime.url}/oauth/v2/end_session`;

  it('asks before a logout without id_token_hint, and ends the session only on the answer from this browser', async () => {
    const { browser } = await signIn('alice-logout');
    // A cross-site link: a top-level navigation carries the session cookie (SameSite=Lax).
    const link = `${endSessionUrl()}?${new URLSearchParams({ client_id: rp.clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' })}`;
    const page = await browser.visit(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign out?');
    expect(page.setCookies).toEqual([expect.stringMatching(/^__Host-lk_logout=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=600$/)]);
    expect(await signedIn(browser)).toBe(true);

    const form = confirmationForm(page.body);
    expect(Object.fromEntries(form)).toEqual({ client_id: rp.clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye', logout_confirmation: expect.any(String) });

    // A cross-site form cannot send the Strict cookie, nor know the value: refused, and nothing ends.
    const forged = await fetch(endSessionUrl(), { method: 'POST', headers: { 'content-type': FORM }, body: form, redirect: 'manual' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('the sign-out confirmation has expired or was not made in this browser');
    const guessed = new URLSearchParams(form);
    guessed.set('logout_confirmation', 'A'.repeat(43));
    expect((await browser.visit(endSessionUrl(), { method: 'POST', headers: { 'content-type': FORM }, body: guessed })).status).toBe(400);
    // Without a confirmation a POST is asked about too.
    const unconfirmed = new URLSearchParams(form);
    unconfirmed.delete('logout_confirmation');
    expect((await fetch(endSessionUrl(), { method: 'POST', headers: { 'content-type': FORM }, body: unconfirmed })).status).toBe(200);
    expect(await signedIn(browser)).toBe(true);

    const confirmed = await browser.visit(endSessionUrl(), { method: 'POST', headers: { 'content-type': FORM }, body: form });
    expect(confirmed.location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    expect(browser.cookieNames().filter((name) => name.startsWith('lk_session_') || name === '__Host-lk_logout')).toEqual([]);
    expect(await signedIn(browser)).toBe(false);
  });

  it('refuses an access token as id_token_hint, even one for the client', async () => {
    const { browser, tokens } = await signIn('bob-logout');
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.access_token, post_logout_redirect_uri: POST_LOGOUT_URI });
    const answer = await browser.visit(url.href);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('id_token_hint is not an ID token of this issuer');
    expect(await signedIn(browser)).toBe(true);
  });

  it("asks before a logout whose ID token has expired or is another user's, and ends at once for a fresh one of the browser's user", async () => {
    const carol = await signIn('carol-logout');
    const dave = await signIn('dave-logout');

    // Dave's ID token, fresh, in Carol's browser: Carol is asked.
    const foreign = await carol.browser.visit(oidc.buildEndSessionUrl(config, { id_token_hint: dave.tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI }).href);
    expect(foreign.status).toBe(200);
    expect(foreign.body).toContain('Sign out?');
    expect(await carol.browser.visit(oidc.buildEndSessionUrl(config, { id_token_hint: carol.tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI }).href)).toMatchObject({
      status: 303,
      location: POST_LOGOUT_URI,
    });
    expect(await signedIn(carol.browser)).toBe(false);
    expect(await signedIn(dave.browser)).toBe(true);

    // Once Dave's ID token has expired it names his session, but only the page ends it.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((dave.tokens.claims()!.exp + 60) * 1000);
    const expired = await fetch(oidc.buildEndSessionUrl(config, { id_token_hint: dave.tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI }), { redirect: 'manual' });
    expect(expired.status).toBe(200);
    expect(await signedIn(dave.browser)).toBe(true);
    const form = confirmationForm(await expired.text());
    expect(form.get('id_token_hint')).toBe(dave.tokens.id_token);
    // Confirmed from a browser without Dave's session cookie: the hint's session ends all the same.
    const cookie = expired.headers.getSetCookie()[0]!.split(';')[0]!;
    const confirmed = await fetch(endSessionUrl(), { method: 'POST', headers: { 'content-type': FORM, cookie }, body: form, redirect: 'manual' });
    expect(confirmed.status).toBe(303);
    expect(await signedIn(dave.browser)).toBe(false);
  });
});
