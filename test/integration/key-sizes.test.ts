import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type Route } from '../../lib/routes';
import { MAX_KEY_VALUE_BYTES } from '../../src/domain/key-values';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Values that become part of a table key are held to one size rule at the edge: an oversized ID in
 * a path or a key-forming body field is a 400 that says so, never a DynamoDB error answered as 500.
 */
describe('key sizes', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let token: string;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    token = await adminToken(runtime);
    admin = api(runtime.url, token);
  });
  afterAll(() => runtime?.stop());

  const routesWithParameters = operations.flatMap((operation) => operation.routes).filter((route): route is Route => route.path.includes('{'));

  it('covers every route with a path parameter', () => {
    expect(routesWithParameters.length).toBeGreaterThan(25);
  });

  it('never answers a 5xx to an oversized ID in any path of the route table', async () => {
    // Longer than the rule allows, in bytes; multi-byte characters make short strings long in bytes.
    const oversized = fc.oneof(
      fc.string({ minLength: MAX_KEY_VALUE_BYTES + 1, maxLength: 1500 }),
      fc.string({ unit: 'grapheme', minLength: 130, maxLength: 400 }).filter((value) => Buffer.byteLength(value) > MAX_KEY_VALUE_BYTES),
      fc.constantFrom('a'.repeat(1025), 'é'.repeat(600), '😀'.repeat(300), `app_${'x'.repeat(2100)}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routesWithParameters), oversized, async (route, id) => {
        const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
        const response = await fetch(`${runtime.url}${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
        });
        expect(response.status, `${route.method} ${route.path}`).toBeLessThan(500);
        expect(response.status, `${route.method} ${route.path}`).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 120 },
    );
  });

  it('says which path parameter is too long', async () => {
    const answer = await admin.get(`/v1/applications/${'a'.repeat(1100)}/clients/${'b'.repeat(10)}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_request', detail: `the {id} in the path must be at most ${MAX_KEY_VALUE_BYTES} bytes` });
    const metadata = await fetch(`${runtime.url}/saml/${'c'.repeat(2000)}/metadata`);
    expect(metadata.status).toBe(400);
  });

  it('refuses an oversized resource when minting a token, with a 400', async () => {
    const [account] = (await admin.get('/v1/service-accounts?limit=1')).body.items;
    const answer = await admin.post(`/v1/service-accounts/${account.id}/access-tokens`, { resource: 'é'.repeat(510) });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_target');
    const scope = await admin.post(`/v1/service-accounts/${account.id}/access-tokens`, { scope: `urn:zitadel:iam:org:project:id:${'é'.repeat(400)}:aud` });
    expect(scope.status).toBe(400);
  });

  it('refuses a subject or profile identifier too long in bytes for a key, and creates no user', async () => {
    const applicationId = (await admin.post('/v1/applications', { name: 'Keys' })).body.id as string;
    const connection = await admin.post('/v1/idp-connections', { type: 'delegated', enabled: true });
    expect(connection.status).toBe(201);
    expect((await admin.patch(`/v1/idp-connections/${connection.body.id}`, { applicationIds: [applicationId] })).status).toBe(200);
    // 256 characters (the identifier's limit) of four bytes each: 1024 bytes, too long for a sort key.
    for (const body of [
      { applicationId, subjectId: '😀'.repeat(256) },
      { applicationId, subjectId: 'ext-1', uniqueProfileIdentifier: '😀'.repeat(256) },
    ]) {
      const answer = await admin.post('/v1/delegated-access-tokens', body);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('invalid_request');
    }
    expect((await admin.get('/v1/users')).body.items).toEqual([]);
    expect((await admin.post('/v1/delegated-access-tokens', { applicationId, subjectId: 'é'.repeat(200) })).status).toBe(200);
  });

  it('holds GraphQL generateDelegatedAccessToken to the same rule: BAD_USER_INPUT, not a server error', async () => {
    const graphql = async (input: Record<string, unknown>) => {
      const response = await fetch(`${runtime.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($input: GenerateDelegatedAccessTokenInput!) { generateDelegatedAccessToken(input: $input) { accessToken } }',
          variables: { input },
        }),
      });
      return { status: response.status, body: (await response.json()) as { errors?: { extensions: { code: string } }[] } };
    };
    for (const input of [
      { applicationId: 'a'.repeat(2000), subjectId: 'ext-1' },
      { applicationId: 'app_aaaaaaaaaaaaaaaaaaaaaaaaaa', subjectId: '😀'.repeat(256) },
    ]) {
      const answer = await graphql(input);
      expect(answer.status).toBe(200);
      expect(answer.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});
