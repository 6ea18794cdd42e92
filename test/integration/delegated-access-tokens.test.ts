import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { createGuard } from '../../src/guard';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Delegated authentication through HTTP on the local runtime: the setup an operator does (connection,
 * application), the refusals before it is complete, generation by a service account that holds only
 * GENERATE_DELEGATED_ACCESS_TOKEN, and verification of the result.
 */

type Api = ReturnType<typeof api>;

describe('delegated access tokens over the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: Api;
  let vouching: Api;
  let applicationId: string;

  async function accountWith(permissions: string[]): Promise<Api> {
    const account = await admin.post('/v1/service-accounts', { name: `holds ${permissions.join(' ') || 'nothing'}` });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions }] });
    return api(runtime.url, await adminToken(runtime, account.body));
  }

  const generate = (as: Api, body: Record<string, unknown>) => as.post('/v1/delegated-access-tokens', body);
  const userCount = async () => (await admin.get('/v1/users?limit=100')).body.items.length as number;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    vouching = await accountWith(['GENERATE_DELEGATED_ACCESS_TOKEN']);
    applicationId = (await admin.post('/v1/applications', { name: 'Storefront', endUserTokenTtlSeconds: 900 })).body.id;
  });
  afterAll(() => runtime?.stop());

  describe('before the environment is set up', () => {
    it('refuses while no delegated connection exists', async () => {
      const answer = await generate(vouching, { applicationId, subjectId: 'ext-1' });
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'idp_connection_missing', detail: expect.stringContaining('no delegated IDP connection') });
    });

    it('refuses while the connection is disabled, then for an unknown application, then for one not assigned', async () => {
      const created = await admin.post('/v1/idp-connections', { type: 'delegated', enabled: false });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^idp_/), type: 'delegated', name: 'Delegated authentication', enabled: false, applicationIds: [] });
      const disabled = await generate(vouching, { applicationId, subjectId: 'ext-1' });
      expect(disabled.status).toBe(409);
      expect(disabled.body.code).toBe('idp_connection_disabled');

      expect((await admin.patch(`/v1/idp-connections/${created.body.id}`, { enabled: true })).body.enabled).toBe(true);
      const unknown = await generate(vouching, { applicationId: 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa', subjectId: 'ext-1' });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'application_not_found', detail: expect.stringContaining('app_aaaaaaaaaaaaaaaaaaaaaaaaaa') });

      const unassigned = await generate(vouching, { applicationId, subjectId: 'ext-1' });
      expect(unassigned.status).toBe(409);
      expect(unassigned.body).toMatchObject({ code: 'application_not_assigned', detail: expect.stringContaining(applicationId) });
      expect(await userCount()).toBe(0);
    });

    it('keeps one delegated connection per environment, and assigns only existing applications', async () => {
      const [connection] = (await admin.get('/v1/idp-connections')).body.items;
      const second = await admin.post('/v1/idp-connections', { type: 'delegated' });
      expect(second.status).toBe(409);
      expect(second.body.detail).toContain('already has a delegated IDP connection');
      const bad = await admin.patch(`/v1/idp-connections/${connection.id}`, { applicationIds: ['app_bbbbbbbbbbbbbbbbbbbbbbbbbb'] });
      expect(bad.status).toBe(400);
      expect(bad.body.detail).toContain('app_bbbbbbbbbbbbbbbbbbbbbbbbbb');
      const assigned = await admin.patch(`/v1/idp-connections/${connection.id}`, { applicationIds: [applicationId] });
      expect(assigned.body.applicationIds).toEqual([applicationId]);
      expect((await admin.get(`/v1/idp-connections/${connection.id}`)).body.applicationIds).toEqual([applicationId]);
    });
  });

  describe('who may generate', () => {
    it('refuses a service account without GENERATE_DELEGATED_ACCESS_TOKEN and writes nothing', async () => {
      const reader = await accountWith(['USERS_READ', 'APPLICATIONS_READ']);
      const answer = await generate(reader, { applicationId, subjectId: 'ext-refused' });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'not_authorized', detail: expect.stringContaining('GENERATE_DELEGATED_ACCESS_TOKEN') });
      expect(await userCount()).toBe(0);
    });

    it('refuses a token of another environment and writes nothing in either', async () => {
      const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Other tenant', environmentName: 'prod' });
      const asOther = api(runtime.url, await adminToken(runtime, other.admin));
      const answer = await generate(asOther, { applicationId, subjectId: 'ext-foreign' });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('idp_connection_missing');
      // Even with a connection of its own, B cannot reach A's application.
      await asOther.post('/v1/idp-connections', { type: 'delegated' });
      expect((await generate(asOther, { applicationId, subjectId: 'ext-foreign' })).body.code).toBe('application_not_found');
      expect(await userCount()).toBe(0);
      expect((await asOther.get('/v1/users')).body.items).toEqual([]);
    });

    it('refuses requests without a token or with bad input', async () => {
      const anonymous = await fetch(`${runtime.url}/v1/delegated-access-tokens`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(anonymous.status).toBe(401);
      for (const [body, field] of [
        [{ subjectId: 'x' }, 'applicationId'],
        [{ applicationId, subjectId: '' }, 'subjectId'],
        [{ applicationId, subjectId: 'x', email: 'not-an-email' }, 'email'],
        [{ applicationId, subjectId: 'x', extra: true }, 'extra'],
        [{ applicationId, subjectId: 1.5 }, 'subjectId'],
      ] as const) {
        const answer = await generate(vouching, body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.detail).toContain(field);
      }
      expect(await userCount()).toBe(0);
    });
  });

  describe('generation', () => {
    it('issues a token with the end-user claims and finds the same user and profile again', async () => {
      const first = await generate(vouching, { applicationId, subjectId: 'ext-1', email: 'ada@example.com' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 900, accessToken: expect.any(String) });
      const claims = first.body.payload;
      expect(claims).toEqual({
        iss: runtime.url,
        sub: expect.stringMatching(/^usr_/),
        aud: applicationId,
        iat: expect.any(Number),
        exp: claims.iat + 900,
        jti: expect.any(String),
        subjectType: 'EndUserAccount',
        tenantId: runtime.devAdmin.tenantId,
        environmentId: runtime.devAdmin.environmentId,
        applicationId,
        profileId: expect.stringMatching(/^prf_/),
        sessionId: expect.stringMatching(/^ses_/),
        name: 'ada',
        email: 'ada@example.com',
      });

      const again = await generate(vouching, { applicationId, subjectId: 'ext-1' });
      expect(again.body.payload).toMatchObject({ sub: claims.sub, profileId: claims.profileId, email: 'ada@example.com', name: 'ada' });
      expect(again.body.payload.sessionId).not.toBe(claims.sessionId);
      expect(again.body.payload.jti).not.toBe(claims.jti);

      const named = await generate(vouching, { applicationId, subjectId: 'ext-1', name: 'Ada Lovelace' });
      expect(named.body.payload).toMatchObject({ sub: claims.sub, name: 'Ada Lovelace' });
    });

    it('creates a profile per unique profile identifier, besides the default one', async () => {
      const base = (await generate(vouching, { applicationId, subjectId: 'ext-2' })).body.payload;
      const kids = (await generate(vouching, { applicationId, subjectId: 'ext-2', uniqueProfileIdentifier: 'kids' })).body.payload;
      const kidsAgain = (await generate(vouching, { applicationId, subjectId: 'ext-2', uniqueProfileIdentifier: 'kids' })).body.payload;
      const numbered = (await generate(vouching, { applicationId, subjectId: 'ext-2', uniqueProfileIdentifier: 7 })).body.payload;
      expect(kids.sub).toBe(base.sub);
      expect(kids.profileId).not.toBe(base.profileId);
      expect(kidsAgain.profileId).toBe(kids.profileId);
      expect(new Set([base.profileId, kids.profileId, numbered.profileId]).size).toBe(3);
      // Without an email, the name is the user ID.
      expect(base.name).toBe(base.sub);
      expect(base).not.toHaveProperty('email');

      const user = await admin.get(`/v1/users/${base.sub}`);
      expect(user.status).toBe(200);
      expect(user.body).toMatchObject({ id: base.sub, subjectId: 'ext-2', environmentId: runtime.devAdmin.environmentId });
      expect(user.body.profiles.map((p: { id: string }) => p.id)).toEqual([base.profileId, kids.profileId, numbered.profileId]);
      expect(user.body.profiles[0]).toMatchObject({ isDefault: true });
      expect(user.body.profiles[1]).toMatchObject({ isDefault: false, uniqueProfileIdentifier: 'kids' });
      expect(user.body.profiles[2]).toMatchObject({ uniqueProfileIdentifier: '7' });
    });

    it('treats a numeric subject ID and its text as the same subject', async () => {
      const asNumber = (await generate(vouching, { applicationId, subjectId: 42 })).body.payload;
      const asText = (await generate(vouching, { applicationId, subjectId: '42' })).body.payload;
      expect(asText.sub).toBe(asNumber.sub);
    });

    it('creates one user and one profile when first calls for a subject race', async () => {
      const before = await userCount();
      const answers = await Promise.all(Array.from({ length: 5 }, () => generate(vouching, { applicationId, subjectId: 'ext-race', email: 'race@example.com' })));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
      expect(new Set(answers.map((answer) => answer.body.payload.sub)).size).toBe(1);
      expect(new Set(answers.map((answer) => answer.body.payload.profileId)).size).toBe(1);
      expect(await userCount()).toBe(before + 1);
      const user = await admin.get(`/v1/users/${answers[0]!.body.payload.sub}`);
      expect(user.body.profiles).toHaveLength(1);
    });

    it('lists users a page at a time and answers 404 for an unknown one', async () => {
      const page = await admin.get('/v1/users?limit=2');
      expect(page.body.items).toHaveLength(2);
      expect(page.body.cursor).toEqual(expect.any(String));
      const next = await admin.get(`/v1/users?limit=2&cursor=${page.body.cursor}`);
      expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
      expect((await admin.get('/v1/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
      const noRead = await accountWith(['APPLICATIONS_READ']);
      expect((await noRead.get('/v1/users')).body.code).toBe('not_authorized');
    });
  });

  describe('verification', () => {
    it('verifies with plain jose against the published JWKS', async () => {
      const { body } = await generate(vouching, { applicationId, subjectId: 'ext-verify', email: 'v@example.com' });
      expect(decodeProtectedHeader(body.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(body.accessToken, jwks, { issuer: runtime.url, audience: applicationId, typ: 'at+jwt' });
      expect(payload).toEqual(body.payload);
    });

    it('verifies with the guard, for this environment and as an end user', async () => {
      const { body } = await generate(vouching, { applicationId, subjectId: 'ext-verify' });
      const guard = createGuard({ issuer: runtime.url, environmentId: runtime.devAdmin.environmentId, audience: applicationId });
      const claims = await guard.verifyAuthorizationHeader(`Bearer ${body.accessToken}`, { subjectType: 'EndUserAccount' });
      expect(claims).toMatchObject({ sub: body.payload.sub, profileId: body.payload.profileId });
      const elsewhere = createGuard({ issuer: runtime.url, environmentId: 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa' });
      await expect(elsewhere.verify(body.accessToken)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
      await expect(guard.verify(body.accessToken, { subjectType: 'ServiceAccount' })).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
    });

    it('does not let an end-user token call the management API', async () => {
      const { body } = await generate(vouching, { applicationId, subjectId: 'ext-verify' });
      const answer = await api(runtime.url, body.accessToken).get('/v1/users');
      expect(answer.status).toBe(401);
    });
  });

  describe('the GraphQL mutation generateDelegatedAccessToken', () => {
    const mutation = `mutation Generate($input: GenerateDelegatedAccessTokenInput!) {
      generateDelegatedAccessToken(input: $input) { accessToken tokenType expiresInSeconds payload }
    }`;
    const graphql = async (token: string | undefined, input: Record<string, unknown>) => {
      const response = await fetch(`${runtime.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: mutation, variables: { input } }),
      });
      return { status: response.status, body: (await response.json()) as { data?: any; errors?: { extensions: { code: string }; message: string }[] } };
    };
    let vouchingToken: string;

    beforeAll(async () => {
      const account = await admin.post('/v1/service-accounts', { name: 'graphql vouching' });
      await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
      vouchingToken = await adminToken(runtime, account.body);
    });

    it('answers the same token as REST, for the same user and profile', async () => {
      const rest = (await generate(vouching, { applicationId, subjectId: 'ext-graphql', uniqueProfileIdentifier: 'tv' })).body.payload;
      const answer = await graphql(vouchingToken, { applicationId, subjectId: 'ext-graphql', uniqueProfileIdentifier: 'tv', email: 'gq@example.com' });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      const token = answer.body.data.generateDelegatedAccessToken;
      expect(token).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 900 });
      expect(token.payload).toMatchObject({ sub: rest.sub, profileId: rest.profileId, subjectType: 'EndUserAccount', email: 'gq@example.com', name: 'gq' });
      const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
      expect((await jwtVerify(token.accessToken, jwks, { issuer: runtime.url })).payload).toEqual(token.payload);
      // A numeric subject ID is the text of that number, as over REST.
      const numeric = await graphql(vouchingToken, { applicationId, subjectId: 42 });
      expect(numeric.body.data.generateDelegatedAccessToken.payload.sub).toBe((await generate(vouching, { applicationId, subjectId: '42' })).body.payload.sub);
    });

    it('answers stable codes for refusals', async () => {
      const anonymous = await graphql(undefined, { applicationId, subjectId: 'ext-graphql' });
      expect(anonymous.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(anonymous.body.data).toEqual({ generateDelegatedAccessToken: null });
      const reader = await admin.post('/v1/service-accounts', { name: 'graphql reader' });
      await admin.put(`/v1/service-accounts/${reader.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['USERS_READ'] }] });
      const forbidden = await graphql(await adminToken(runtime, reader.body), { applicationId, subjectId: 'ext-graphql' });
      expect(forbidden.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('GENERATE_DELEGATED_ACCESS_TOKEN') });
      const unknown = await graphql(vouchingToken, { applicationId: 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa', subjectId: 'ext-graphql' });
      expect(unknown.body.errors?.[0]?.extensions.code).toBe('APPLICATION_NOT_FOUND');
      const badEmail = await graphql(vouchingToken, { applicationId, subjectId: 'ext-graphql', email: 'nope' });
      expect(badEmail.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('email') });
    });
  });

  describe('a subject seen before, read in one batch', () => {
    it('is the user its current claim names: disabled gets nothing, deleted and reconnected become new users', async () => {
      const first = (await generate(vouching, { applicationId, subjectId: 'ext-seen' })).body.payload;
      expect((await generate(vouching, { applicationId, subjectId: 'ext-seen' })).body.payload.sub).toBe(first.sub);

      expect((await admin.patch(`/v1/users/${first.sub}`, { disabled: true })).status).toBe(200);
      const disabled = await generate(vouching, { applicationId, subjectId: 'ext-seen' });
      expect(disabled.status).toBe(409);
      expect(disabled.body.code).toBe('user_disabled');

      expect((await admin.delete(`/v1/users/${first.sub}`)).status).toBe(204);
      const afterDeletion = (await generate(vouching, { applicationId, subjectId: 'ext-seen' })).body.payload;
      expect(afterDeletion.sub).not.toBe(first.sub);

      // A replaced connection has a new ID: its subjects are new users, whatever the old one knew.
      const [connection] = (await admin.get('/v1/idp-connections')).body.items;
      expect((await admin.delete(`/v1/idp-connections/${connection.id}`)).status).toBe(204);
      const replacement = await admin.post('/v1/idp-connections', { type: 'delegated', enabled: true, applicationIds: [applicationId] });
      expect(replacement.status).toBe(201);
      const reconnected = (await generate(vouching, { applicationId, subjectId: 'ext-seen' })).body.payload;
      expect(reconnected.sub).not.toBe(afterDeletion.sub);
      expect((await generate(vouching, { applicationId, subjectId: 'ext-seen' })).body.payload.sub).toBe(reconnected.sub);
    });
  });
});
