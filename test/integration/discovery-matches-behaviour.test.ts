import { createPublicKey, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_TYPES } from '../../src/domain/token-endpoint';
import { pregeneratedRsaKeys } from '../support/pregenerated-rsa-keys';
import { startTestRuntime } from '../support/local-runtime';
import { startLogoutReceiver } from '../support/logout-receiver';
import { challengeIn, discover, logIn, LOGIN_URL, oidc, setUpWorld, TestBrowser, type Runtime, type World } from './interactive-login/setup';

/**
 * Discovery advertises exactly what works. Every value of every `…_supported` list and every
 * endpoint in the metadata is tried through HTTP here: each advertised grant type, client
 * authentication method (at each endpoint), signing algorithm, response type, PKCE method, prompt,
 * scope, the pushed authorization request endpoint, back-channel logout and DPoP algorithms, and a
 * value next to them that is not advertised is refused. The lists are read from discovery and the
 * grant map, not written here, so a grant, method or algorithm added later is tried too; one this
 * file cannot try yet fails the test until a probe is added.
 */

const REDIRECT_URI = 'https://discovery.example.com/cb';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

type Metadata = Record<string, unknown> & Record<`${string}_supported`, string[] | boolean | undefined>;

/** Advertised values tried by another test file, because they need what the shared runtime lacks (its mutual-TLS listener). */
const TRIED_ELSEWHERE: Readonly<Record<string, string>> = {
  self_signed_tls_client_auth: 'test/integration/mtls-clients.test.ts',
  tls_client_certificate_bound_access_tokens: 'test/integration/mtls-clients.test.ts',
  mtls_endpoint_aliases: 'test/integration/mtls-clients.test.ts',
};

