import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../../support/http';
import { startTestRuntime } from '../../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../../support/oauth4webapi';
import { pregeneratedRsaKeys } from '../../support/pregenerated-rsa-keys';
import { acceptLogin, challengeIn, LOGIN_URL, setUpWorld, TestBrowser, type Runtime, type World } from './setup';

/**
 * DPoP (RFC 9449) through HTTP with oauth4webapi's `DPoP()` helper as the client: tokens of every
 * grant bound to the proof's key (`token_type` DPoP, `cnf.jkt`), a public client's refresh token
 * bound to it too, userinfo and the management API asking for the proof of a bound token, and the
 * token endpoint refusing a replayed proof, a proof for another method or URL, and a client that
 * must use DPoP sending none. Hand-made proofs (jose) are the ones a client library would not send.
 */

const REDIRECT_URI = 'com.example.dpop:/oauth/callback';

describe('DPoP (RFC 9449)', () => {
  let runtime: Runtime;
  let world: World;
  let as: oauth.AuthorizationServer;
  let subjects = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    as = await discoverAuthorizationServer(runtime.url);
  });
  afterAll(() => runtime?.stop());

  const keyPair = () => generateKeyPair('ES256', { extractable: true }) as Promise<CryptoKeyPair>;
  const thumbprint = async (pair: CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(pair.publicKey));

  /** A service account holding `permissions` on the management API, with its secret. */
  const serviceAccount = async (permissions: string[] = ['SERVICE_ACCOUNTS_READ']) => {
    const admin = api(runtime.url, await adminToken(runtime));
    const account = (await admin.post('/v1/service-accounts', { name: `dpop ${++subjects}` })).body as { id: string; clientId: string; clientSecret: string };
    await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'latchkey', permissions }] });
    return account;
  };

  const clientCredentials = async (account: { clientId: string; clientSecret: string }, pair?: CryptoKeyPair) => {
    const client: oauth.Client = { client_id: account.clientId };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(account.clientSecret),
      {},
      {
        ...insecure,
        ...(pair ? { DPoP: oauth.DPoP(client, pair) } : {}),
      },
    );
    return oauth.processClientCredentialsResponse(as, client, response);
  };

  /** A hand-made proof (RFC 9449 §4.2), for what no client library sends. */
  const handMadeProof = async (pair: CryptoKeyPair, claims: Record<string, unknown> = {}) =>
    new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: `${runtime.url}/oauth/v2/token`, iat: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(pair.publicKey) })
      .sign(pair.privateKey);
  const tokenRequest = (account: { clientId: string; clientSecret: string }, proof?: string) =>
    fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(proof ? { dpop: proof } : {}),
      },
      body: 'grant_type=client_credentials',
    });

  describe('client credentials and the management API', () => {
    it('binds a service-account token to the proof key, and the management API asks for a proof of that key', async () => {
      const account = await serviceAccount();
      const pair = await keyPair();
      const tokens = await clientCredentials(account, pair);
      expect(tokens.token_type).toBe('dpop');
      const claims = decodeJwt(tokens.access_token);
      expect(claims.cnf).toEqual({ jkt: await thumbprint(pair) });
      expect(as.dpop_signing_alg_values_supported).toContain('ES256');

      const client: oauth.Client = { client_id: account.clientId };
      const url = new URL(`${runtime.url}/v1/service-accounts/${account.id}`);
      const withProof = await oauth.protectedResourceRequest(tokens.access_token, 'GET', url, new Headers(), null, { ...insecure, DPoP: oauth.DPoP(client, pair) });
      expect(withProof.status).toBe(200);

      // The same token as a bearer token, or with a proof of another key (a thief's), is refused.
      const asBearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
      const stolen = oauth.protectedResourceRequest(tokens.access_token, 'GET', url, new Headers(), null, { ...insecure, DPoP: oauth.DPoP(client, await keyPair()) });
      await expect(stolen).rejects.toMatchObject({ status: 401, cause: [{ scheme: 'dpop', parameters: { error: 'invalid_dpop_proof' } }] });
    });

    it('reports the binding in introspection', async () => {
      const account = await serviceAccount();
      const pair = await keyPair();
      const tokens = await clientCredentials(account, pair);
      const client: oauth.Client = { client_id: runtime.devAdmin.clientId };
      const answer = await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(runtime.devAdmin.clientSecret), tokens.access_token, insecure),
      );
      expect(answer).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await thumbprint(pair) } });
    });

    it('accepts a proof signed with every algorithm discovery advertises, and binds the token to its key', async () => {
      const account = await serviceAccount();
      const rsaPrivate = pregeneratedRsaKeys();
      const rsa = { privateKey: rsaPrivate, publicKey: createPublicKey(rsaPrivate) };
      const keyFor = (alg: string) =>
        alg.startsWith('RS') || alg.startsWith('PS')
          ? rsa
          : alg.startsWith('ES')
            ? generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg]! })
            : generateKeyPairSync('ed25519');
      expect(as.dpop_signing_alg_values_supported?.length).toBeGreaterThan(0);
      for (const alg of as.dpop_signing_alg_values_supported!) {
        const pair = keyFor(alg);
        const jwk = await exportJWK(pair.publicKey);
        const proof = await new SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: `${runtime.url}/oauth/v2/token`, iat: Math.floor(Date.now() / 1000) })
          .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
          .sign(pair.privateKey);
        const answer = await tokenRequest(account, proof);
        expect({ alg, status: answer.status }).toEqual({ alg, status: 200 });
        const body = (await answer.json()) as { token_type: string; access_token: string };
        expect(body.token_type).toBe('DPoP');
        expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: await calculateJwkThumbprint(jwk) });
      }
    });

    it('keeps giving bearer tokens to a request without a proof', async () => {
      const tokens = await clientCredentials(await serviceAccount());
      expect(tokens.token_type).toBe('bearer');
      expect(decodeJwt(tokens.access_token).cnf).toBeUndefined();
    });

    it('refuses a replayed proof, and one for another method or URL', async () => {
      const account = await serviceAccount();
      const pair = await keyPair();
      const proof = await handMadeProof(pair);
      expect((await tokenRequest(account, proof)).status).toBe(200);
      const replayed = await tokenRequest(account, proof);
      expect(replayed.status).toBe(400);
      expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringContaining('used before') });

      for (const [claims, fragment] of [
        [{ htm: 'GET' }, '"htm"'],
        [{ htu: `${runtime.url}/oauth/v2/introspect` }, '"htu"'],
        [{ iat: Math.floor(Date.now() / 1000) - 3600 }, '"iat"'],
      ] as const) {
        const answer = await tokenRequest(account, await handMadeProof(pair, claims));
        expect(answer.status).toBe(400);
        expect(await answer.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringContaining(fragment) });
      }
    });

    it('refuses a client that requires DPoP when it sends no proof, and binds its tokens when it does', async () => {
      const client = await world.createClient({ requireDpop: true, scopes: ['orders:read'] });
      expect((await world.admin.get(`/v1/applications/${world.applicationId}/clients/${client.id}`)).body.requireDpop).toBe(true);
      const without = await tokenRequest(client);
      expect(without.status).toBe(400);
      expect(await without.json()).toMatchObject({ error: 'invalid_dpop_proof' });
      const pair = await keyPair();
      const tokens = await clientCredentials(client, pair);
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: await thumbprint(pair) });
    });

    it('refuses a service account that requires DPoP when it sends no proof, until the setting is turned off', async () => {
      const account = await serviceAccount();
      const admin = api(runtime.url, await adminToken(runtime));
      expect((await admin.patch(`/v1/service-accounts/${account.id}`, { requireDpop: true })).body).toMatchObject({ requireDpop: true });
      const without = await tokenRequest(account);
      expect(without.status).toBe(400);
      expect(await without.json()).toMatchObject({ error: 'invalid_dpop_proof' });
      expect((await clientCredentials(account, await keyPair())).token_type).toBe('dpop');

      await admin.patch(`/v1/service-accounts/${account.id}`, { requireDpop: false });
      expect((await clientCredentials(account)).token_type).toBe('bearer');
      const created = await admin.post('/v1/service-accounts', { name: `dpop only ${++subjects}`, requireDpop: true });
      expect((await tokenRequest(created.body)).status).toBe(400);
    });
  });

  describe("a public client's code flow", () => {
    /** A native public client logs a new end user in with PKCE and redeems the code with a DPoP proof. */
    const logInWithDpop = async (pair: CryptoKeyPair) => {
      const app = await world.createClient({ clientType: 'native', redirectUris: [REDIRECT_URI], pkce: 'enforce_instead_of_secret' });
      const client: oauth.Client = { client_id: app.clientId, token_endpoint_auth_method: 'none' };
      const verifier = oauth.generateRandomCodeVerifier();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: app.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid offline_access',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const browser = new TestBrowser(runtime.url);
      const challenge = challengeIn((await browser.visit(url.href)).location, LOGIN_URL, 'login_challenge');
      const callback = await acceptLogin(world, browser, challenge, { subjectId: `dpop-user-${++subjects}` });
      const parameters = oauth.validateAuthResponse(as, client, new URL(callback.location!));
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, REDIRECT_URI, verifier, { ...insecure, DPoP: oauth.DPoP(client, pair) });
      return { client, tokens: await oauth.processAuthorizationCodeResponse(as, client, response) };
    };
    const refresh = async (client: oauth.Client, refreshToken: string, pair?: CryptoKeyPair) =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, { ...insecure, ...(pair ? { DPoP: oauth.DPoP(client, pair) } : {}) }),
      );

    it('binds the access and refresh tokens to the key: a refresh needs a proof of that same key', async () => {
      const pair = await keyPair();
      const { client, tokens } = await logInWithDpop(pair);
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: await thumbprint(pair) });

      // Another key, or none at all, cannot use the refresh token; it stays usable by its holder.
      await expect(refresh(client, tokens.refresh_token!, await keyPair())).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(refresh(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const refreshed = await refresh(client, tokens.refresh_token!, pair);
      expect(refreshed.token_type).toBe('dpop');
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: await thumbprint(pair) });
      // The rotated refresh token is bound too.
      await expect(refresh(client, refreshed.refresh_token!, await keyPair())).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('answers userinfo for a bound token with its proof, and refuses it without one', async () => {
      const pair = await keyPair();
      const { client, tokens } = await logInWithDpop(pair);
      const sub = decodeJwt(tokens.access_token).sub!;
      const answer = await oauth.userInfoRequest(as, client, tokens.access_token, { ...insecure, DPoP: oauth.DPoP(client, pair) });
      expect(await oauth.processUserInfoResponse(as, client, sub, answer)).toMatchObject({ sub });

      const asBearer = await fetch(as.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error=/);
      const noProof = await fetch(as.userinfo_endpoint!, { headers: { authorization: `DPoP ${tokens.access_token}` } });
      expect(noProof.status).toBe(401);
      expect(noProof.headers.get('www-authenticate')).toBe('DPoP error="invalid_dpop_proof"');
    });
  });
});
