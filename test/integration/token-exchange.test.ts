import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { discoverAuthorizationServer, insecure } from '../support/oauth4webapi';

/**
 * Token exchange (RFC 8693) at the token endpoint, with oauth4webapi's generic grant request as the
 * client: a service account holding TOKEN_EXCHANGE trades a subject's token for a narrower one, and
 * nothing the subject could not reach alone comes out of it.
 */
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

describe('token exchange over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let as: oauth.AuthorizationServer;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let exchanger: Account;

  type Account = Credentials & { id: string };

  const createAccount = (name: string, grants: { resource: string; permissions: string[] }[]) => createServiceAccount<Account>(admin, { name }, grants);
  const tokenFor = async (account: Credentials, form: Record<string, string> = {}) => {
    const answer = await requestToken(runtime.url, account, form);
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  };

  /** The exchange as a client library sends it. */
  const exchange = (actor: Credentials, parameters: Record<string, string>) =>
    oauth.genericTokenEndpointRequest(as, { client_id: actor.clientId }, oauth.ClientSecretBasic(actor.clientSecret), GRANT, parameters, insecure);
  const exchanged = async (actor: Credentials, parameters: Record<string, string>) =>
    oauth.processGenericTokenEndpointResponse(as, { client_id: actor.clientId }, await exchange(actor, parameters));
  /** The RFC error a refused exchange answers. */
  const refusal = async (actor: Credentials, parameters: Record<string, string>) => {
    const response = await exchange(actor, parameters);
    expect(response.status).toBe(400);
    return (await response.json()) as { error: string; error_description: string };
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    for (const resource of [
      { key: 'orders', audience: 'https://orders.exchange.example', permissions: ['orders.read', 'orders.write'] },
      { key: 'billing', audience: 'https://billing.exchange.example', permissions: ['billing.read'] },
      { key: 'reports', audience: 'https://reports.exchange.example', permissions: ['reports.read'], accessTokenTtlSeconds: 120 },
    ]) {
      expect((await admin.post('/v1/resources', resource)).status).toBe(201);
    }
    // The exchanging service holds every customer permission itself: none of it may leak into a subject's token.
    exchanger = await createAccount('gateway', [
      { resource: 'latchkey', permissions: ['TOKEN_EXCHANGE'] },
      { resource: 'orders', permissions: ['orders.read', 'orders.write'] },
      { resource: 'billing', permissions: ['billing.read'] },
      { resource: 'reports', permissions: ['reports.read'] },
    ]);
    as = await discoverAuthorizationServer(runtime.url);
    jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
  });
  afterAll(() => runtime?.stop());
  afterEach(() => vi.useRealTimers());

  it('is advertised in discovery', () => {
    expect(as.grant_types_supported).toContain(GRANT);
  });

  it('answers a token for the subject, narrowed to the target, naming the exchanging service in act', async () => {
    const subject = await createAccount('frontend', [
      { resource: 'orders', permissions: ['orders.read'] },
      { resource: 'reports', permissions: ['reports.read'] },
    ]);
    const subjectToken = await tokenFor(subject, { resource: 'orders' });
    const result = await exchanged(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, resource: 'https://orders.exchange.example' });
    expect(result).toMatchObject({ token_type: 'bearer', issued_token_type: ACCESS_TOKEN });
    const { payload } = await jwtVerify(result.access_token, jwks, { issuer: runtime.url, audience: 'https://orders.exchange.example', typ: 'at+jwt' });
    // The subject's own permission only, though the exchanging service holds orders.write too.
    expect(payload).toMatchObject({
      sub: subject.id,
      subjectType: 'ServiceAccount',
      permissions: { orders: ['orders.read'] },
      act: { sub: exchanger.id, client_id: exchanger.clientId },
    });
    expect(payload.exp).toBeLessThanOrEqual(decodeJwt(subjectToken).exp!);
  });

  it('wraps the act of an exchanged subject token, for a chain of services', async () => {
    const subject = await createAccount('chain start', [{ resource: 'orders', permissions: ['orders.read'] }]);
    const second = await createAccount('second hop', [{ resource: 'latchkey', permissions: ['TOKEN_EXCHANGE'] }]);
    const first = await exchanged(exchanger, { subject_token: await tokenFor(subject, { resource: 'orders' }), subject_token_type: ACCESS_TOKEN });
    const result = await exchanged(second, { subject_token: first.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', audience: 'orders' });
    expect(decodeJwt(result.access_token)).toMatchObject({ sub: subject.id, act: { sub: second.id, act: { sub: exchanger.id } } });
  });

  describe('never reaches what the subject could not reach alone', () => {
    it('refuses a target outside the subject token, even one the exchanging service holds grants on', async () => {
      const subject = await createAccount('orders only', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const subjectToken = await tokenFor(subject, { resource: 'orders' });
      expect(await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, resource: 'billing' })).toEqual({
        error: 'invalid_target',
        error_description: '"billing" is not a resource the subject token reaches',
      });
      expect((await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, audience: 'latchkey' })).error).toBe('invalid_target');
    });

    it('refuses an end user token whose audience is no resource', async () => {
      const subjectToken = await delegatedUserToken('exchange-user-1');
      expect((await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN })).error).toBe('invalid_target');
    });

    it('caps the lifetime at the subject token and at the target', async () => {
      const subject = await createAccount('short lived', [{ resource: 'reports', permissions: ['reports.read'] }]);
      const subjectToken = await tokenFor(subject, { resource: 'reports' });
      const result = await exchanged(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN });
      expect(result.expires_in).toBeLessThanOrEqual(120);
      expect(decodeJwt(result.access_token).exp).toBeLessThanOrEqual(decodeJwt(subjectToken).exp!);
    });

    it('refuses a caller without TOKEN_EXCHANGE', async () => {
      const subject = await createAccount('subject of a refusal', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const caller = await createAccount('no exchange', [{ resource: 'orders', permissions: ['orders.read'] }]);
      expect(await refusal(caller, { subject_token: await tokenFor(subject, { resource: 'orders' }), subject_token_type: ACCESS_TOKEN })).toEqual({
        error: 'unauthorized_client',
        error_description: 'token exchange requires the permission TOKEN_EXCHANGE on the resource latchkey, or an OIDC client set up with tokenExchange',
      });
    });

    it('refuses an actor token that is not the caller’s own', async () => {
      const subject = await createAccount('subject with actor', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const subjectToken = await tokenFor(subject, { resource: 'orders' });
      const someoneElse = await tokenFor(subject, { resource: 'orders' });
      const base = { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, actor_token_type: ACCESS_TOKEN };
      expect((await refusal(exchanger, { ...base, actor_token: someoneElse })).error).toBe('invalid_request');
      const own = await exchanged(exchanger, { ...base, actor_token: await tokenFor(exchanger, { resource: 'orders' }) });
      expect(decodeJwt(own.access_token).act).toEqual({ sub: exchanger.id, client_id: exchanger.clientId });
    });
  });

  describe('by an OIDC client', () => {
    it('exchanges with tokenExchange set by a holder of TOKEN_EXCHANGE, and not without it', async () => {
      const applicationId = (await admin.post('/v1/applications', { name: 'Exchanging backend' })).body.id as string;
      const base = `/v1/applications/${applicationId}/clients`;
      // An application editor without TOKEN_EXCHANGE can neither set it up nor take over a client that has it.
      const editor = await createAccount('application editor', [{ resource: 'latchkey', permissions: ['APPLICATIONS_EDIT', 'APPLICATIONS_READ'] }]);
      const asEditor = api(runtime.url, await adminToken(runtime, editor));
      const refused = await asEditor.post(base, { name: 'backend', tokenExchange: true });
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toBe('this operation requires the permission TOKEN_EXCHANGE on the resource latchkey');

      const exchanging = await admin.post(base, { name: 'backend', tokenExchange: true });
      expect(exchanging.status).toBe(201);
      expect(exchanging.body.tokenExchange).toBe(true);
      expect((await asEditor.post(`${base}/${exchanging.body.id}/secret`)).status).toBe(403);
      const plain = await admin.post(base, { name: 'plain backend' });
      expect(plain.status).toBe(201);

      const subject = await createAccount('subject of a client', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const parameters = { subject_token: await tokenFor(subject, { resource: 'orders' }), subject_token_type: ACCESS_TOKEN };
      const result = await exchanged(exchanging.body, parameters);
      expect(decodeJwt(result.access_token)).toMatchObject({
        sub: subject.id,
        permissions: { orders: ['orders.read'] },
        act: { sub: exchanging.body.id, client_id: exchanging.body.clientId },
      });
      expect((await refusal(plain.body, parameters)).error).toBe('unauthorized_client');
    });
  });

  describe('takes a subject token only while it stands', () => {
    const invalidSubject = { error: 'invalid_request', error_description: 'subject_token is not an active access token of this environment' };

    it('refuses a revoked subject token', async () => {
      const subject = await createAccount('revoked subject', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const subjectToken = await tokenFor(subject, { resource: 'orders' });
      const revoked = await oauth.revocationRequest(as, { client_id: subject.clientId }, oauth.ClientSecretBasic(subject.clientSecret), subjectToken, insecure);
      await oauth.processRevocationResponse(revoked);
      expect(await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);
    });

    it('refuses the token of a disabled service account, and one of a secret reset that revoked tokens', async () => {
      const disabled = await createAccount('disabled subject', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const disabledToken = await tokenFor(disabled, { resource: 'orders' });
      expect((await admin.patch(`/v1/service-accounts/${disabled.id}`, { disabled: true })).status).toBe(200);
      expect(await refusal(exchanger, { subject_token: disabledToken, subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);

      const reset = await createAccount('reset subject', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const resetToken = await tokenFor(reset, { resource: 'orders' });
      expect((await admin.post(`/v1/service-accounts/${reset.id}/secret`, { revokeTokens: true })).status).toBe(200);
      expect(await refusal(exchanger, { subject_token: resetToken, subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);
    });

    it('refuses the token of a disabled end user', async () => {
      const subjectToken = await delegatedUserToken('exchange-user-2');
      expect((await admin.patch(`/v1/users/${decodeJwt(subjectToken).sub}`, { disabled: true })).status).toBe(200);
      expect(await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);
    });

    it('refuses an expired subject token, and one that is no token', async () => {
      const subject = await createAccount('expiring subject', [{ resource: 'orders', permissions: ['orders.read'] }]);
      const subjectToken = await tokenFor(subject, { resource: 'orders' });
      expect(await refusal(exchanger, { subject_token: 'not-a-token', subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);
      // The handlers share this process's clock: a second past the subject token's expiry, without waiting for it.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime((decodeJwt(subjectToken).exp! + 1) * 1000);
      expect(await refusal(exchanger, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN })).toEqual(invalidSubject);
    });
  });

  it('says what is missing or wrong in the request', async () => {
    expect(await refusal(exchanger, { subject_token_type: ACCESS_TOKEN })).toEqual({ error: 'invalid_request', error_description: 'subject_token is required' });
    expect((await refusal(exchanger, { subject_token: 'x', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })).error).toBe('invalid_request');
    expect((await refusal(exchanger, { subject_token: 'x', subject_token_type: ACCESS_TOKEN, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).error).toBe(
      'invalid_request',
    );
  });

  /** An end user's token, from a delegated connection, whose audience is its application. */
  let delegation: ReturnType<typeof api> | undefined;
  let applicationId: string;
  async function delegatedUserToken(subjectId: string): Promise<string> {
    if (!delegation) {
      applicationId = (await admin.post('/v1/applications', { name: 'Exchange storefront' })).body.id;
      expect((await admin.post('/v1/idp-connections', { type: 'delegated', applicationIds: [applicationId] })).status).toBe(201);
      const vouching = await createAccount('vouching', [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }]);
      delegation = api(runtime.url, await adminToken(runtime, vouching));
    }
    const generated = await delegation.post('/v1/delegated-access-tokens', { applicationId, subjectId });
    expect(generated.status).toBe(200);
    return generated.body.accessToken as string;
  }
});
