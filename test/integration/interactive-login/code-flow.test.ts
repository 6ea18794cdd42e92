import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { startLogoutReceiver } from '../../support/logout-receiver';
import { acceptLogin, challengeIn, discover, LOGIN_URL, oidc, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * The authorization code flow with PKCE end to end through HTTP, with openid-client as the relying
 * party: discovery, the browser's trip through the application's login page, the application's
 * backend accepting the login challenge, the code grant (ID token validated by openid-client),
 * userinfo, two refresh-token rotations and RP-initiated logout.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';
const POST_LOGOUT_URI = 'https://rp.example.com/signed-out';

describe('authorization code flow with openid-client', () => {
  let runtime: Runtime;
  let world: World;
  let rp: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    rp = await world.createClient({ redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI], pkce: 'enforce', idTokenClaims: ['email'] });
  });
  afterAll(() => runtime?.stop());

  it('logs an end user in through the application, refreshes twice and logs out', async () => {
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      login_hint: 'alice@example.com',
    });

    const toLogin = await browser.visit(authorizationUrl.href);
    expect(toLogin.status).toBe(303);
    const challenge = challengeIn(toLogin.location, LOGIN_URL, 'login_challenge');
    const bindingCookie = toLogin.setCookies.find((cookie) => cookie.startsWith('lk_authz_'))!;
    expect(bindingCookie).toMatch(/; HttpOnly; Secure; SameSite=Lax; Max-Age=600$/);

    const request = await world.backend.get(`/v1/login-requests/${encodeURIComponent(challenge)}`);
    expect(request.status).toBe(200);
    expect(request.body).toMatchObject({
      challenge,
      clientId: rp.clientId,
      applicationId: world.applicationId,
      requestedScopes: ['openid', 'profile', 'email', 'offline_access'],
      loginHint: 'alice@example.com',
    });

    const callback = await acceptLogin(world, browser, challenge, {
      subjectId: 'alice-1',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice',
      remember: true,
      amr: ['pwd'],
    });
    expect(callback.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
    const sessionCookie = callback.setCookies.find((cookie) => cookie.startsWith(`lk_session_${runtime.devAdmin.environmentId}=`))!;
    expect(sessionCookie).toMatch(/; Path=\/oauth\/v2; HttpOnly; Secure; SameSite=Lax; Max-Age=86400$/);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const idToken = tokens.claims()!;
    expect(idToken).toMatchObject({
      iss: runtime.url,
      aud: rp.clientId,
      azp: rp.clientId,
      nonce,
      amr: ['pwd'],
      name: 'Alice',
      email: 'alice@example.com',
      email_verified: true,
      sid: expect.stringMatching(/^ses_/),
      sub: expect.stringMatching(/^usr_/),
    });
    expect(typeof idToken.auth_time).toBe('number');
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
    // OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token.
    expect(idToken.at_hash).toBe(createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url'));
    expect(tokens.scope).toBe('openid profile email offline_access');
    expect(tokens.refresh_token).toMatch(/^lkr_/);

    const access = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`)), {
      issuer: runtime.url,
      audience: rp.clientId,
      typ: 'at+jwt',
    });
    expect(access.payload).toMatchObject({ sub: idToken.sub, client_id: rp.clientId, subjectType: 'EndUserAccount', sessionId: idToken.sid });

    // The table keeps keyed hashes only: no challenge, code, refresh token or session secret in clear.
    const { Items = [] } = await DynamoDBDocumentClient.from(new DynamoDBClient({})).send(new ScanCommand({ TableName: runtime.resources.tableName }));
    const table = JSON.stringify(Items);
    const code = new URL(callback.location!).searchParams.get('code')!;
    const sessionSecret = sessionCookie.split(';')[0]!.split('.')[1]!;
    for (const secret of [challenge, challenge.split('.')[1]!, code, tokens.refresh_token!, sessionSecret]) expect(table).not.toContain(secret);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    expect(info).toMatchObject({ sub: idToken.sub, name: 'Alice', email: 'alice@example.com', email_verified: true });

    const first = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    expect(first.claims()).toMatchObject({ sub: idToken.sub, sid: idToken.sid, auth_time: idToken.auth_time });
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await oidc.fetchUserInfo(config, second.access_token, idToken.sub)).sub).toBe(idToken.sub);

    // Single sign-on: the session logs the next request in without the login page.
    const again = await browser.visit(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).href,
    );
    expect(again.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));

    // The application hears of the logout through its logoutUrl (OpenID Connect Back-Channel Logout §2.5).
    const logoutTokens: string[] = [];
    const application = await startLogoutReceiver((token) => logoutTokens.push(token));
    const logoutUrl = `${application.url}/backchannel-logout`;
    expect((await world.admin.patch(`/v1/applications/${world.applicationId}`, { logoutUrl })).body.logoutUrl).toBe(logoutUrl);

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    const signedOut = await browser.visit(logout.href);
    expect(signedOut.location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    expect(browser.cookieNames().filter((name) => name.startsWith('lk_session_'))).toEqual([]);
    application.server.close();
    expect(logoutTokens).toHaveLength(1);
    const { payload: logoutToken } = await jwtVerify(logoutTokens[0]!, createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`)), {
      issuer: runtime.url,
      audience: rp.clientId,
      typ: 'logout+jwt',
    });
    expect(logoutToken).toMatchObject({ sub: idToken.sub, sid: idToken.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(logoutToken).not.toHaveProperty('nonce');

    // The session record is gone too: even its cookie, replayed, logs no one in.
    const replayed = await fetch(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        prompt: 'none',
        state: 's2',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }),
      {
        redirect: 'manual',
        headers: { cookie: sessionCookie.split(';')[0]! },
      },
    );
    const refused = new URL(replayed.headers.get('location')!);
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({ error: 'login_required', state: 's2', iss: runtime.url });
  });
});