describe('discovery matches behaviour', () => {
  let runtime: Runtime;
  let world: World;
  let metadata: Metadata;
  /** Keys this file has checked; every advertised member must end up here. */
  const checked = new Set<string>(['issuer', 'jwks_uri', 'subject_types_supported', 'claims_supported', 'authorization_response_iss_parameter_supported']);

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as Metadata;
  });
  afterAll(() => runtime?.stop());

  const list = (key: string): string[] => {
    checked.add(key);
    const value = metadata[key];
    expect(Array.isArray(value), key).toBe(true);
    return value as string[];
  };
  const post = async (endpoint: string, fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const response = await fetch(endpoint, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(fields) });
    const text = await response.text();
    // Revocation answers 200 with an empty body (RFC 7009 §2.2).
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: response.headers };
  };
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

  it('advertises exactly the grant types of the token endpoint’s grant map, and each is served', async () => {
    const advertised = list('grant_types_supported');
    expect([...advertised].sort()).toEqual([...GRANT_TYPES].sort());
    checked.add('token_endpoint');
    for (const grantType of advertised) {
      const answer = await post(metadata.token_endpoint as string, { grant_type: grantType, client_id: 'cl_x@env_x' });
      expect(answer.body.error, grantType).not.toBe('unsupported_grant_type');
    }
    for (const grantType of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code'].filter((type) => !advertised.includes(type))) {
      expect((await post(metadata.token_endpoint as string, { grant_type: grantType })).body.error, grantType).toBe('unsupported_grant_type');
    }
    // The three grants every deployment has, each to a real token.
    const { clientId, clientSecret } = runtime.devAdmin;
    expect((await post(metadata.token_endpoint as string, { grant_type: 'client_credentials' }, basic(clientId, clientSecret))).status).toBe(200);
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const config = await discover(runtime, rp.clientId, rp.clientSecret);
    const { tokens } = await logIn(world, config, { redirectUri: REDIRECT_URI });
    expect((await oidc.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
  });

  it('authenticates clients by every advertised method at each endpoint, and by no other', async () => {
    const keys = await assertionKeys(list('token_endpoint_auth_signing_alg_values_supported'));
    const byMethod = {
      client_secret_basic: await world.createClient({ authMethod: 'client_secret_basic' }),
      client_secret_post: await world.createClient({ authMethod: 'client_secret_post' }),
      private_key_jwt: await world.createClient({ authMethod: 'private_key_jwt', jwks: { keys: [...new Map(keys.map(({ jwk }) => [jwk.kid, jwk])).values()] } }),
      none: await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce_instead_of_secret' }),
    } as const;
    const endpoints = {
      token: { metadata: 'token_endpoint', fields: { grant_type: 'client_credentials' } },
      introspection: { metadata: 'introspection_endpoint', fields: { token: 'not-a-token' } },
      revocation: { metadata: 'revocation_endpoint', fields: { token: 'not-a-token' } },
    } as const;
    const assertion = (clientId: string, audience: string, alg: string, key: CryptoKey | ReturnType<typeof createPublicKey>, kid: string) =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg, kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setExpirationTime('1m')
        .sign(key as CryptoKey);

    /** Authenticates `method`'s client at `endpoint`, with each advertised assertion algorithm for private_key_jwt. */
    const tryMethod = async (method: string, endpoint: string, fields: Record<string, string>) => {
      const answers: { status: number; body: Record<string, unknown> }[] = [];
      if (method === 'client_secret_basic') answers.push(await post(endpoint, fields, basic(byMethod[method].clientId, byMethod[method].clientSecret)));
      else if (method === 'client_secret_post')
        answers.push(await post(endpoint, { ...fields, client_id: byMethod[method].clientId, client_secret: byMethod[method].clientSecret }));
      else if (method === 'private_key_jwt') {
        for (const { alg, privateKey, jwk } of keys) {
          const signed = await assertion(byMethod[method].clientId, `${runtime.url}/oauth/v2/token`, alg, privateKey, jwk.kid as string);
          answers.push(await post(endpoint, { ...fields, client_assertion_type: ASSERTION_TYPE, client_assertion: signed }));
        }
      } else if (method === 'none') {
        // A public client may ask only for end-user grants: an unknown code proves it got past client authentication.
        const asked =
          endpoint === metadata.token_endpoint ? { grant_type: 'authorization_code', code: 'unknown', redirect_uri: REDIRECT_URI, code_verifier: 'v'.repeat(43) } : fields;
        answers.push(await post(endpoint, { ...asked, client_id: byMethod[method].clientId }));
      } else throw new Error(`no probe for the client authentication method ${method}: add one here`);
      return answers;
    };

    for (const [name, endpoint] of Object.entries(endpoints)) {
      const advertised = list(`${name}_endpoint_auth_methods_supported`);
      checked.add(endpoint.metadata);
      const url = metadata[endpoint.metadata] as string;
      for (const method of advertised) {
        if (TRIED_ELSEWHERE[method]) continue;
        for (const answer of await tryMethod(method, url, endpoint.fields)) {
          expect(answer.status === 200 || answer.body.error === 'invalid_grant', `${method} at ${name}: ${JSON.stringify(answer.body)}`).toBe(true);
        }
      }
      for (const method of Object.keys(byMethod).filter((candidate) => !advertised.includes(candidate))) {
        for (const answer of await tryMethod(method, url, endpoint.fields)) expect(answer.status, `${method} at ${name}`).toBe(401);
      }
    }
  });

  it('signs ID tokens with every advertised algorithm', async () => {
    for (const alg of list('id_token_signing_alg_values_supported')) {
      const rp = await world.createClient({ redirectUris: [REDIRECT_URI], idTokenSignedResponseAlg: alg });
      const { tokens } = await logIn(world, await discover(runtime, rp.clientId, rp.clientSecret), { redirectUri: REDIRECT_URI, scope: 'openid' });
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg);
    }
  });

  it('starts a login with every advertised response type, response mode, PKCE method, prompt and scope, and refuses the others', async () => {
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce' });
    checked.add('authorization_endpoint');
    const start = async (params: Record<string, string>) => {
      const url = `${metadata.authorization_endpoint}?${new URLSearchParams({
        client_id: rp.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        code_challenge: 'c'.repeat(43),
        code_challenge_method: 'S256',
        ...params,
      })}`;
      const answer = await new TestBrowser(runtime.url).visit(url);
      return answer.location ? new URL(answer.location) : undefined;
    };
    const toLoginPage = (location: URL | undefined) => location?.href.startsWith(`${LOGIN_URL}?`) === true;
    const errorOf = (location: URL | undefined) => location?.searchParams.get('error');

    for (const responseType of list('response_types_supported')) expect(toLoginPage(await start({ response_type: responseType })), responseType).toBe(true);
    expect(errorOf(await start({ response_type: 'token' }))).toBe('unsupported_response_type');
    for (const mode of list('response_modes_supported')) expect(toLoginPage(await start({ response_mode: mode })), mode).toBe(true);
    expect(errorOf(await start({ response_mode: 'fragment' }))).toBe('invalid_request');
    for (const method of list('code_challenge_methods_supported')) expect(toLoginPage(await start({ code_challenge_method: method })), method).toBe(true);
    expect(errorOf(await start({ code_challenge_method: 'plain' }))).toBe('invalid_request');
    for (const prompt of list('prompt_values_supported').filter((value) => value !== 'none')) expect(toLoginPage(await start({ prompt })), prompt).toBe(true);
    // prompt=none answers at once: no session here, so login_required rather than an unsupported prompt.
    expect(errorOf(await start({ prompt: 'none' }))).toBe('login_required');
    expect(toLoginPage(await start({ scope: list('scopes_supported').join(' ') }))).toBe(true);
    // Request objects are not supported, as advertised.
    for (const key of ['request_parameter_supported', 'request_uri_parameter_supported', 'claims_parameter_supported']) {
      checked.add(key);
      expect(metadata[key], key).toBe(false);
    }
    expect(errorOf(await start({ request: 'eyJhbGciOiJub25lIn0.e30.' }))).toBe('request_not_supported');
    const foreignRequestUri = await new TestBrowser(runtime.url).visit(
      `${metadata.authorization_endpoint}?${new URLSearchParams({ client_id: rp.clientId, request_uri: 'https://attacker.example.com/request.jwt' })}`,
    );
    expect(foreignRequestUri.status).toBe(400);
  });

  it('takes pushed authorization requests at the advertised endpoint, optional unless a client requires them', async () => {
    checked.add('pushed_authorization_request_endpoint');
    checked.add('require_pushed_authorization_requests');
    expect(metadata.require_pushed_authorization_requests).toBe(false);
    const rp = await world.createClient({ redirectUris: [REDIRECT_URI] });
    const pushed = await post(
      metadata.pushed_authorization_request_endpoint as string,
      { response_type: 'code', redirect_uri: REDIRECT_URI, code_challenge: 'c'.repeat(43), code_challenge_method: 'S256' },
      basic(rp.clientId, rp.clientSecret),
    );
    expect(pushed.status).toBe(201);
    const browser = new TestBrowser(runtime.url);
    const url = `${metadata.authorization_endpoint}?${new URLSearchParams({ client_id: rp.clientId, request_uri: pushed.body.request_uri as string })}`;
    challengeIn((await browser.visit(url)).location, LOGIN_URL, 'login_challenge');
  });

  it('tells a client of a logout at its back-channel logout URI, with sid, and ends sessions at the advertised endpoint', async () => {
    checked.add('backchannel_logout_supported');
    checked.add('backchannel_logout_session_supported');
    checked.add('end_session_endpoint');
    checked.add('userinfo_endpoint');
    const received: string[] = [];
    const receiver = await startLogoutReceiver((token) => received.push(token));
    try {
      const backchannelLogoutUri = `${receiver.url}/logout`;
      const rp = await world.createClient({ redirectUris: [REDIRECT_URI], backchannelLogoutUri, backchannelLogoutSessionRequired: true });
      const config = await discover(runtime, rp.clientId, rp.clientSecret);
      expect(config.serverMetadata().end_session_endpoint).toBe(metadata.end_session_endpoint);
      const { tokens, browser } = await logIn(world, config, { redirectUri: REDIRECT_URI, scope: 'openid' });
      expect(await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ sub: tokens.claims()!.sub });
      await browser.visit(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
      const supported = metadata.backchannel_logout_supported === true && metadata.backchannel_logout_session_supported === true;
      expect(received.map((token) => decodeJwt(token).sid)).toEqual(supported ? [tokens.claims()!.sid] : []);
    } finally {
      receiver.server.close();
    }
  });

  it('binds tokens to every advertised DPoP algorithm, when DPoP is advertised', async () => {
    const algorithms = metadata.dpop_signing_alg_values_supported === undefined ? [] : list('dpop_signing_alg_values_supported');
    const { clientId, clientSecret } = runtime.devAdmin;
    for (const { alg, privateKey, publicJwk } of await proofKeys(algorithms)) {
      const proof = (nonce?: string) =>
        new SignJWT({ htm: 'POST', htu: metadata.token_endpoint as string, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
          .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk })
          .setIssuedAt()
          .sign(privateKey as CryptoKey);
      let answer = await post(metadata.token_endpoint as string, { grant_type: 'client_credentials' }, { ...basic(clientId, clientSecret), dpop: await proof() });
      const nonce = answer.headers.get('dpop-nonce');
      if (answer.body.error === 'use_dpop_nonce' && nonce) {
        answer = await post(metadata.token_endpoint as string, { grant_type: 'client_credentials' }, { ...basic(clientId, clientSecret), dpop: await proof(nonce) });
      }
      expect(answer.status, alg).toBe(200);
      expect(String(answer.body.token_type).toLowerCase(), alg).toBe('dpop');
      const claims = decodeJwt(String(answer.body.access_token));
      expect(claims.cnf, alg).toEqual({ jkt: await calculateJwkThumbprint(publicJwk) });
    }
  });

  it('advertises nothing this file has not tried', () => {
    const advertised = Object.keys(metadata).filter((key) => !TRIED_ELSEWHERE[key]);
    expect(advertised.filter((key) => !checked.has(key))).toEqual([]);
    for (const value of [...(metadata.token_endpoint_auth_methods_supported as string[])]) {
      if (TRIED_ELSEWHERE[value]) expect(TRIED_ELSEWHERE[value]).toMatch(/^test\//);
    }
  });
});

