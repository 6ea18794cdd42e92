import { LatchkeyClientError } from './errors';

/** A service-account access token, as answered by Latchkey. */
export interface ServiceAccountToken {
  /** The signed JWT; send it as `Authorization: Bearer <accessToken>`. */
  readonly accessToken: string;
  /** Seconds the token was valid for when it was issued. */
  readonly expiresInSeconds: number;
  /** `Bearer`. */
  readonly tokenType: string;
  /** The granted scope, when scopes were asked for. */
  readonly scope?: string;
}

/** Options of {@link getServiceAccountToken}. */
export interface TokenRequestOptions {
  /** Space-separated scopes, e.g. `urn:zitadel:iam:org:project:id:orders:aud` to get a token for the resource `orders`. */
  readonly scope?: string;
  /** RFC 8707 resource indicators: resource keys or audience URIs the token is for. */
  readonly resource?: string | readonly string[];
  /** The `fetch` to use; defaults to the global one. */
  readonly fetch?: typeof fetch;
  /** Aborts the request. */
  readonly signal?: AbortSignal;
}

/**
 * Gets an access token for a service account with the OAuth client credentials grant
 * (`POST {baseUrl}/oauth/v2/token`, client authenticated with HTTP Basic).
 *
 * ```ts
 * const { accessToken } = await getServiceAccountToken('https://id.example.com', clientId, clientSecret);
 * ```
 *
 * Each call asks for a new token; use {@link createTokenProvider} to reuse one until shortly before it expires.
 *
 * @param baseUrl the Latchkey base URL (the issuer), e.g. `https://id.example.com`
 * @throws {LatchkeyClientError} with the OAuth error `code` (e.g. `invalid_client`) and HTTP `status`,
 *   or `network_error` / `invalid_response`
 */
export async function getServiceAccountToken(baseUrl: string, clientId: string, clientSecret: string, options: TokenRequestOptions = {}): Promise<ServiceAccountToken> {
  const endpoint = tokenEndpoint(baseUrl);
  if (!clientId || !clientSecret) throw new TypeError('clientId and clientSecret are required');

  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope) form.set('scope', options.scope);
  for (const resource of typeof options.resource === 'string' ? [options.resource] : (options.resource ?? [])) {
    form.append('resource', resource);
  }

  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: {
        // RFC 6749 §2.3.1: both values are form-encoded before they are joined and base64-encoded.
        authorization: `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new LatchkeyClientError('network_error', `could not reach ${endpoint}: ${(error as Error).message}`, undefined, { cause: error });
  }

  const body = await readJson(response);
  if (!response.ok) {
    const code = typeof body?.error === 'string' ? body.error : 'invalid_response';
    const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new LatchkeyClientError(code, `token request failed with ${response.status} ${code}${description}`, response.status);
  }
  const { access_token: accessToken, expires_in: expiresIn, token_type: tokenType, scope } = body ?? {};
  if (typeof accessToken !== 'string' || !accessToken || typeof tokenType !== 'string' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new LatchkeyClientError('invalid_response', `${endpoint} did not answer a token response`, response.status);
  }
  return { accessToken, expiresInSeconds: expiresIn, tokenType, ...(typeof scope === 'string' ? { scope } : {}) };
}

function tokenEndpoint(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute URL, not "${baseUrl}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`baseUrl must be http(s), not "${url.protocol}"`);
  return `${url.href.replace(/\/+$/, '')}/oauth/v2/token`;
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await response.json();
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `application/x-www-form-urlencoded` encoding: ASCII only, so `btoa` can take it in any runtime. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
