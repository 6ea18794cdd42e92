import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

const MUTATION = `mutation GetServiceAccountToken($input: AuthenticateServiceAccountInput!) {
  authenticateServiceAccount(input: $input) { accessToken expiresInSeconds tokenType }
}`;

describe('POST /graphql', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
  });
  afterAll(() => runtime?.stop());

  const post = async (body: string, contentType = 'application/json') => {
    const response = await fetch(`${runtime.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: any[] } };
  };
  const authenticate = ({ clientId, clientSecret }: Credentials) => post(JSON.stringify({ query: MUTATION, variables: { input: { clientId, clientSecret } } }));

  it('answers a token that verifies against the JWKS and carries the same claims as the token endpoint', async () => {
    const answer = await authenticate(runtime.devAdmin);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body.errors).toBeUndefined();
    const result = answer.body.data.authenticateServiceAccount;
    expect(result).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 3600 });

    const { payload, protectedHeader } = await jwtVerify(result.accessToken, jwks, { issuer: runtime.url, typ: 'at+jwt' });
    expect(protectedHeader.alg).toBe('ES256');
    const oauth = await requestToken(runtime.url, runtime.devAdmin);
    const { payload: viaOAuth } = await jwtVerify(oauth.body.access_token as string, jwks, { issuer: runtime.url });
    const comparable = ({ iat, exp, jti, ...rest }: Record<string, unknown>) => rest;
    expect(comparable(payload)).toEqual(comparable(viaOAuth));
    expect(payload).toMatchObject({ subjectType: 'ServiceAccount', environmentId: runtime.devAdmin.environmentId });
  });

  it('refuses a wrong secret, then a disabled account, with INVALID_CLIENT_ID_SECRET', async () => {
    const admin = api(runtime.url, await adminToken(runtime));
    const created = await admin.post('/v1/service-accounts', { name: 'graphql client' });
    expect(created.status).toBe(201);
    const account: Credentials = { clientId: created.body.clientId, clientSecret: created.body.clientSecret };
    expect((await authenticate(account)).body.data.authenticateServiceAccount.tokenType).toBe('Bearer');

    const wrong = await authenticate({ clientId: account.clientId, clientSecret: `${account.clientSecret}x` });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toEqual({
      data: { authenticateServiceAccount: null },
      errors: [expect.objectContaining({ message: 'client authentication failed', extensions: { code: 'INVALID_CLIENT_ID_SECRET' } })],
    });

    expect((await admin.patch(`/v1/service-accounts/${created.body.id}`, { disabled: true })).status).toBe(200);
    const disabled = await authenticate(account);
    expect(disabled.body.errors![0].extensions.code).toBe('INVALID_CLIENT_ID_SECRET');
  });

  it('answers GraphQL errors for a bad query', async () => {
    const syntax = await post(JSON.stringify({ query: 'mutation {' }));
    expect(syntax.status).toBe(200);
    expect(syntax.body.errors![0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await post(JSON.stringify({ query: '{ secrets }' }));
    expect(invalid.body.errors![0]).toMatchObject({ message: 'Cannot query field "secrets" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it.each([
    ['malformed JSON', '{"query": ', 'application/json', 'BAD_USER_INPUT', 'the request body is not valid JSON'],
    ['an empty body', '', 'application/json', 'BAD_USER_INPUT', 'a JSON request body is required'],
    ['a batch', JSON.stringify([{ query: '{ issuer }' }]), 'application/json', 'BAD_USER_INPUT', 'object, received array'],
    ['an unknown member', JSON.stringify({ query: '{ issuer }', mutation: 'x' }), 'application/json', 'BAD_USER_INPUT', "Unrecognized key(s) in object: 'mutation'"],
    ['a query that is not a string', JSON.stringify({ query: { issuer: true } }), 'application/json', 'BAD_USER_INPUT', 'query:'],
    ['variables that are not an object', JSON.stringify({ query: '{ issuer }', variables: '[]' }), 'application/json', 'BAD_USER_INPUT', 'variables:'],
    ['a query over 10000 characters', JSON.stringify({ query: `{ ${'issuer '.repeat(1500)}}` }), 'application/json', 'BAD_USER_INPUT', 'query: must be at most 10000 characters'],
    ['a GraphQL document as the body', '{ issuer }', 'application/graphql', 'UNSUPPORTED_MEDIA_TYPE', 'application/json'],
    ['a form', 'query=%7B+issuer+%7D', 'application/x-www-form-urlencoded', 'UNSUPPORTED_MEDIA_TYPE', 'application/json'],
    ['a body over 64 KiB', JSON.stringify({ query: '{ issuer }', variables: { pad: 'x'.repeat(70_000) } }), 'application/json', 'PAYLOAD_TOO_LARGE', 'larger than 65536 bytes'],
  ])('refuses %s with a GraphQL error', async (_what, body, contentType, code, message) => {
    const answer = await post(body, contentType);
    // Not a well-formed GraphQL request: GraphQL over HTTP answers 4xx (src/http/error-mapping.ts).
    expect(answer.status).toBe({ PAYLOAD_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415 }[code as string] ?? 400);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body).toEqual({ data: null, errors: [{ message: expect.stringContaining(message), extensions: { code } }] });
  });

  it('refuses GET with 405 and Allow: POST, as GraphQL over HTTP requires for mutations', async () => {
    const response = await fetch(`${runtime.url}/graphql?query=${encodeURIComponent('{ issuer }')}`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