interface AssertionKey {
  readonly alg: string;
  readonly privateKey: CryptoKey | ReturnType<typeof createPublicKey>;
  readonly jwk: JWK;
}

/** One registered key per advertised assertion algorithm (one RSA key serves the RS and PS families). */
async function assertionKeys(algorithms: readonly string[]): Promise<AssertionKey[]> {
  const rsa = pregeneratedRsaKeys();
  const rsaJwk = { ...(await exportJWK(createPublicKey(rsa))), kid: 'rsa', use: 'sig' };
  const keys: AssertionKey[] = [];
  for (const alg of algorithms) {
    if (/^(RS|PS)/.test(alg)) {
      keys.push({ alg, privateKey: rsa, jwk: rsaJwk });
      continue;
    }
    const pair = await generateKeyPair(alg, { extractable: true });
    keys.push({ alg, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: alg, alg, use: 'sig' } });
  }
  // The RSA key once, however many RSA algorithms are advertised.
  const registered = new Map(keys.map(({ jwk }) => [jwk.kid, jwk]));
  return keys.map((key) => ({ ...key, jwk: registered.get(key.jwk.kid)! }));
}

/** A proof key per advertised DPoP algorithm. */
async function proofKeys(algorithms: readonly string[]) {
  const rsa = pregeneratedRsaKeys();
  return Promise.all(
    algorithms.map(async (alg) => {
      if (/^(RS|PS)/.test(alg)) return { alg, privateKey: rsa, publicJwk: await exportJWK(createPublicKey(rsa)) };
      const pair = await generateKeyPair(alg, { extractable: true });
      return { alg, privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
    }),
  );
}
