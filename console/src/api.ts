/**
 * The console's one way to the management API, on the console's own origin (no CORS).
 *
 * The access token lives in this module's closure only: never in localStorage, sessionStorage, a
 * cookie or the URL, so it is gone when the tab closes or reloads and no other script on the page
 * (there is none under the CSP) nor another tab can read it. A client secret is used for the token
 * request and then dropped by the caller.
 */

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A refusal from the API: its message, stable code and the fields it names (problem+json `errors`). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The message for a field, matched by its path or the path's first segment (`redirectUris.0` → `redirectUris`). */
  fieldMessage(field: string): string | undefined {
    const matching = this.fields.filter((problem) => problem.path === field || problem.path.split('.')[0] === field);
    return matching.length > 0 ? matching.map((problem) => problem.message).join('; ') : undefined;
  }
}

let accessToken: string | undefined;
let signedOutListener: (() => void) | undefined;

export function isSignedIn(): boolean {
  return accessToken !== undefined;
}

export function onSignedOut(listener: () => void): void {
  signedOutListener = listener;
}

export function signOut(): void {
  accessToken = undefined;
  signedOutListener?.();
}

/** Client credentials grant for a service account; the secret goes no further than this request. */
export async function signInWithClientCredentials(clientId: string, clientSecret: string): Promise<void> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  const response = await fetch('/oauth/v2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    credentials: 'omit',
    cache: 'no-store',
  });
  const answer = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !answer.access_token) {
    throw new ApiError(answer.error_description ?? answer.error ?? `sign-in failed (${response.status})`, response.status, answer.error ?? 'sign_in_failed');
  }
  accessToken = answer.access_token;
  await checkManagementAccess();
}

/** A personal access token is itself the bearer token; it is checked with one read before it is kept. */
export async function signInWithPersonalAccessToken(token: string): Promise<void> {
  accessToken = token.trim();
  await checkManagementAccess();
}

async function checkManagementAccess(): Promise<void> {
  try {
    await api('GET', '/v1/environment');
  } catch (error) {
    accessToken = undefined;
    throw error;
  }
}

/** Calls the management API with the in-memory token; answers the parsed JSON body (undefined for 204). */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  if (!accessToken) throw new ApiError('not signed in', 401, 'not_signed_in');
  const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const answer = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const error = new ApiError(
      String(answer.detail ?? answer.title ?? answer.message ?? `request failed (${response.status})`),
      response.status,
      String(answer.code ?? response.status),
      Array.isArray(answer.errors) ? (answer.errors as FieldProblem[]) : [],
    );
    // A token that expired or whose account was disabled: back to the sign-in form.
    if (response.status === 401) signOut();
    throw error;
  }
  return answer as T;
}

/**
 * Every item of a paged list (`{items, cursor}`): pages of 100, the API's largest, until it answers
 * no cursor. A list never stops silently at its first page.
 */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await api<{ cursor?: string }>('GET', `${path}?${query}`);
    items.push(...itemsOf<T>(page));
    cursor = page.cursor;
  } while (cursor);
  return items;
}

/** Any list answer (`{items}` or a bare array) as an array. */
export function itemsOf<T>(answer: unknown): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const items = (answer as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}
