import * as oauth from 'oauth4webapi';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../../support/oauth4webapi';
import { acceptLogin, challengeIn, discover, logIn, LOGIN_URL, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * The same code flow with oauth4webapi as the relying party, and ID tokens signed with RS256 for a
 * client that asks for them (OpenID Connect Core §15.1 requires RS256 to be available).
 */

const REDIRECT_URI = 'https://rp.example.com/callback';

describe('other relying parties and ID token algorithms', () => {
  let runtime: Runtime;
  let world: World;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
  });
  afterAll(() => runtime?.stop());

  it('completes the code flow with oauth4webapi, which validates the ID token and the RFC 9207 iss', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const as = await discoverAuthorizationServer(runtime.url);
    const client: oauth.Client = { client_id: rp.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      client_id: rp.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }))
      url.searchParams.set(name, value);

    const browser = new TestBrowser(runtime.url);
    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(url.href)).location, LOGIN_URL, 'login_challenge'), {
      subjectId: 'erin',
      email: 'erin@example.com',
    });
    const params = oauth.validateAuthResponse(as, client, new URL(callback.location!), state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(rp.clientSecret), params, REDIRECT_URI, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({ iss: runtime.url, aud: rp.clientId, nonce, email: 'erin@example.com' });
    // The accepting application did not say the email is verified: the ID token does not either.
    expect(claims.email_verified).toBeUndefined();
    expect(result.refresh_token).toBeUndefined();

    const info = await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, result.access_token, insecure));
    expect(info.email).toBe('erin@example.com');

    // A callback whose iss is another issuer's is refused before the code is ever sent (mix-up, RFC 9207).
    const mixedUp = new URL(callback.location!);
    mixedUp.searchParams.set('iss', 'https://attacker.example.com');
    expect(() => oauth.validateAuthResponse(as, client, mixedUp, state)).toThrow(/iss/);
  });

  it('takes the authorization request as a form POST too (OpenID Connect Core §3.1.2.1)', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const browser = new TestBrowser(runtime.url);
    const started = await browser.visit(`${runtime.url}/oauth/v2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: rp.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 'posted' }).toString(),
    });
    expect(started.status).toBe(303);
    const callback = await acceptLogin(world, browser, challengeIn(started.location, LOGIN_URL, 'login_challenge'), { subjectId: 'ivan' });
    expect(new URL(callback.location!).searchParams.get('state')).toBe('posted');
  });

  it('publishes the same metadata at the RFC 8414 location, with the code flow and PKCE S256 only', async () => {
    const openid = await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json();
    const oauthMetadata = await (await fetch(`${runtime.url}/.well-known/oauth-authorization-server`)).json();
    expect(oauthMetadata).toEqual(openid);
    expect(oauthMetadata).toMatchObject({
      authorization_endpoint: `${runtime.url}/oauth/v2/authorize`,
      userinfo_endpoint: `${runtime.url}/oauth/v2/userinfo`,
      end_session_endpoint: `${runtime.url}/oauth/v2/end_session`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256', 'RS256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(oauthMetadata).not.toHaveProperty('mtls_endpoint_aliases');
  });

  it('signs ID tokens with RS256 for a client that asks for it (envelope mode publishes an RSA key)', async () => {
    const jwks = (await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as { keys: { kty: string }[] };
    expect(jwks.keys.some((key) => key.kty === 'RSA')).toBe(true);

    const rp = await world.createClient({ redirectUris: [REDIRECT_URI], idTokenSignedResponseAlg: 'RS256' });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const { tokens } = await logIn(world, config, { redirectUri: REDIRECT_URI, scope: 'openid', subject: { subjectId: 'frank' } });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(tokens.claims()!.aud).toBe(rp.clientId);
  });

  it('refuses an ID token algorithm other than ES256 and RS256 in the client settings', async () => {
    const refused = await world.admin.post(`/v1/applications/${world.applicationId}/clients`, { name: 'HMAC', idTokenSignedResponseAlg: 'HS256' });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('idTokenSignedResponseAlg');
  });
});
