import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/** Bad input gets a 4xx that says what is wrong, never a 500, and writes nothing. */
describe('bad input', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let token: string;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    token = await adminToken(runtime);
    admin = api(runtime.url, token);
  });
  afterAll(() => runtime?.stop());

  const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${runtime.url}${path}`, { method: 'POST', headers, body });
  const tokenRequest = (body: string, headers: Record<string, string> = {}) => post('/oauth/v2/token', body, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  const accountCount = async () => {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await admin.get(`/v1/service-accounts?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      count += page.body.items.length;
      cursor = page.body.cursor;
    } while (cursor);
    return count;
  };

  describe('at the token endpoint', () => {
    it.each([
      ['no grant_type', 'client_id=a&client_secret=b', {}, 400, 'invalid_request', 'grant_type is required'],
      ['an unknown grant type', 'grant_type=password&username=a&password=b', {}, 400, 'unsupported_grant_type', 'grant_type "password" is not supported'],
      ['no client authentication', 'grant_type=client_credentials', {}, 401, 'invalid_client', 'client authentication failed'],
      ['a repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', {}, 400, 'invalid_request', 'parameter "grant_type" must not be repeated'],
      ['a Bearer header', 'grant_type=client_credentials', { authorization: 'Bearer abc' }, 400, 'invalid_request', 'must be "Basic"'],
      [
        'Basic with no colon',
        'grant_type=client_credentials',
        { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` },
        400,
        'invalid_request',
        'client_id:client_secret',
      ],
      ['Basic that is not base64', 'grant_type=client_credentials', { authorization: 'Basic %%%' }, 400, 'invalid_request', 'must be "Basic"'],
      [
        'Basic and a form secret',
        'grant_type=client_credentials&client_secret=x',
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        400,
        'invalid_request',
        'not both',
      ],
      [
        'an unknown client',
        'grant_type=client_credentials',
        { authorization: `Basic ${Buffer.from('who:me').toString('base64')}` },
        401,
        'invalid_client',
        'client authentication failed',
      ],
    ])('refuses %s', async (_, body, headers, status, error, description) => {
      const response = await tokenRequest(body, headers as Record<string, string>);
      expect(response.status).toBe(status);
      const answer = (await response.json()) as { error: string; error_description: string };
      expect(answer.error).toBe(error);
      expect(answer.error_description).toContain(description);
    });

    it('refuses a JSON body', async () => {
      const response = await post('/oauth/v2/token', '{"grant_type":"client_credentials"}', { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error_description: string }).error_description).toContain('application/x-www-form-urlencoded');
    });

    it('refuses an oversized body with 413', async () => {
      const response = await tokenRequest(`grant_type=client_credentials&scope=${'a'.repeat(70_000)}`);
      expect(response.status).toBe(413);
    });

    it('never answers a 5xx to arbitrary forms and headers', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'resource', 'x'), fc.string({ maxLength: 40 })),
          fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
          async (form, authorization) => {
            const headers: Record<string, string> = {};
            if (authorization !== undefined && /^[\x21-\x7e ]*$/.test(authorization)) headers.authorization = authorization;
            const response = await tokenRequest(new URLSearchParams(form).toString(), headers);
            expect(response.status).toBeGreaterThanOrEqual(200);
            expect(response.status).toBeLessThan(500);
            if (response.status >= 400) expect(((await response.json()) as { error: string }).error).toMatch(/^[a-z_]+$/);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it.each([
    ['raw bytes', Buffer.concat([Buffer.from('grant_type=client_credentials&scope=caf'), Buffer.from([0xe9])])],
    ['percent-encoded bytes', Buffer.from('grant_type=client_credentials&scope=caf%E9')],
  ])('refuses a form body whose %s are not valid UTF-8 at the token endpoint', async (_, body) => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`,
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'the request body is not valid UTF-8' });
  });

  describe('on the management API', () => {
    const send = (body: string, contentType = 'application/json') => post('/v1/service-accounts', body, { authorization: `Bearer ${token}`, 'content-type': contentType });

    it.each([
      ['malformed JSON', '{"name":', 'application/json', 400, 'not valid JSON'],
      ['a missing name', '{}', 'application/json', 400, 'name'],
      ['a wrong type', '{"name": 42}', 'application/json', 400, 'name'],
      ['an extra field', '{"name":"x","admin":true}', 'application/json', 400, 'Unrecognized key'],
      ['an unknown token type', '{"name":"x","accessTokenType":"saml"}', 'application/json', 400, 'accessTokenType'],
      ['a non-JSON content type', 'name=x', 'application/x-www-form-urlencoded', 415, 'application/json'],
      ['an empty body', '', 'application/json', 400, 'JSON request body is required'],
      ['an oversized body', JSON.stringify({ name: 'x', description: 'y'.repeat(70_000) }), 'application/json', 413, 'larger than'],
    ])('refuses %s with a clear problem and writes nothing', async (_, body, contentType, status, detail) => {
      const before = await accountCount();
      const response = await send(body, contentType);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { detail: string }).detail).toContain(detail);
      expect(await accountCount()).toBe(before);
    });

    it('refuses a body that is not valid UTF-8 instead of storing U+FFFD in place of its bytes', async () => {
      const before = await accountCount();
      const bytes = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      const response = await fetch(`${runtime.url}/v1/service-accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: bytes,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toBe('the request body is not valid UTF-8');
      expect(await accountCount()).toBe(before);
      // The same text in UTF-8 is a name like any other.
      const good = await send('{"name":"café"}');
      expect(good.status).toBe(201);
      expect(((await good.json()) as { name: string }).name).toBe('café');
    });

    it('never answers a 5xx to arbitrary JSON, and writes only what it accepts', async () => {
      const before = await accountCount();
      let created = 0;
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
          const response = await send(JSON.stringify(value));
          expect(response.status).toBeLessThan(500);
          if (response.status === 201) created++;
          else expect(response.status).toBeGreaterThanOrEqual(400);
        }),
        { numRuns: 60 },
      );
      expect(await accountCount()).toBe(before + created);
    });

    it('refuses garbage Authorization headers with 401', async () => {
      for (const authorization of ['Bearer', 'Bearer a.b.c', 'Basic abc', `Bearer ${'x'.repeat(5000)}`, 'token']) {
        const response = await fetch(`${runtime.url}/v1/service-accounts`, { headers: { authorization } });
        expect(response.status, authorization.slice(0, 20)).toBe(401);
      }
    });
  });
});
