import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * An HTTP API hands `application/x-www-form-urlencoded` bodies to Lambda base64-encoded
 * (`isBase64Encoded: true`), and so does the local emulation: the OAuth endpoints, which read only
 * form bodies, must decode them. (The emulation's side is tested in api-gateway-emulation.test.ts.)
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

const basic = (clientId: string, clientSecret: string) => `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
const postForm = async (path: string, form: string) => {
  const response = await fetch(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { authorization: basic(runtime.devAdmin.clientId, runtime.devAdmin.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

describe('form bodies as API Gateway delivers them', () => {
  it('issue, introspect and revoke a token', async () => {
    const issued = await requestToken(runtime.url, runtime.devAdmin);
    expect(issued.status).toBe(200);
    const token = issued.body.access_token as string;
    expect((await postForm('/oauth/v2/introspect', `token=${encodeURIComponent(token)}`)).body).toMatchObject({ active: true });
    expect((await postForm('/oauth/v2/revoke', `token=${encodeURIComponent(token)}&token_type_hint=access_token`)).status).toBe(200);
    expect((await postForm('/oauth/v2/introspect', `token=${encodeURIComponent(token)}`)).body).toEqual({ active: false });
  });

  it('read the decoded parameters, not the base64 text: a repeated parameter is named in the error', async () => {
    const answer = await postForm('/oauth/v2/token', 'grant_type=client_credentials&grant_type=client_credentials');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: 'parameter "grant_type" must not be repeated' });
  });

  it('accept credentials in a form body with percent-encoded characters', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: runtime.devAdmin.clientId, client_secret: runtime.devAdmin.clientSecret });
    const response = await fetch(`${runtime.url}/oauth/v2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(response.status).toBe(200);
    expect(form.toString()).toContain('%40'); // the @ of the client ID travels encoded
  });
});
