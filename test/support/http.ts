import { expect } from 'vitest';

/** Small helpers for tests that talk to the local runtime over HTTP, as a client would. */

export interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** `POST /oauth/v2/token` with HTTP Basic and the given form fields. */
export async function requestToken(url: string, credentials: Credentials, form: Record<string, string> = {}): Promise<TokenAnswer> {
  const response = await fetch(`${url}/oauth/v2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** A management API token for the runtime's development administrator (or other credentials). */
export async function adminToken(runtime: { url: string; devAdmin: Credentials }, credentials: Credentials = runtime.devAdmin): Promise<string> {
  const answer = await requestToken(runtime.url, credentials);
  if (answer.status !== 200) throw new Error(`token request failed: ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

export interface ApiAnswer<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A JSON client for the management API, authenticated with a bearer token. */
export function api(url: string, token: string) {
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  };
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body),
    put: <T = any>(path: string, body?: unknown) => call<T>('PUT', path, body),
    patch: <T = any>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
  };
}

/**
 * A service account made through the management API as `admin` with `body` (its name at least), then
 * granted `grants`, each answer checked; the created account, its one-time client secret included.
 */
export async function createServiceAccount<T = Credentials & { id: string }>(admin: ReturnType<typeof api>, body: Record<string, unknown>, grants: readonly unknown[]): Promise<T> {
  const created = await admin.post('/v1/service-accounts', body);
  expect(created.status).toBe(201);
  expect((await admin.put(`/v1/service-accounts/${created.body.id}/permissions`, { grants })).status).toBe(200);
  return created.body as T;
}
