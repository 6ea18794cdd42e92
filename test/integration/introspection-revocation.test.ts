import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { createGuard, GuardError } from '../../src/guard';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { discoverAuthorizationServer } from '../support/oauth4webapi';

/** Opaque access tokens, RFC 7662 introspection and RFC 7009 revocation, over HTTP. */
describe('introspection and revocation over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    expect((await admin.post('/v1/resources', { key: 'orders', permissions: ['orders.read', 'orders.write'] })).status).toBe(201);
  });
  afterAll(() => runtime?.stop());

  const basic = ({ clientId, clientSecret }: Credentials) => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

  /** POSTs a form to an OAuth endpoint, authenticated with HTTP Basic unless `credentials` is null. */
  const post = async (path: string, form: Record<string, string>, credentials: Credentials | null = runtime.devAdmin) => {
    const response = await fetch(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(credentials ? { authorization: basic(credentials) } : {}) },
      body: new URLSearchParams(form),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
  };
  const introspect = (token: string, credentials?: Credentials | null) => post('/oauth/v2/introspect', { token }, credentials);
  const revoke = (token: string, credentials?: Credentials | null, extra: Record<string, string> = {}) => post('/oauth/v2/revoke', { token, ...extra }, credentials);

  const createAccount = (body: Record<string, unknown>, grants = [{ resource: 'orders', permissions: ['orders.read'] }]) =>
    createServiceAccount<Credentials & { id: string; tenantId: string; environmentId: string }>(admin, body, grants);

  const tokenFor = async (credentials: Credentials) => {
    const answer = await requestToken(runtime.url, credentials);
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  };

  it('lists both endpoints and their client authentication methods in discovery', async () => {
    const metadata = (await (await fetch(`${runtime.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      introspection_endpoint: `${runtime.url}/oauth/v2/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth'],
      revocation_endpoint: `${runtime.url}/oauth/v2/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth', 'none'],
      token_endpoint: `${runtime.url}/oauth/v2/token`,
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ],
    });
  });

  it('issues an opaque token to an opaque account, introspects it with its claims, and revokes it', async () => {
    const account = await createAccount({ name: 'legacy', accessTokenType: 'opaque' });
    const issued = await requestToken(runtime.url, account);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const token = issued.body.access_token as string;
    expect(token).toMatch(/^lko_/);
    expect(token.split('.')).toHaveLength(1);

    const active = await introspect(token);
    expect(active.status).toBe(200);
    expect(active.headers.get('cache-control')).toBe('no-store');
    const now = Math.floor(Date.now() / 1000);
    expect(active.body).toMatchObject({
      active: true,
      token_type: 'Bearer',
      tokenKind: 'opaque',
      iss: runtime.url,
      sub: account.id,
      client_id: account.clientId,
      aud: `urn:latchkey:${account.environmentId}:orders`,
      jti: expect.stringMatching(/^tok_/),
      subjectType: 'ServiceAccount',
      tenantId: account.tenantId,
      environmentId: account.environmentId,
      permissions: { orders: ['orders.read'] },
    });
    expect(active.body.exp - active.body.iat).toBe(3600);
    expect(Math.abs(active.body.iat - now)).toBeLessThan(10);

    // Only usable through introspection: not a bearer token for the management API.
    expect((await api(runtime.url, token).get('/v1/service-accounts')).status).toBe(401);

    // The account revokes its own token, authenticating in the form.
    const revoked = await post('/oauth/v2/revoke', { token, client_id: account.clientId, client_secret: account.clientSecret }, null);
    expect(revoked.status).toBe(200);
    expect(revoked.text).toBe('');
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('honours the opaque type when an administrator mints a token too', async () => {
    const account = await createAccount({ name: 'minted', accessTokenType: 'opaque' });
    const minted = await admin.post(`/v1/service-accounts/${account.id}/access-tokens`, {});
    expect(minted.status).toBe(201);
    expect(minted.body.accessToken).toMatch(/^lko_/);
    expect((await introspect(minted.body.accessToken)).body).toMatchObject({ active: true, sub: account.id });
  });

  it('revokes a JWT by its jti: it introspects inactive and the management API refuses it', async () => {
    const jwt = await adminToken(runtime);
    const active = await introspect(jwt);
    expect(active.body).toMatchObject({ active: true, tokenKind: 'jwt', token_type: 'Bearer', sub: runtime.devAdmin.clientId.split('@')[0] });
    expect((await api(runtime.url, jwt).get('/v1/service-accounts')).status).toBe(200);

    expect((await revoke(jwt, runtime.devAdmin, { token_type_hint: 'access_token' })).status).toBe(200);
    expect((await introspect(jwt)).body).toEqual({ active: false });
    const refused = await api(runtime.url, jwt).get('/v1/service-accounts');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'invalid_token', detail: 'this token has been revoked' });
    // Revoking again is as good as the first time.
    expect((await revoke(jwt)).status).toBe(200);
    // Other tokens of the same account are untouched.
    expect((await introspect(await adminToken(runtime))).body.active).toBe(true);
  });

  it('introspects and revokes a PAT', async () => {
    const account = await createAccount({ name: 'pat owner' }, [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }]);
    const pat = (await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, { name: 'cli' })).body as { id: string; token: string };
    expect((await introspect(pat.token)).body).toMatchObject({
      active: true,
      tokenKind: 'personal_access_token',
      token_type: 'Bearer',
      sub: account.id,
      client_id: account.clientId,
      jti: pat.id,
      aud: `${runtime.url}/v1`,
      permissions: { latchkey: ['SERVICE_ACCOUNTS_READ'] },
    });
    // The owner itself may revoke its PAT through RFC 7009.
    expect((await revoke(pat.token, account, { token_type_hint: 'personal_access_token' })).status).toBe(200);
    expect((await introspect(pat.token)).body).toEqual({ active: false });
    expect((await api(runtime.url, pat.token).get('/v1/service-accounts')).status).toBe(401);
  });

  it('answers inactive for tokens of another environment, and cannot revoke them', async () => {
    const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Other tenant', environmentName: 'elsewhere' });
    const otherAdmin = { clientId: other.admin.clientId, clientSecret: other.admin.clientSecret };
    const foreignJwt = await tokenFor(otherAdmin);
    expect((await introspect(foreignJwt, otherAdmin)).body.active).toBe(true);

    expect((await introspect(foreignJwt, runtime.devAdmin)).body).toEqual({ active: false });
    expect((await revoke(foreignJwt, runtime.devAdmin)).status).toBe(200);
    expect((await introspect(foreignJwt, otherAdmin)).body.active).toBe(true);

    const foreignPat = (await api(runtime.url, foreignJwt).post(`/v1/service-accounts/${other.admin.id}/personal-access-tokens`, {})).body.token as string;
    expect((await introspect(foreignPat, runtime.devAdmin)).body).toEqual({ active: false });
    expect((await revoke(foreignPat, runtime.devAdmin)).status).toBe(200);
    expect((await introspect(foreignPat, otherAdmin)).body.active).toBe(true);
  });

  it('answers inactive for unknown, malformed and tampered tokens, and for a disabled account', async () => {
    const account = await createAccount({ name: 'soon disabled' });
    const jwt = await tokenFor(account);
    const [header, , signature] = jwt.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: account.id, environmentId: account.environmentId })).toString('base64url')}.${signature}`;
    for (const token of ['nope', 'a.b.c', forged, `lko_${'a'.repeat(26)}_${'b'.repeat(26)}_${'c'.repeat(26)}_${'d'.repeat(43)}`, 'lkp_x'.padEnd(5000, 'x')]) {
      const answer = await introspect(token);
      expect(answer.status, token.slice(0, 20)).toBe(200);
      expect(answer.body).toEqual({ active: false });
      expect((await revoke(token)).status).toBe(200);
    }
    expect((await introspect(jwt)).body.active).toBe(true);
    await admin.patch(`/v1/service-accounts/${account.id}`, { disabled: true });
    expect((await introspect(jwt)).body).toEqual({ active: false });
  });

  it('keeps JWTs and opaque tokens issued before a disable refused once the account is enabled again', async () => {
    const account = await createAccount({ name: 'disabled then enabled' }, [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }]);
    const opaqueAccount = await createAccount({ name: 'opaque, disabled then enabled', accessTokenType: 'opaque' });
    const jwt = (await requestToken(runtime.url, account, { resource: 'latchkey' })).body.access_token as string;
    const opaque = await tokenFor(opaqueAccount);
    for (const { id } of [account, opaqueAccount]) {
      expect((await admin.patch(`/v1/service-accounts/${id}`, { disabled: true })).status).toBe(200);
      expect((await admin.patch(`/v1/service-accounts/${id}`, { disabled: false })).status).toBe(200);
    }
    expect((await introspect(jwt)).body).toEqual({ active: false });
    expect((await introspect(opaque)).body).toEqual({ active: false });
    expect((await api(runtime.url, jwt).get('/v1/service-accounts?limit=1')).status).toBe(401);
    // Tokens issued after it work.
    const fresh = (await requestToken(runtime.url, account, { resource: 'latchkey' })).body.access_token as string;
    expect((await api(runtime.url, fresh).get('/v1/service-accounts?limit=1')).status).toBe(200);
    expect((await introspect(await tokenFor(opaqueAccount))).body.active).toBe(true);
  });

  it('lets a client revoke only its own tokens unless it holds SERVICE_ACCOUNTS_EDIT', async () => {
    const alice = await createAccount({ name: 'alice' });
    const bob = await createAccount({ name: 'bob' });
    const bobs = await tokenFor(bob);
    const refused = await revoke(bobs, alice);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'unauthorized_client', error_description: expect.stringContaining('not issued to this client') });
    expect((await introspect(bobs)).body.active).toBe(true);
    expect((await revoke(bobs, bob)).status).toBe(200);
    expect((await introspect(bobs, alice)).body).toEqual({ active: false });
  });

  it('refuses unauthenticated callers and bad requests with RFC 6749 errors, never a 500', async () => {
    const jwt = await adminToken(runtime);
    for (const path of ['/oauth/v2/introspect', '/oauth/v2/revoke']) {
      const anonymous = await post(path, { token: jwt }, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ error: 'invalid_client' });

      const wrongSecret = await post(path, { token: jwt }, { clientId: runtime.devAdmin.clientId, clientSecret: 'lks_wrong' });
      expect(wrongSecret.status).toBe(401);
      expect(wrongSecret.body.error).toBe('invalid_client');
      expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);

      const patAsClient = await post(path, { token: jwt, client_id: 'lkp_whatever', client_secret: 'x' }, null);
      expect(patAsClient.status).toBe(401);

      const missing = await post(path, {});
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'token is required' });

      const twice = await post(`${path}`, { token: jwt, client_id: runtime.devAdmin.clientId, client_secret: runtime.devAdmin.clientSecret });
      expect(twice.status).toBe(400);
      expect(twice.body.error).toBe('invalid_request');

      const json = await fetch(`${runtime.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(runtime.devAdmin) },
        body: JSON.stringify({ token: jwt }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');

      expect((await fetch(`${runtime.url}${path}`)).status).toBe(405);
    }
    const hint = await revoke(jwt, runtime.devAdmin, { token_type_hint: 'saml_assertion' });
    expect(hint.status).toBe(400);
    expect(hint.body).toMatchObject({ error: 'unsupported_token_type', error_description: expect.stringContaining('saml_assertion') });
    // The hint never decides for introspection (RFC 7662 §2.1).
    expect((await post('/oauth/v2/introspect', { token: jwt, token_type_hint: 'refresh_token' })).body.active).toBe(true);
  });

  it('works with an OAuth client library written by others (oauth4webapi)', async () => {
    const as = await discoverAuthorizationServer(runtime.url);
    const client: oauth.Client = { client_id: runtime.devAdmin.clientId };
    const auth = oauth.ClientSecretBasic(runtime.devAdmin.clientSecret);
    const options = { [oauth.allowInsecureRequests]: true };

    const granted = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), options));
    const token = granted.access_token;
    const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, token, options));
    expect(active).toMatchObject({ active: true, client_id: runtime.devAdmin.clientId, token_type: 'Bearer' });

    const postAuth = oauth.ClientSecretPost(runtime.devAdmin.clientSecret);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, postAuth, token, options));
    const inactive = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, postAuth, token, options));
    expect(inactive).toEqual({ active: false });
  });

  it('lets the guard check revocation through introspection', async () => {
    const account = await createAccount({ name: 'resource server' });
    const guard = createGuard({
      issuer: runtime.url,
      environmentId: runtime.devAdmin.environmentId,
      introspection: { clientId: account.clientId, clientSecret: account.clientSecret },
    });
    const jwt = await adminToken(runtime);
    await expect(guard.verify(jwt)).resolves.toMatchObject({ sub: runtime.devAdmin.clientId.split('@')[0] });

    expect((await revoke(jwt)).status).toBe(200);
    await expect(guard.verify(jwt)).rejects.toMatchObject({ code: 'TOKEN_INVALID', status: 401, message: expect.stringContaining('no longer active') });
    // Without the option the guard only checks the signature and lifetime: the token still verifies.
    await expect(createGuard({ issuer: runtime.url, environmentId: runtime.devAdmin.environmentId }).verify(jwt)).resolves.toBeTruthy();

    const wrongCredentials = createGuard({
      issuer: runtime.url,
      environmentId: runtime.devAdmin.environmentId,
      introspection: { clientId: account.clientId, clientSecret: 'lks_wrong' },
    });
    const error = await wrongCredentials.verify(await adminToken(runtime)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toMatchObject({ code: 'INTROSPECTION_FAILED', status: 503, message: expect.stringContaining('401 invalid_client') });

    const unreachable = createGuard({
      issuer: runtime.url,
      environmentId: runtime.devAdmin.environmentId,
      introspection: { clientId: account.clientId, clientSecret: account.clientSecret, endpoint: 'http://127.0.0.1:9/introspect' },
    });
    await expect(unreachable.verify(await adminToken(runtime))).rejects.toMatchObject({ code: 'INTROSPECTION_FAILED', status: 503 });
  });
});
