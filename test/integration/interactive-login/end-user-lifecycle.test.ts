import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrapDeps } from '../../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../../src/domain/bootstrap';
import { adminToken, api, type ApiAnswer } from '../../support/http';
import { startTestRuntime } from '../../support/local-runtime';
import { startLogoutReceiver } from '../../support/logout-receiver';
import { acceptLogin, CONSENT_URL, challengeIn, discover, LOGIN_URL, oidc, setUpWorld, TestBrowser, type Api, type Runtime, type World } from './setup';

/**
 * The end-user lifecycle of the management API, through HTTP, with openid-client as the relying
 * parties: a user's sessions are listed and ended one by one or all at once, the user is disabled,
 * enabled and deleted, and each application hears of every ended session at its logoutUrl
 * (OpenID Connect Back-Channel Logout 1.0). Then every rule is tried: USERS_EDIT and USERS_READ,
 * another environment's users, and handing out USERS_EDIT.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';

const bySessionAndAudience = (a: { sid: string; aud: string }, b: { sid: string; aud: string }) => `${a.sid} ${a.aud}`.localeCompare(`${b.sid} ${b.aud}`);

/** One management call by method name. */
const send = (as: Api, method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown): Promise<ApiAnswer> =>
  method === 'get' || method === 'delete' ? as[method](path) : as[method](path, body);

interface Login {
  readonly browser: TestBrowser;
  readonly sub: string;
  readonly sid: string;
}

