import type { Server } from 'node:http';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { startLogoutReceiver } from '../../support/logout-receiver';
import { challengeIn, discover, LOGIN_URL, logIn, oidc, setUpWorld, type TestBrowser, type Api, type Runtime, type World } from './setup';

/**
 * Taking back what interactive login gave, through HTTP with openid-client as the relying party
 * and oauth4webapi as a resource server: revoking a refresh token (RFC 7009 §2.1) ends its family
 * and the access tokens issued from it; introspection (RFC 7662) reports live refresh tokens;
 * deleting a client or an application, disabling the IDP connection, and disabling an end user or
 * signing it out everywhere through the user-management API end its tokens at once (enabling the
 * connection or the user again revives none of them); and the previous refresh token serves a second tab for a few
 * seconds without tripping reuse detection.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';

describe('taking back what interactive login gave', () => {
  let runtime: Runtime;
  let world: World;
  let connectionId: string;
  let subjects = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    connectionId = ((await world.admin.get('/v1/idp-connections')).body.items as { id: string }[])[0]!.id;
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  /** A confidential relying party of the world's application, with openid-client's configuration. */
  const relyingParty = async (settings: Record<string, unknown> = {}) => {
    const client = await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce', ...settings });
    return { ...client, config: await discover(runtime, client.clientId, client.clientSecret) };
  };
  /** A new end user logged in to `rp`; each call is another subject unless one is given. */
  const login = (config: oidc.Configuration, subject: Record<string, unknown> = { subjectId: `user-${++subjects}`, remember: true }) =>
    logIn(world, config, { redirectUri: REDIRECT_URI, subject });

  /** Introspection as a resource server asks it, with the development administrator's credentials. */
  const introspect = async (token: string, hint?: string) => {
    const as: oauth.AuthorizationServer = { issuer: runtime.url, introspection_endpoint: `${runtime.url}/oauth/v2/introspect` };
    const client: oauth.Client = { client_id: runtime.devAdmin.clientId };
    const options = { [oauth.allowInsecureRequests]: true, ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}) };
    const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(runtime.devAdmin.clientSecret), token, options);
    return oauth.processIntrospectionResponse(as, client, response);
  };
  const userinfoStatus = async (accessToken: string) => (await fetch(`${runtime.url}/oauth/v2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const refreshRefused = (config: oidc.Configuration, refreshToken: string) =>
    expect(oidc.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });

  describe('refresh tokens (RFC 7009, RFC 7662)', () => {
    it('introspects a live refresh token as active with what it stands for, whatever the hint says', async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      const expected = {
        active: true,
        client_id: rp.clientId,
        sub: decodeJwt(tokens.access_token).sub,
        scope: 'openid offline_access',
        exp: expect.any(Number),
        tokenKind: 'refresh_token',
      };
      expect(await introspect(tokens.refresh_token!)).toMatchObject(expected);
      expect(await introspect(tokens.refresh_token!, 'access_token')).toMatchObject(expected);
      // The relying party may ask about it too, through openid-client.
      expect(await oidc.tokenIntrospection(rp.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' })).toMatchObject(expected);
      // Once rotated, the spent token is no longer active; its successor is.
      const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect(await introspect(tokens.refresh_token!)).toEqual({ active: false });
      expect(await introspect(refreshed.refresh_token!)).toMatchObject(expected);
    });

    it('revokes a refresh token with its whole family and the access tokens issued from it', async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect(await userinfoStatus(refreshed.access_token)).toBe(200);

      await oidc.tokenRevocation(rp.config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });

      await refreshRefused(rp.config, refreshed.refresh_token!);
      expect(await introspect(refreshed.refresh_token!)).toEqual({ active: false });
      for (const accessToken of [tokens.access_token, refreshed.access_token]) {
        expect(await introspect(accessToken)).toEqual({ active: false });
        expect(await userinfoStatus(accessToken)).toBe(401);
      }
    });

    it("refuses to revoke another client's refresh token, which keeps working", async () => {
      const rp = await relyingParty();
      const other = await relyingParty();
      const { tokens } = await login(rp.config);
      await expect(oidc.tokenRevocation(other.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'unauthorized_client' });
      expect((await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).access_token).toBeTruthy();
    });

    it("lets a public client revoke its own tokens, and no other client's", async () => {
      const redirectUri = 'com.example.shop:/oauth/callback';
      const app = await world.createClient({ clientType: 'native', redirectUris: [redirectUri], pkce: 'enforce_instead_of_secret' });
      const config = await discover(runtime, app.clientId);
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      await expect(oidc.tokenRevocation(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'unauthorized_client' });
      expect(await introspect(tokens.refresh_token!)).toMatchObject({ active: true });

      const own = await logIn(world, config, { redirectUri, subject: { subjectId: `user-${++subjects}` } });
      await oidc.tokenRevocation(config, own.tokens.refresh_token!);
      await refreshRefused(config, own.tokens.refresh_token!);
      expect(await userinfoStatus(own.tokens.access_token)).toBe(401);
    });
  });

  describe('two tabs refreshing at once', () => {
    it('gives both a fresh pair of the same family, and each goes on refreshing', async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      const [first, second] = await Promise.all([oidc.refreshTokenGrant(rp.config, tokens.refresh_token!), oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)]);
      expect(first.refresh_token).not.toBe(second.refresh_token);
      for (const tab of [first, second]) {
        expect(await userinfoStatus(tab.access_token)).toBe(200);
        expect((await oidc.refreshTokenGrant(rp.config, tab.refresh_token!)).access_token).toBeTruthy();
      }
    });

    it('accepts the previous token from a tab that comes a moment late, and revokes the family when it comes back after the leeway', async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      const first = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 4_000);
      const late = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect(await userinfoStatus(late.access_token)).toBe(200);

      vi.setSystemTime(Date.now() + 6_000);
      await refreshRefused(rp.config, tokens.refresh_token!);
      for (const tab of [first, late]) {
        await refreshRefused(rp.config, tab.refresh_token!);
        expect(await userinfoStatus(tab.access_token)).toBe(401);
      }
    });
  });

  describe('a compromised relying party', () => {
    it("ends its end users' access and refresh tokens at once when the OIDC client is deleted", async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      expect(await introspect(tokens.access_token)).toMatchObject({ active: true });
      expect(await userinfoStatus(tokens.access_token)).toBe(200);

      expect((await world.admin.delete(`/v1/applications/${world.applicationId}/clients/${rp.id}`)).status).toBe(204);

      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      expect(await introspect(tokens.refresh_token!)).toEqual({ active: false });
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
    });

    it('ends the tokens of every client of a deleted application, for userinfo too', async () => {
      const application = await world.admin.post('/v1/applications', { name: 'Short-lived', loginUrl: LOGIN_URL });
      const applicationId = application.body.id as string;
      expect((await world.admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [world.applicationId, applicationId] })).status).toBe(200);
      const created = await world.admin.post(`/v1/applications/${applicationId}/clients`, { name: 'Its client', redirectUris: [REDIRECT_URI], pkce: 'enforce' });
      const config = await discover(runtime, created.body.clientId, created.body.clientSecret);
      const { tokens } = await login(config);
      expect(await userinfoStatus(tokens.access_token)).toBe(200);

      expect((await world.admin.delete(`/v1/applications/${applicationId}`)).status).toBe(204);

      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      expect(await introspect(tokens.refresh_token!)).toEqual({ active: false });
    });
  });

  describe('the IDP connection', () => {
    it('stops the refresh grant, userinfo and introspection when disabled, and enabling it again revives none of them', async () => {
      const rp = await relyingParty();
      const { tokens } = await login(rp.config);
      expect((await world.admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: false })).status).toBe(200);
      try {
        await refreshRefused(rp.config, tokens.refresh_token!);
        expect(await userinfoStatus(tokens.access_token)).toBe(401);
        expect(await introspect(tokens.access_token)).toEqual({ active: false });
        expect(await introspect(tokens.refresh_token!)).toEqual({ active: false });
      } finally {
        expect((await world.admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: true })).status).toBe(200);
      }
      // What the users held before stays refused; a login after it works at once, in the same second too.
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      await refreshRefused(rp.config, tokens.refresh_token!);
      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      const again = await login(rp.config);
      expect(await userinfoStatus(again.tokens.access_token)).toBe(200);
      expect((await oidc.refreshTokenGrant(rp.config, again.tokens.refresh_token!)).access_token).toEqual(expect.any(String));
    });
  });

  describe('an end user, through the user-management API', () => {
    /** A management API caller holding only USERS_EDIT, as an on-call engineer would use. */
    let usersEditor: Api;
    /** The back-channel logout tokens the application received, and the address it receives them at. */
    const logoutTokens: string[] = [];
    let receiver: Server;

    beforeAll(async () => {
      usersEditor = await world.accountWith(['USERS_EDIT']);
      const started = await startLogoutReceiver((token) => logoutTokens.push(token));
      receiver = started.server;
      const logoutUrl = `${started.url}/backchannel-logout`;
      expect((await world.admin.patch(`/v1/applications/${world.applicationId}`, { logoutUrl })).status).toBe(200);
    });
    afterAll(() => receiver?.close());

    /** The verified logout tokens received for `sub` so far (each posted before the management call answered): audience and `sid`. */
    const logoutsOf = async (sub: string) => {
      const keys = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
      const received = [];
      for (const token of logoutTokens) {
        const { payload } = await jwtVerify(token, keys, { issuer: runtime.url, typ: 'logout+jwt' });
        expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
        if (payload.sub === sub) received.push({ aud: payload.aud, sid: payload.sid });
      }
      return received;
    };

    /** An authorization request in `browser`, which has a session, answered with a code that is not redeemed yet. */
    const pendingCode = async (config: oidc.Configuration, browser: TestBrowser) => {
      const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
        code_challenge_method: 'S256',
      });
      const callback = new URL((await browser.visit(url.href)).location!);
      expect(callback.searchParams.get('code')).toEqual(expect.any(String));
      return { callback, pkceCodeVerifier };
    };
    const exchangeRefused = (config: oidc.Configuration, code: { callback: URL; pkceCodeVerifier: string }) =>
      expect(oidc.authorizationCodeGrant(config, code.callback, { pkceCodeVerifier: code.pkceCodeVerifier })).rejects.toMatchObject({ error: 'invalid_grant' });

    it('who is disabled gets no token by any grant and its tokens are refused; enabled again, it gets none of them back but logs in anew', async () => {
      const rp = await relyingParty();
      const subjectId = `user-${++subjects}`;
      const { tokens, browser } = await login(rp.config, { subjectId, remember: true });
      const userId = decodeJwt(tokens.access_token).sub!;
      const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      const vouching = await world.accountWith(['GENERATE_DELEGATED_ACCESS_TOKEN']);
      const delegated = await vouching.post('/v1/delegated-access-tokens', { applicationId: world.applicationId, subjectId });
      expect(delegated.status).toBe(200);
      // Codes the browser's session got before the user was disabled, redeemed after.
      const codeWhileDisabled = await pendingCode(rp.config, browser);
      const codeAfterEnabling = await pendingCode(rp.config, browser);
      // Userinfo takes the access tokens of clients only; introspection takes the delegated one too.
      const accessTokens = [tokens.access_token, refreshed.access_token];
      const delegatedToken = delegated.body.accessToken as string;
      const allRefused = async () => {
        await refreshRefused(rp.config, refreshed.refresh_token!);
        expect(await introspect(refreshed.refresh_token!)).toEqual({ active: false });
        for (const accessToken of [...accessTokens, delegatedToken]) expect(await introspect(accessToken)).toEqual({ active: false });
        for (const accessToken of accessTokens) expect(await userinfoStatus(accessToken)).toBe(401);
      };

      for (const accessToken of [...accessTokens, delegatedToken]) expect(await introspect(accessToken)).toMatchObject({ active: true, sub: userId });
      for (const accessToken of accessTokens) expect(await userinfoStatus(accessToken)).toBe(200);

      const disabled = await usersEditor.patch(`/v1/users/${userId}`, { disabled: true });
      expect(disabled).toMatchObject({ status: 200, body: { id: userId, disabled: true } });

      await allRefused();
      await exchangeRefused(rp.config, codeWhileDisabled);
      expect(await vouching.post('/v1/delegated-access-tokens', { applicationId: world.applicationId, subjectId, email: 'new@example.com' })).toMatchObject({
        status: 409,
        body: { code: 'user_disabled' },
      });
      // Refused before anything was written.
      const user = await world.admin.get(`/v1/users/${userId}`);
      expect(user.body).toMatchObject({ id: userId, disabled: true });
      expect(user.body).not.toHaveProperty('email');
      // The browser's session no longer logs it in, and the application cannot log it in again.
      const again = await browser.visit(
        oidc.buildAuthorizationUrl(rp.config, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }).href,
      );
      const challenge = challengeIn(again.location, LOGIN_URL, 'login_challenge');
      expect(await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, { subjectId })).toMatchObject({
        status: 409,
        body: { code: 'user_disabled' },
      });

      expect(await usersEditor.patch(`/v1/users/${userId}`, { disabled: false })).toMatchObject({ status: 200, body: { id: userId, disabled: false } });

      // Nothing issued before comes back: tokens, the code of the earlier session.
      await allRefused();
      await exchangeRefused(rp.config, codeAfterEnabling);
      // A new login and a new delegated token do work, for the same user.
      const fresh = await login(rp.config, { subjectId, remember: true });
      expect(decodeJwt(fresh.tokens.access_token).sub).toBe(userId);
      expect(await userinfoStatus(fresh.tokens.access_token)).toBe(200);
      expect(await introspect(fresh.tokens.access_token)).toMatchObject({ active: true, sub: userId });
      expect((await oidc.refreshTokenGrant(rp.config, fresh.tokens.refresh_token!)).access_token).toBeTruthy();
      const vouched = await vouching.post('/v1/delegated-access-tokens', { applicationId: world.applicationId, subjectId });
      expect(vouched.status).toBe(200);
      expect(await introspect(vouched.body.accessToken)).toMatchObject({ active: true, sub: userId });
    });

    it('who signs out everywhere loses every refresh token and session it had, every application hears of it, and it may log in again', async () => {
      const rp = await relyingParty({ promptValues: ['login', 'none'] });
      const subject = { subjectId: `user-${++subjects}`, remember: true };
      const { tokens, browser } = await login(rp.config, subject);
      const userId = decodeJwt(tokens.access_token).sub!;
      // Another device, rotated a moment ago: a recent rotation does not save it.
      const otherDevice = await login(rp.config, subject);
      const rotated = await oidc.refreshTokenGrant(rp.config, otherDevice.tokens.refresh_token!);
      const sessions = [tokens, otherDevice.tokens].map((issued) => ({ aud: rp.clientId, sid: issued.claims()!.sid }));
      expect(await logoutsOf(userId)).toEqual([]);

      expect((await usersEditor.delete(`/v1/users/${userId}/sessions`)).status).toBe(204);

      // The token rotated last would serve a late second tab for a few seconds; not after this.
      for (const refreshToken of [tokens.refresh_token!, rotated.refresh_token!, otherDevice.tokens.refresh_token!]) {
        await refreshRefused(rp.config, refreshToken);
        expect(await introspect(refreshToken)).toEqual({ active: false });
      }
      for (const accessToken of [tokens.access_token, rotated.access_token]) {
        expect(await introspect(accessToken)).toEqual({ active: false });
        expect(await userinfoStatus(accessToken)).toBe(401);
      }
      // Each session's relying party was told, by a back-channel logout token naming it.
      expect(await logoutsOf(userId)).toEqual(expect.arrayContaining(sessions));
      expect(await logoutsOf(userId)).toHaveLength(2);
      const silent = oidc.buildAuthorizationUrl(rp.config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      expect(new URL((await browser.visit(silent.href)).location!).searchParams.get('error')).toBe('login_required');

      // Logging in again, even within the same second, gives tokens that work.
      const fresh = await login(rp.config, subject);
      expect(await userinfoStatus(fresh.tokens.access_token)).toBe(200);
      expect((await oidc.refreshTokenGrant(rp.config, fresh.tokens.refresh_token!)).access_token).toBeTruthy();
    });
  });

  it('advertises exactly the client authentication methods revocation and introspection accept', async () => {
    const metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth', 'none']);
    expect(metadata.introspection_endpoint_auth_methods_supported).not.toContain('none');
    // What discovery says of a public client holds at both endpoints.
    const app = await world.createClient({ clientType: 'native', redirectUris: ['com.example.app:/cb'], pkce: 'enforce_instead_of_secret' });
    const form = { token: 'lkr_unknown', client_id: app.clientId };
    const post = (endpoint: string) => fetch(`${runtime.url}/oauth/v2/${endpoint}`, { method: 'POST', body: new URLSearchParams(form) });
    expect((await post('revoke')).status).toBe(200);
    expect((await post('introspect')).status).toBe(401);
  });
});
