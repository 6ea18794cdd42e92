import * as oauth from 'oauth4webapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../../support/oauth4webapi';
import { acceptLogin, challengeIn, LOGIN_URL, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * Pushed authorization requests (RFC 9126) with oauth4webapi as the client: the request is pushed
 * over the back channel, the browser carries only `client_id` and `request_uri`, which works once,
 * for its own client, for a minute; `requirePar` makes it the only way in.
 */

const REDIRECT_URI = 'https://par.example.com/cb';

describe('pushed authorization requests with oauth4webapi', () => {
  let runtime: Runtime;
  let world: World;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    as = await discoverAuthorizationServer(runtime.url);
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  /** Pushes a code request with PKCE and answers the request_uri, the verifier and the state. */
  async function push(client: oauth.Client, auth: oauth.ClientAuth, extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    const response = await oauth.pushedAuthorizationRequest(as, client, auth, params, insecure);
    const { request_uri: requestUri, expires_in: expiresIn } = await oauth.processPushedAuthorizationResponse(as, client, response);
    return { requestUri, expiresIn, verifier, state };
  }

  const authorizeUrl = (clientId: string, requestUri: string, extra: Record<string, string> = {}) =>
    `${as.authorization_endpoint}?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`;

  it('logs in with a pushed request: the pushed parameters count, not what the browser adds; the request_uri works once and is stored hashed', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI, 'https://par.example.com/other'] });
    const client: oauth.Client = { client_id: rp.clientId };
    expect(as).toMatchObject({ pushed_authorization_request_endpoint: `${runtime.url}/oauth/v2/par`, require_pushed_authorization_requests: false });
    const pushed = await push(client, oauth.ClientSecretBasic(rp.clientSecret));
    expect(pushed.requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(pushed.expiresIn).toBe(60);

    const browser = new TestBrowser(runtime.url);
    // Parameters outside the pushed request are ignored (RFC 9126 §4): neither another redirect URI nor another state.
    const url = authorizeUrl(rp.clientId, pushed.requestUri, { redirect_uri: 'https://par.example.com/other', state: 'from-the-browser' });
    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(url)).location, LOGIN_URL, 'login_challenge'), { subjectId: 'pat' });
    expect(callback.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?`));
    const params = oauth.validateAuthResponse(as, client, new URL(callback.location!), pushed.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(rp.clientSecret), params, REDIRECT_URI, pushed.verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(result)).toMatchObject({ aud: rp.clientId });

    // Single use: the same request_uri again gets an error page, never a redirect.
    const again = await browser.visit(authorizeUrl(rp.clientId, pushed.requestUri));
    expect(again.status).toBe(400);
    expect(again.location).toBeUndefined();
    expect(again.body).toContain('request_uri is unknown, expired or already used');

    const { Items = [] } = await DynamoDBDocumentClient.from(new DynamoDBClient({})).send(new ScanCommand({ TableName: runtime.resources.tableName }));
    const table = JSON.stringify(Items);
    expect(table).not.toContain(pushed.requestUri.split(':').at(-1));
    expect(table).not.toContain(rp.clientSecret);
  });

  it('refuses a request_uri after its minute, or presented by another client (which leaves it to its own client)', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const other = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const client: oauth.Client = { client_id: rp.clientId };
    const browser = new TestBrowser(runtime.url);

    const stolen = await push(client, oauth.ClientSecretBasic(rp.clientSecret));
    const elsewhere = await browser.visit(authorizeUrl(other.clientId, stolen.requestUri));
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.location).toBeUndefined();
    challengeIn((await browser.visit(authorizeUrl(rp.clientId, stolen.requestUri))).location, LOGIN_URL, 'login_challenge');

    // Two browsers racing with the same request_uri: the conditional write lets exactly one in.
    const raced = await push(client, oauth.ClientSecretBasic(rp.clientSecret));
    const answers = await Promise.all([new TestBrowser(runtime.url), new TestBrowser(runtime.url)].map((racer) => racer.visit(authorizeUrl(rp.clientId, raced.requestUri))));
    expect(answers.map((answer) => (answer.location?.startsWith(`${LOGIN_URL}?`) ? 'login' : answer.status)).sort()).toEqual([400, 'login']);

    const late = await push(client, oauth.ClientSecretBasic(rp.clientSecret));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    const expired = await browser.visit(authorizeUrl(rp.clientId, late.requestUri));
    expect(expired.status).toBe(400);
    expect(expired.body).toContain('request_uri is unknown, expired or already used');
  });

  it('checks the pushed parameters at push time and answers the client, not the browser', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce' });
    const client: oauth.Client = { client_id: rp.clientId };
    const auth = oauth.ClientSecretBasic(rp.clientSecret);
    const refusal = async (params: Record<string, string>, clientAuth = auth) => {
      const response = await oauth.pushedAuthorizationRequest(as, client, clientAuth, new URLSearchParams(params), insecure);
      return { status: response.status, body: await response.json() };
    };
    expect(await refusal({ response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' })).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'this client must use PKCE: send code_challenge with code_challenge_method S256' },
    });
    expect(await refusal({ response_type: 'code', redirect_uri: 'https://evil.example.com/cb' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await refusal({ response_type: 'token', redirect_uri: REDIRECT_URI })).toMatchObject({ status: 400, body: { error: 'unsupported_response_type' } });
    expect(await refusal({ response_type: 'code', redirect_uri: REDIRECT_URI, request_uri: 'urn:ietf:params:oauth:request_uri:x' })).toMatchObject({
      status: 400,
      body: { error_description: 'request_uri must not be pushed' },
    });
    expect(await refusal({ response_type: 'code', redirect_uri: REDIRECT_URI }, oauth.ClientSecretBasic('lks_wrong'))).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    const mismatch = await fetch(as.pushed_authorization_request_endpoint!, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: world.runtime.devAdmin.clientId, response_type: 'code', redirect_uri: REDIRECT_URI }),
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'invalid_request', error_description: 'client_id does not match the Authorization header' });
  });

  it('makes pushing the only way in for a client with requirePar, public native clients included', async () => {
    const app = await world.createClient({ clientType: 'native', redirectUris: ['http://127.0.0.1/cb'], pkce: 'enforce_instead_of_secret', requirePar: true });
    expect(app).toMatchObject({ requirePar: true });
    const client: oauth.Client = { client_id: app.clientId, token_endpoint_auth_method: 'none' };
    const browser = new TestBrowser(runtime.url);
    const direct = `${as.authorization_endpoint}?${new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:8765/cb',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    })}`;
    const refused = await browser.visit(direct);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('must push its authorization requests');

    const verifier = oauth.generateRandomCodeVerifier();
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:8765/cb',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const response = await oauth.pushedAuthorizationRequest(as, client, oauth.None(), params, insecure);
    const { request_uri: requestUri } = await oauth.processPushedAuthorizationResponse(as, client, response);
    const callback = await acceptLogin(world, browser, challengeIn((await browser.visit(authorizeUrl(app.clientId, requestUri))).location, LOGIN_URL, 'login_challenge'), {
      subjectId: 'quinn',
    });
    const answer = oauth.validateAuthResponse(as, client, new URL(callback.location!), oauth.skipStateCheck);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), answer, 'http://127.0.0.1:8765/cb', verifier, insecure),
    );
    expect(tokens.access_token).toEqual(expect.any(String));
  });
});
