import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../support/browser';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { formFields, metadataOf, samlify } from './saml/support';

/**
 * Latchkey as a broker in front of an upstream OpenID provider (node-oidc-provider, in process on
 * 127.0.0.1, with its development login and consent pages): openid-client runs the code flow against
 * Latchkey, a scripted browser logs in at the upstream, and Latchkey's ID token carries the user the
 * upstream's claims were mapped to. Then what must fail: a wrong nonce, a tampered ID token, the end
 * user cancelling upstream, a connection disabled mid-login, a hint at another application's
 * connection; and what must route or link: email domains, linking only by a verified email. Last,
 * logout both ways: Latchkey's end_session goes on to the upstream's, and the upstream's back-channel
 * logout ends the Latchkey session it made.
 */

const REDIRECT_URI = 'https://rp.example.com/callback';
const POST_LOGOUT_URI = 'https://rp.example.com/signed-out';
const FORM = 'application/x-www-form-urlencoded';

/** The upstream's accounts: `mallory` claims alice's email, unverified. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { email: 'alice@acme-fed.example', email_verified: true, name: 'Alice Upstream' },
  mallory: { email: 'alice@acme-fed.example', email_verified: false, name: 'Mallory' },
  gina: { email: 'gina@globex-fed.example', email_verified: true, name: 'Gina Globex' },
};

describe('logging in through an upstream OpenID provider', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let server: Server;
  let upstreamUrl: string;
  /** Rewrites the upstream's token answer's ID token, when set. */
  let rewriteIdToken: ((idToken: string) => Promise<string>) | undefined;
  let signingKey: CryptoKey;
  /** Latchkey's key for private_key_jwt at the upstream. */
  let clientKey: Awaited<ReturnType<typeof generateKeyPair>>;
  let acme: { id: string; redirectUri: string; backchannelLogoutUri: string };
  /** The logout tokens the application's logoutUrl received. */
  const applicationTold: string[] = [];
  let globex: { id: string };
  let applicationId: string;
  let rp: { clientId: string; clientSecret: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = await generateKeyPair('RS256', { extractable: true });
    clientKey = await generateKeyPair('ES256', { extractable: true });
    signingKey = keys.privateKey;
    const callback = `${runtime.url}/oauth/v2/idp/callback`;

    // The application's logoutUrl is on the upstream's server too, under a path of its own.
    applicationId = (await admin.post('/v1/applications', { name: 'Brokered storefront', logoutUrl: `${upstreamUrl}/app-logout` })).body.id;
    const created = await admin.post('/v1/idp-connections', {
      type: 'oidc',
      name: 'Acme workforce',
      issuer: upstreamUrl,
      clientId: 'latchkey-acme',
      clientSecret: 'acme-upstream-secret',
      emailDomains: ['acme-fed.example'],
      applicationIds: [applicationId],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    acme = created.body;

    const provider = new Provider(upstreamUrl, {
      clients: [
        {
          client_id: 'latchkey-acme',
          client_secret: 'acme-upstream-secret',
          redirect_uris: [callback],
          post_logout_redirect_uris: [POST_LOGOUT_URI],
          backchannel_logout_uri: acme.backchannelLogoutUri,
        },
        { client_id: 'latchkey-globex', client_secret: 'globex-upstream-secret', redirect_uris: [callback] },
        {
          client_id: 'latchkey-keyed',
          redirect_uris: [callback],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [{ ...(await exportJWK(clientKey.publicKey)), kid: 'latchkey-1', alg: 'ES256', use: 'sig' }] },
        },
      ],
      jwks: { keys: [{ ...(await exportJWK(keys.privateKey)), kid: 'upstream-1', alg: 'RS256', use: 'sig' }] },
      findAccount: async (_ctx: unknown, sub: string) => (ACCOUNTS[sub] ? { accountId: sub, claims: async () => ({ sub, ...ACCOUNTS[sub] }) } : undefined),
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      conformIdTokenClaims: false,
      cookies: { keys: ['upstream-cookie-key-for-tests'] },
      features: { backchannelLogout: { enabled: true } },
      // Its logout tokens go to Latchkey on this machine, which its own outbound check would refuse.
      fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
        delete options.dispatcher;
        return fetch(url, options);
      },
    });
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && rewriteIdToken && body?.id_token) ctx.body = { ...body, id_token: await rewriteIdToken(body.id_token) };
    });
    const upstreamCallback = provider.callback();
    server.on('request', (request, response) => {
      if (!request.url?.startsWith('/app-logout')) return upstreamCallback(request, response);
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        applicationTold.push(new URLSearchParams(body).get('logout_token') ?? '');
        response.end();
      });
    });

    const rpClient = await admin.post(`/v1/applications/${applicationId}/clients`, {
      name: 'Brokered RP',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [POST_LOGOUT_URI],
      pkce: 'enforce',
    });
    rp = rpClient.body;
    config = await oidc.discovery(new URL(runtime.url), rp.clientId, undefined, oidc.ClientSecretBasic(rp.clientSecret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await runtime?.stop();
  });

  /** The client's authorization request, as openid-client builds it; answers where Latchkey sent the browser. */
  async function authorize(browser: TestBrowser, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'client-state',
      nonce,
      ...extra,
    });
    return { visit: await browser.visit(url.href), verifier, nonce };
  }

  /** Logs in at the upstream's development pages as `account` (or cancels); answers where the upstream sent the browser back. */
  async function atUpstream(location: string, account: string | 'cancel', upstream = new TestBrowser(upstreamUrl)): Promise<string> {
    let page = await upstream.visit(location);
    for (let step = 0; step < 4 && !page.location; step++) {
      const uid = /action="[^"]*\/interaction\/([^"/]+)"/.exec(page.body)?.[1];
      if (!uid) throw new Error(`no interaction form: ${page.status} ${page.body.slice(0, 300)}`);
      if (account === 'cancel') page = await upstream.visit(`${upstreamUrl}/interaction/${uid}/abort`);
      else {
        const prompt = /name="prompt" value="(\w+)"/.exec(page.body)?.[1];
        const fields: Record<string, string> = prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt: 'consent' };
        page = await upstream.visit(`${upstreamUrl}/interaction/${uid}`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(fields).toString() });
      }
    }
    if (!page.location?.startsWith(`${runtime.url}/`)) throw new Error(`the upstream did not send the browser back: ${page.location}`);
    return page.location;
  }

  /** The whole flow for one account: where the client's redirect URI was reached, and the flow's secrets. */
  async function logInAs(account: string | 'cancel', extra: Record<string, string> = {}, upstream?: TestBrowser) {
    const browser = new TestBrowser(runtime.url);
    const started = await authorize(browser, extra);
    expect(started.visit.location?.startsWith(`${upstreamUrl}/auth?`), started.visit.location).toBe(true);
    const back = await browser.visit(await atUpstream(started.visit.location!, account, upstream));
    return { ...started, back, browser };
  }

  async function tokensFor(flow: Awaited<ReturnType<typeof logInAs>>) {
    return oidc.authorizationCodeGrant(config, new URL(flow.back.location!), { pkceCodeVerifier: flow.verifier, expectedState: 'client-state', expectedNonce: flow.nonce });
  }

  /** The client's error, and the code the audit log names for it. */
  async function refusal(flow: { back: { location?: string } }) {
    const location = new URL(flow.back.location!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    const events = await admin.get(`/v1/audit-events?action=idp_connection.login_failed&limit=1`);
    return {
      error: location.searchParams.get('error'),
      description: location.searchParams.get('error_description'),
      state: location.searchParams.get('state'),
      audited: events.body.items[0]?.errorCode,
    };
  }

  it('answers the redirect URI to register upstream, never the client secret', async () => {
    expect(acme.redirectUri).toBe(`${runtime.url}/oauth/v2/idp/callback`);
    const read = await admin.get(`/v1/idp-connections/${acme.id}`);
    expect(read.body).toMatchObject({ type: 'oidc', issuer: upstreamUrl, clientId: 'latchkey-acme', scopes: 'openid email profile', redirectUri: acme.redirectUri });
    expect(JSON.stringify(read.body)).not.toContain('acme-upstream-secret');
  });

  it('refuses connections whose settings do not hold together, saying which field', async () => {
    const oidcConnection = { type: 'oidc', issuer: upstreamUrl, clientId: 'c', clientSecret: 's' };
    const refusals = [
      [{ ...oidcConnection, clientSecret: undefined }, 'clientSecret'],
      [{ ...oidcConnection, privateKeyJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }, 'clientSecret'],
      [{ ...oidcConnection, issuer: 'https://idp.example.com/?tenant=1' }, 'issuer'],
      [{ ...oidcConnection, scopes: 'email profile' }, 'scopes'],
      [{ ...oidcConnection, emailDomains: ['ACME-fed.example'] }, 'emailDomains'],
      [{ type: 'delegated', emailDomains: ['example.org'] }, 'emailDomains'],
    ] as const;
    for (const [body, field] of refusals) {
      const answer = await admin.post('/v1/idp-connections', body);
      expect([answer.status, answer.body.errors?.[0]?.path], JSON.stringify(body)).toEqual([400, field]);
    }
  });

  it('logs the end user in at the upstream, and Latchkey’s ID token carries the mapped user', async () => {
    const flow = await logInAs('alice');
    const tokens = await tokensFor(flow);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: runtime.url, aud: rp.clientId, email: 'alice@acme-fed.example', email_verified: true, name: 'Alice Upstream', nonce: flow.nonce });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)).toMatchObject({ email: 'alice@acme-fed.example', email_verified: true });
    const user = await admin.get(`/v1/users/${claims.sub}`);
    expect(user.body).toMatchObject({ idpConnectionId: acme.id, subjectId: 'alice', email: 'alice@acme-fed.example', emailVerified: true });
    // The same upstream subject is the same user the next time, with what the upstream says now.
    ACCOUNTS.alice!.email_verified = false;
    try {
      const again = await tokensFor(await logInAs('alice'));
      expect(again.claims()).toMatchObject({ sub: claims.sub, email: 'alice@acme-fed.example', email_verified: false });
      expect((await admin.get(`/v1/users/${claims.sub}`)).body.emailVerified).toBe(false);
    } finally {
      ACCOUNTS.alice!.email_verified = true;
    }
  });

  it('refuses an ID token whose nonce is not this login’s, though correctly signed', async () => {
    rewriteIdToken = async (idToken) => {
      const { iat: _iat, exp: _exp, ...claims } = decodeJwt(idToken);
      return new SignJWT({ ...claims, nonce: 'another-login' }).setProtectedHeader({ alg: 'RS256', kid: 'upstream-1' }).setIssuedAt().setExpirationTime('5m').sign(signingKey);
    };
    try {
      const flow = await logInAs('alice');
      expect(await refusal(flow)).toEqual({
        error: 'access_denied',
        description: 'the end user could not be logged in at the identity provider',
        state: 'client-state',
        audited: 'nonce_mismatch',
      });
    } finally {
      rewriteIdToken = undefined;
    }
  });

  it('refuses an ID token for several audiences without this client as its authorized party', async () => {
    rewriteIdToken = async (idToken) => {
      const { iat: _iat, exp: _exp, ...claims } = decodeJwt(idToken);
      return new SignJWT({ ...claims, aud: ['latchkey-acme', 'someone-else'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'upstream-1' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signingKey);
    };
    try {
      expect(await refusal(await logInAs('alice'))).toMatchObject({ error: 'access_denied', audited: 'azp_mismatch' });
    } finally {
      rewriteIdToken = undefined;
    }
  });

  it('refuses an authorization response that names another issuer, or none though the upstream promises one (RFC 9207)', async () => {
    for (const [iss, audited] of [
      ['https://attacker.example.com', 'issuer_mismatch'],
      [undefined, 'issuer_missing'],
    ] as const) {
      const browser = new TestBrowser(runtime.url);
      const started = await authorize(browser);
      const answer = new URL(await atUpstream(started.visit.location!, 'alice'));
      expect(answer.searchParams.get('iss')).toBe(upstreamUrl);
      if (iss) answer.searchParams.set('iss', iss);
      else answer.searchParams.delete('iss');
      expect(await refusal({ back: await browser.visit(answer.href) })).toMatchObject({ error: 'access_denied', audited });
    }
  });

  it('refuses a tampered ID token', async () => {
    rewriteIdToken = async (idToken) => {
      const [header, payload, signature] = idToken.split('.');
      const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'gina' };
      return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    };
    try {
      const flow = await logInAs('alice');
      expect(await refusal(flow)).toMatchObject({ error: 'access_denied', audited: 'id_token_invalid' });
    } finally {
      rewriteIdToken = undefined;
    }
  });

  it('ends the flow at the client with access_denied when the end user cancels upstream', async () => {
    const flow = await logInAs('cancel');
    expect(await refusal(flow)).toMatchObject({ error: 'access_denied', state: 'client-state', audited: 'upstream_access_denied' });
  });

  it('ends the flow at the client with temporarily_unavailable when the upstream cannot be reached', async () => {
    const application = (await admin.post('/v1/applications', { name: 'Unreachable upstream' })).body.id;
    // Nothing listens on port 1 of this machine.
    await admin.post('/v1/idp-connections', { type: 'oidc', issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', applicationIds: [application] });
    const client = (await admin.post(`/v1/applications/${application}/clients`, { name: 'RP', redirectUris: [REDIRECT_URI] })).body;
    const authorizeUrl = new URL(`${runtime.url}/oauth/v2/authorize`);
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'client-state',
      code_challenge: oidc.randomPKCECodeVerifier(),
      code_challenge_method: 'S256',
    }).toString();
    const back = await new TestBrowser(runtime.url).visit(authorizeUrl.href);
    expect(await refusal({ back })).toEqual({
      error: 'temporarily_unavailable',
      description: 'the identity provider could not be reached; try again later',
      state: 'client-state',
      audited: 'discovery_unreachable',
    });
  });

  it('refuses the login of a connection disabled while the end user was upstream, and new logins at once', async () => {
    const browser = new TestBrowser(runtime.url);
    const started = await authorize(browser);
    const upstreamAnswer = await atUpstream(started.visit.location!, 'alice');
    await admin.patch(`/v1/idp-connections/${acme.id}`, { enabled: false });
    try {
      const back = await browser.visit(upstreamAnswer);
      expect(await refusal({ back })).toMatchObject({ error: 'access_denied', audited: 'connection_unavailable' });
      const again = await authorize(new TestBrowser(runtime.url));
      expect(new URL(again.visit.location!).searchParams.get('error')).toBe('unauthorized_client');
    } finally {
      await admin.patch(`/v1/idp-connections/${acme.id}`, { enabled: true });
    }
  });

  it('refuses a callback without the state of a login this browser started', async () => {
    const browser = new TestBrowser(runtime.url);
    const started = await authorize(browser);
    const upstreamAnswer = await atUpstream(started.visit.location!, 'alice');
    // Another browser (a login CSRF victim) brings the attacker's upstream answer.
    const victim = await new TestBrowser(runtime.url).visit(upstreamAnswer);
    expect(victim.status).toBe(400);
    const forged = new URL(upstreamAnswer);
    forged.searchParams.set('state', `${forged.searchParams.get('state')!.slice(0, -4)}AAAA`);
    expect((await browser.visit(forged.href)).status).toBe(400);
  });

  it('logs a SAML service provider’s end user in through the upstream too (OIDC in, SAML out)', async () => {
    const created = await admin.post(`/v1/applications/${applicationId}/saml-clients`, {
      name: 'Wiki',
      acsUrl: 'https://wiki.example.com/saml/acs',
      spEntityId: 'https://wiki.example.com/saml',
      nameIdType: 'email',
    });
    const idp = samlify.IdentityProvider({ metadata: await metadataOf(created.body) });
    const sp = samlify.ServiceProvider({
      entityID: 'https://wiki.example.com/saml',
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: 'https://wiki.example.com/saml/acs' }],
      wantAssertionsSigned: true,
    });
    const browser = new TestBrowser(runtime.url);
    const { context } = sp.createLoginRequest(idp, 'redirect') as { context: string };
    const toUpstream = await browser.visit(context);
    expect(toUpstream.location?.startsWith(`${upstreamUrl}/auth?`), toUpstream.location).toBe(true);
    const page = await browser.visit(await atUpstream(toUpstream.location!, 'alice'));
    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: formFields(page.body) });
    expect(extract.nameID).toBe('alice@acme-fed.example');
    expect(extract.attributes).toMatchObject({ email: 'alice@acme-fed.example', name: 'Alice Upstream' });
  });

  /** Confirms the upstream's "sign out?" page; answers where it sent the browser. */
  async function confirmUpstreamLogout(upstream: TestBrowser, location: string) {
    const page = await upstream.visit(location);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
    const action = /action="([^"]+)"/.exec(page.body)?.[1];
    if (!xsrf || !action) throw new Error(`no logout form: ${page.status} ${page.body.slice(0, 200)}`);
    return upstream.visit(new URL(action, upstreamUrl).href, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString() });
  }

  it('signs the end user out at the upstream too when the client ends the Latchkey session', async () => {
    const upstream = new TestBrowser(upstreamUrl);
    const tokens = await tokensFor(await logInAs('alice', {}, upstream));
    const out = await new TestBrowser(runtime.url).visit(
      `${runtime.url}/oauth/v2/end_session?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' })}`,
    );
    const toUpstream = new URL(out.location!);
    expect(`${toUpstream.origin}${toUpstream.pathname}`).toBe(`${upstreamUrl}/session/end`);
    // The upstream's own ID token, opened from its seal, names the end user there.
    expect(decodeJwt(toUpstream.searchParams.get('id_token_hint')!)).toMatchObject({ iss: upstreamUrl, sub: 'alice', aud: 'latchkey-acme' });
    expect((await confirmUpstreamLogout(upstream, toUpstream.href)).location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    // The upstream session is gone: the next login there asks for credentials again.
    const again = await authorize(new TestBrowser(runtime.url));
    expect((await upstream.visit(again.visit.location!)).body).toContain('name="login"');
  });

  it('ends the Latchkey session when the upstream says by back-channel logout that its session ended', async () => {
    const upstream = new TestBrowser(upstreamUrl);
    const tokens = await tokensFor(await logInAs('alice', {}, upstream));
    const sid = tokens.claims()!.sid;
    applicationTold.length = 0;
    // The end user signs out at the upstream itself; it tells Latchkey before it answers, and Latchkey
    // tells the application before it answers the upstream.
    await confirmUpstreamLogout(upstream, `${upstreamUrl}/session/end`);
    expect(applicationTold.map((token) => decodeJwt(token))).toEqual([expect.objectContaining({ iss: runtime.url, aud: rp.clientId, sid, sub: tokens.claims()!.sub })]);
  });

  it('refuses a back-channel logout token not signed by the upstream, and one used twice', async () => {
    const claims = { sub: 'alice', jti: `logout-${Date.now()}`, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } };
    const logoutToken = (key: CryptoKey) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'upstream-1', typ: 'logout+jwt' }).setIssuer(upstreamUrl).setAudience('latchkey-acme').setIssuedAt().sign(key);
    const post = async (token: string) =>
      fetch(acme.backchannelLogoutUri, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ logout_token: token }).toString() });
    const forged = await post(await logoutToken((await generateKeyPair('RS256')).privateKey));
    expect(forged.status).toBe(400);
    expect((await forged.json()).error).toBe('invalid_request');
    const genuine = await logoutToken(signingKey);
    expect((await post(genuine)).status).toBe(200);
    expect((await post(genuine)).status).toBe(400);
  });

  describe('with a second connection to the application', () => {
    let otherApplicationConnection: string;

    beforeAll(async () => {
      const created = await admin.post('/v1/idp-connections', {
        type: 'oidc',
        name: 'Globex partners',
        issuer: upstreamUrl,
        clientId: 'latchkey-globex',
        clientSecret: 'globex-upstream-secret',
        emailDomains: ['globex-fed.example'],
        linkByVerifiedEmail: true,
        applicationIds: [applicationId],
      });
      globex = created.body;
      const otherApplication = (await admin.post('/v1/applications', { name: 'Someone else' })).body.id;
      otherApplicationConnection = (
        await admin.post('/v1/idp-connections', {
          type: 'oidc',
          name: 'Theirs',
          issuer: upstreamUrl,
          clientId: 'latchkey-acme',
          clientSecret: 'x',
          applicationIds: [otherApplication],
        })
      ).body.id;
    });

    it('asks on a Latchkey page, and routes by the email address’s domain or the name chosen', async () => {
      const browser = new TestBrowser(runtime.url);
      const { visit: page } = await authorize(browser);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Acme workforce');
      expect(page.body).toContain('Globex partners');
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.body)![1]!;
      const choice = new URL(`${runtime.url}/oauth/v2/idp/login?${new URLSearchParams({ environment: field('environment'), request: field('request') })}`);
      const byEmail = new URL(choice);
      byEmail.searchParams.set('email', 'gina@Globex-Fed.example');
      const upstream = await browser.visit(byEmail.href);
      expect(new URL(upstream.location!).searchParams.get('client_id')).toBe('latchkey-globex');
      const byName = new URL(choice);
      byName.searchParams.set('connection', acme.id);
      expect(new URL((await browser.visit(byName.href)).location!).searchParams.get('client_id')).toBe('latchkey-acme');
      // Another browser cannot choose for this login.
      expect((await new TestBrowser(runtime.url).visit(byName.href)).status).toBe(400);
    });

    it('skips the page for a login_hint in a connection’s domain, or an idp_hint of the application', async () => {
      const hinted = await authorize(new TestBrowser(runtime.url), { login_hint: 'gina@globex-fed.example' });
      expect(new URL(hinted.visit.location!).searchParams.get('client_id')).toBe('latchkey-globex');
      const named = await authorize(new TestBrowser(runtime.url), { idp_hint: acme.id });
      expect(new URL(named.visit.location!).searchParams.get('client_id')).toBe('latchkey-acme');
    });

    it('authenticates at the upstream token endpoint with private_key_jwt when the connection holds a private key', async () => {
      const keyed = await admin.post('/v1/idp-connections', {
        type: 'oidc',
        name: 'Keyed',
        issuer: upstreamUrl,
        clientId: 'latchkey-keyed',
        privateKeyJwk: { ...(await exportJWK(clientKey.privateKey)), kid: 'latchkey-1', alg: 'ES256' },
        applicationIds: [applicationId],
      });
      expect(keyed.body).toMatchObject({ clientAuthentication: 'private_key_jwt' });
      expect(JSON.stringify(keyed.body)).not.toContain('"d"');
      const claims = (await tokensFor(await logInAs('gina', { idp_hint: keyed.body.id }))).claims()!;
      expect((await admin.get(`/v1/users/${claims.sub}`)).body).toMatchObject({ idpConnectionId: keyed.body.id, subjectId: 'gina' });
    });

    it('refuses an idp_hint naming another application’s connection, at the client', async () => {
      const refused = await authorize(new TestBrowser(runtime.url), { idp_hint: otherApplicationConnection });
      const location = new URL(refused.visit.location!);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get('error')).toBe('invalid_request');
    });

    it('joins an existing user by email only when the connection links by verified email and the upstream verified it', async () => {
      const alice = (await tokensFor(await logInAs('alice', { idp_hint: acme.id }))).claims()!.sub;
      // Acme does not link: the same verified email through it would still be alice's own subject, so
      // try Globex, which links: mallory's unverified copy of alice's email gets a user of its own.
      const mallory = (await tokensFor(await logInAs('mallory', { idp_hint: globex.id }))).claims()!.sub;
      expect(mallory).not.toBe(alice);
      const linked = (await tokensFor(await logInAs('alice', { idp_hint: globex.id }))).claims()!.sub;
      expect(linked).toBe(alice);
    });
  });
});