describe('end users: sessions, sign-out everywhere, disable and delete', () => {
  let runtime: Runtime;
  let world: World;
  let rp: { clientId: string; clientSecret: string; id: string };
  let shop: { clientId: string; clientSecret: string; id: string };
  let receiver: Server;
  /** The logout tokens the application received. */
  const logoutTokens: string[] = [];
  /** The logout tokens posted to a client's own back-channel logout URI. */
  const clientLogoutTokens: string[] = [];
  let receiverUrl: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    shop = await world.createClient({ redirectUris: [REDIRECT_URI] });
    ({ server: receiver, url: receiverUrl } = await startLogoutReceiver((token, path) => (path === '/client-logout' ? clientLogoutTokens : logoutTokens).push(token)));
    const logoutUrl = `${receiverUrl}/backchannel-logout`;
    expect((await world.admin.patch(`/v1/applications/${world.applicationId}`, { logoutUrl })).status).toBe(200);
  });
  afterAll(async () => {
    receiver?.close();
    await runtime?.stop();
  });
  afterEach(() => vi.useRealTimers());

  /** A code flow of `client` in `browser`; a browser with a session comes back without the login page. */
  async function logIn(client: { clientId: string; clientSecret: string }, subjectId: string, browser = new TestBrowser(runtime.url)) {
    const config = await discover(runtime, client.clientId, client.clientSecret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const first = await browser.visit(url.href);
    const callback = first.location?.startsWith(LOGIN_URL)
      ? await acceptLogin(world, browser, challengeIn(first.location, LOGIN_URL, 'login_challenge'), { subjectId, remember: true })
      : first;
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier });
    const claims = tokens.claims()!;
    return { browser, config, sub: claims.sub, sid: claims.sid as string, idToken: tokens.id_token!, accessToken: tokens.access_token, refreshToken: tokens.refresh_token! };
  }

  /** Whether the browser's session still logs it in without a login page (`prompt=none`). */
  async function stillSignedIn(login: Login): Promise<boolean> {
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      prompt: 'none',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const answer = await login.browser.visit(url.href);
    const params = new URL(answer.location!).searchParams;
    if (params.get('error') === 'login_required') return false;
    expect(params.get('code')).toEqual(expect.any(String));
    return true;
  }

  /** The logout tokens received since the last call (posted before the management call answers), verified; audience, `sub` and `sid`. */
  const received = async () => {
    const keys = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const claims = [];
    for (const token of logoutTokens.splice(0)) {
      const { payload } = await jwtVerify(token, keys, { issuer: runtime.url, typ: 'logout+jwt' });
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      claims.push({ aud: payload.aud as string, sub: payload.sub!, sid: payload.sid as string });
    }
    return claims.sort(bySessionAndAudience);
  };

  it("lists a user's live sessions with the clients each signed in to, and ends one, telling each client's application", async () => {
    const phone = await logIn(rp, 'alice');
    await logIn(shop, 'alice', phone.browser); // single sign-on: the same session
    const laptop = await logIn(rp, 'alice');
    expect(laptop.sub).toBe(phone.sub);

    const listed = await world.admin.get(`/v1/users/${phone.sub}/sessions`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    expect(listed.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: phone.sid, userId: phone.sub, clients: [rp.id, shop.id].sort(), authenticatedAt: expect.any(String), expiresAt: expect.any(String) }),
        expect.objectContaining({ id: laptop.sid, clients: [rp.id] }),
      ]),
    );

    expect((await world.admin.delete(`/v1/users/${phone.sub}/sessions/${phone.sid}`)).status).toBe(204);
    expect(await received()).toEqual(
      [
        { aud: rp.clientId, sub: phone.sub, sid: phone.sid },
        { aud: shop.clientId, sub: phone.sub, sid: phone.sid },
      ].sort(bySessionAndAudience),
    );
    expect(await stillSignedIn(phone)).toBe(false);
    expect(await stillSignedIn(laptop)).toBe(true);
    // Tokens issued in the ended session keep working: signing out everywhere is what ends those.
    expect((await oidc.refreshTokenGrant(phone.config, phone.refreshToken)).access_token).toEqual(expect.any(String));
    expect(await oidc.fetchUserInfo(phone.config, phone.accessToken, phone.sub)).toMatchObject({ sub: phone.sub });
    expect((await world.admin.get(`/v1/users/${phone.sub}/sessions`)).body.items.map((session: { id: string }) => session.id)).toEqual([laptop.sid]);

    const again = await world.admin.delete(`/v1/users/${phone.sub}/sessions/${phone.sid}`);
    expect(again.status).toBe(404);
    expect(again.body.detail).toBe(`session "${phone.sid}" of user "${phone.sub}" was not found`);
    // Another user's session is not found under this user, and goes on.
    const bob = await logIn(rp, 'bob');
    expect((await world.admin.delete(`/v1/users/${phone.sub}/sessions/${bob.sid}`)).status).toBe(404);
    expect(await stillSignedIn(bob)).toBe(true);
    await received();
  });

  it('signs a user out everywhere: every session ends, every application is told, and earlier tokens are dated out', async () => {
    const one = await logIn(rp, 'carol');
    const two = await logIn(shop, 'carol');
    const before = await world.admin.get(`/v1/users/${one.sub}`);
    expect(before.body).toMatchObject({ disabled: false });
    expect(before.body).not.toHaveProperty('tokensValidAfter');
    // The clock stands still from here: everything below happens in one millisecond.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());

    expect((await world.admin.delete(`/v1/users/${one.sub}/sessions`)).status).toBe(204);
    expect(await received()).toHaveLength(2);
    expect(await stillSignedIn(one)).toBe(false);
    expect(await stillSignedIn(two)).toBe(false);
    expect((await world.admin.get(`/v1/users/${one.sub}/sessions`)).body.items).toEqual([]);
    const after = await world.admin.get(`/v1/users/${one.sub}`);
    expect(after.body).toMatchObject({ disabled: false, tokensValidAfter: expect.any(String) });
    expect(Date.parse(after.body.tokensValidAfter)).toBeGreaterThanOrEqual(Date.parse(before.body.updatedAt));

    // Twice in a row: the second time is later still, never earlier, so a login in between, in the
    // same millisecond (its tokens are dated after the first), is signed out by the second.
    const between = await logIn(rp, 'carol');
    expect(await oidc.fetchUserInfo(between.config, between.accessToken, one.sub)).toMatchObject({ sub: one.sub });
    expect((await world.admin.delete(`/v1/users/${one.sub}/sessions`)).status).toBe(204);
    expect((await world.admin.get(`/v1/users/${one.sub}`)).body.tokensValidAfter > after.body.tokensValidAfter).toBe(true);
    await expect(oidc.refreshTokenGrant(between.config, between.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(between.config, between.accessToken, one.sub)).rejects.toMatchObject({ status: 401 });
    expect(await received()).toEqual([{ aud: rp.clientId, sub: one.sub, sid: between.sid }]);
  });

  it('tells the application of every client the session signed in to when one of them logs the user out (RP-initiated logout)', async () => {
    const login = await logIn(rp, 'frank');
    await logIn(shop, 'frank', login.browser); // single sign-on: the same session
    const signedOut = await login.browser.visit(oidc.buildEndSessionUrl(login.config, { id_token_hint: login.idToken }).href);
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).not.toContain('Sign out?');
    expect(await received()).toEqual(
      [
        { aud: rp.clientId, sub: login.sub, sid: login.sid },
        { aud: shop.clientId, sub: login.sub, sid: login.sid },
      ].sort(bySessionAndAudience),
    );
    expect(await stillSignedIn(login)).toBe(false);
  });

  it("sends a client's logout tokens to its own backchannelLogoutUri, the others' to their application, as discovery advertises", async () => {
    const own = await world.createClient({ redirectUris: [REDIRECT_URI], backchannelLogoutUri: `${receiverUrl}/client-logout`, backchannelLogoutSessionRequired: true });
    expect(own).toMatchObject({ backchannelLogoutUri: `${receiverUrl}/client-logout`, backchannelLogoutSessionRequired: true });
    const login = await logIn(own, 'ken');
    expect(login.config.serverMetadata()).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
    await logIn(rp, 'ken', login.browser);
    await login.browser.visit(oidc.buildEndSessionUrl(login.config, { id_token_hint: login.idToken }).href);
    expect(await received()).toEqual([{ aud: rp.clientId, sub: login.sub, sid: login.sid }]);
    const keys = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const [token, ...more] = clientLogoutTokens.splice(0);
    expect(more).toEqual([]);
    const { payload } = await jwtVerify(token!, keys, { issuer: runtime.url, audience: own.clientId, typ: 'logout+jwt' });
    expect(payload).toMatchObject({ sub: login.sub, sid: login.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
  });

  it('disables a user (its sessions end, its earlier tokens are dated out) and enables it again without reviving them', async () => {
    const login = await logIn(rp, 'dave');
    const disabled = await world.admin.patch(`/v1/users/${login.sub}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: login.sub, disabled: true, tokensValidAfter: expect.any(String) });
    expect(await received()).toEqual([{ aud: rp.clientId, sub: login.sub, sid: login.sid }]);
    expect(await stillSignedIn(login)).toBe(false);
    const listed = await world.admin.get('/v1/users?limit=100');
    expect(listed.body.items.find((user: { id: string }) => user.id === login.sub)).toMatchObject({ disabled: true });

    const enabled = await world.admin.patch(`/v1/users/${login.sub}`, { disabled: false });
    expect(enabled.body).toMatchObject({ disabled: false, tokensValidAfter: disabled.body.tokensValidAfter });

    for (const body of [{}, { disabled: 'yes' }, { disabled: true, name: 'x' }]) {
      const refused = await world.admin.patch(`/v1/users/${login.sub}`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect((await world.admin.patch('/v1/users/usr_nobody', { disabled: true })).status).toBe(404);
  });

  it('deletes a user with its profiles, subject claim, sessions and consents; the subject signs in again as a new user', async () => {
    const partner = await world.createClient({ redirectUris: [REDIRECT_URI], thirdParty: true });
    const config = await discover(runtime, partner.clientId, partner.clientSecret);
    const browser = new TestBrowser(runtime.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const toLogin = await browser.visit(url.href);
    const toConsent = await acceptLogin(world, browser, challengeIn(toLogin.location, LOGIN_URL, 'login_challenge'), {
      subjectId: 'erin',
      uniqueProfileIdentifier: 'work',
      remember: true,
    });
    const consent = challengeIn(toConsent.location, CONSENT_URL, 'consent_challenge');
    const accepted = await world.backend.post(`/v1/consent-requests/${encodeURIComponent(consent)}/accept`, { grantScopes: ['openid'], remember: true });
    const callback = await browser.visit(accepted.body.redirectTo);
    const sub = (await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier })).claims()!.sub;
    // And a first-party client's tokens, in a session of their own.
    const firstParty = await logIn(rp, 'erin');
    expect(firstParty.sub).toBe(sub);

    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const recordsOf = async (userId: string) => {
      const { Items = [] } = await table.send(new ScanCommand({ TableName: runtime.resources.tableName }));
      return Items.filter((item) => ['user', 'user-subject', 'profile', 'session', 'user-session', 'consent'].includes(item.type) && JSON.stringify(item).includes(userId)).map(
        (item) => item.type as string,
      );
    };
    expect((await recordsOf(sub)).sort()).toEqual(['consent', 'profile', 'profile', 'session', 'session', 'user', 'user-session', 'user-session', 'user-subject']);

    expect((await world.admin.delete(`/v1/users/${sub}`)).status).toBe(204);
    expect((await received()).map((logout) => [logout.aud, logout.sub]).sort()).toEqual(
      [
        [partner.clientId, sub],
        [rp.clientId, sub],
      ].sort(),
    );
    expect(await recordsOf(sub)).toEqual([]);
    // Its tokens go with it: the refresh token is refused, userinfo answers 401, introspection says inactive.
    await expect(oidc.refreshTokenGrant(firstParty.config, firstParty.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(firstParty.config, firstParty.accessToken, sub)).rejects.toMatchObject({ status: 401 });
    expect((await oidc.tokenIntrospection(firstParty.config, firstParty.accessToken)).active).toBe(false);
    expect((await world.admin.get(`/v1/users/${sub}`)).status).toBe(404);
    expect((await world.admin.get(`/v1/users/${sub}/sessions`)).status).toBe(404);
    expect((await world.admin.delete(`/v1/users/${sub}`)).status).toBe(404);

    const again = await logIn(rp, 'erin');
    expect(again.sub).not.toBe(sub);
  });

  describe('who may do it', () => {
    let alice: string;
    let aliceLogin: Awaited<ReturnType<typeof logIn>>;
    let readerOnly: Api;
    let editorOnly: Api;

    beforeAll(async () => {
      aliceLogin = await logIn(rp, 'alice');
      alice = aliceLogin.sub;
      readerOnly = await world.accountWith(['USERS_READ']);
      editorOnly = await world.accountWith(['USERS_EDIT']);
    });

    it('needs USERS_EDIT for every change and USERS_READ to list sessions', async () => {
      for (const [method, path, body] of [
        ['patch', `/v1/users/${alice}`, { disabled: true }],
        ['delete', `/v1/users/${alice}`],
        ['delete', `/v1/users/${alice}/sessions`],
        ['delete', `/v1/users/${alice}/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa`],
      ] as const) {
        const refused = await send(readerOnly, method, path, body);
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(refused.body.detail).toBe('this operation requires the permission USERS_EDIT on the resource latchkey');
      }
      expect((await readerOnly.get(`/v1/users/${alice}/sessions`)).status).toBe(200);
      const unread = await editorOnly.get(`/v1/users/${alice}/sessions`);
      expect(unread.status).toBe(403);
      expect(unread.body.detail).toContain('USERS_READ');
      expect((await world.admin.get(`/v1/users/${alice}`)).body).toMatchObject({ disabled: false });
      // None of the refused calls ended anything: the session still logs in, the tokens still work.
      expect(await stillSignedIn(aliceLogin)).toBe(true);
      expect((await oidc.refreshTokenGrant(aliceLogin.config, aliceLogin.refreshToken)).access_token).toEqual(expect.any(String));
      expect(await received()).toEqual([]);

      const disabled = await editorOnly.patch(`/v1/users/${alice}`, { disabled: true });
      expect(disabled.body).toMatchObject({ disabled: true });
      expect((await editorOnly.patch(`/v1/users/${alice}`, { disabled: false })).status).toBe(200);
      await received();
    });

    it('finds no user of another environment, and leaves it as it was', async () => {
      const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Other tenant', environmentName: 'users' });
      const asOther = api(runtime.url, await adminToken(runtime, other.admin));
      const application = await asOther.post('/v1/applications', { name: 'Theirs' });
      await asOther.post('/v1/idp-connections', { type: 'delegated', enabled: true, applicationIds: [application.body.id] });
      const voucher = await asOther.post('/v1/delegated-access-tokens', { applicationId: application.body.id, subjectId: 'victim' });
      expect(voucher.status).toBe(200);
      const victim = voucher.body.payload.sub as string;

      for (const [method, path, body] of [
        ['get', `/v1/users/${victim}/sessions`],
        ['patch', `/v1/users/${victim}`, { disabled: true }],
        ['delete', `/v1/users/${victim}/sessions`],
        ['delete', `/v1/users/${victim}/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa`],
        ['delete', `/v1/users/${victim}`],
      ] as const) {
        const answer = await send(world.admin, method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
      const untouched = await asOther.get(`/v1/users/${victim}`);
      expect(untouched.body).toMatchObject({ id: victim, disabled: false });
      expect(untouched.body).not.toHaveProperty('tokensValidAfter');
      // Its token still stands, as its own environment's administrator sees it.
      const theirs = await discover(runtime, other.admin.clientId, other.admin.clientSecret);
      expect(await oidc.tokenIntrospection(theirs, voucher.body.accessToken)).toMatchObject({ active: true, sub: victim });
    });

    it('lets no one hand out USERS_EDIT without holding it, nor act on an account that holds it', async () => {
      const manager = await world.admin.post('/v1/service-accounts', { name: 'account manager' });
      await world.admin.put(`/v1/service-accounts/${manager.body.id}/permissions`, {
        grants: [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ', 'SERVICE_ACCOUNTS_EDIT'] }],
      });
      const asManager = api(runtime.url, await adminToken(runtime, manager.body));
      const editor = await world.admin.post('/v1/service-accounts', { name: 'user editor' });
      await world.admin.put(`/v1/service-accounts/${editor.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['USERS_EDIT'] }] });

      const grantSelf = await asManager.put(`/v1/service-accounts/${manager.body.id}/permissions`, {
        grants: [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ', 'SERVICE_ACCOUNTS_EDIT', 'USERS_EDIT'] }],
      });
      expect(grantSelf.status).toBe(403);
      expect(grantSelf.body.detail).toContain('USERS_EDIT');
      const sneaky = await asManager.post('/v1/service-accounts', { name: 'sneaky' });
      expect(sneaky.status).toBe(201);
      expect((await asManager.put(`/v1/service-accounts/${sneaky.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['USERS_EDIT'] }] })).status).toBe(403);
      for (const [method, path] of [
        ['post', `/v1/service-accounts/${editor.body.id}/access-tokens`],
        ['post', `/v1/service-accounts/${editor.body.id}/secret`],
        ['post', `/v1/service-accounts/${editor.body.id}/personal-access-tokens`],
        ['delete', `/v1/service-accounts/${editor.body.id}`],
      ] as const) {
        const refused = await send(asManager, method, path, method === 'post' ? {} : undefined);
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(refused.body.detail).toContain('USERS_EDIT');
      }
      expect((await asManager.patch(`/v1/users/${alice}`, { disabled: true })).status).toBe(403);
      expect((await world.admin.get(`/v1/users/${alice}`)).body.disabled).toBe(false);
    });
  });
});
