import { GuardError } from './errors';

/**
 * Optional revocation check for the guard: after a token verifies locally, ask Latchkey's
 * introspection endpoint (RFC 7662) whether it is still active, so a token revoked (RFC 7009) or
 * whose service account was disabled is refused before it expires. It costs one HTTP call per
 * verification, which is why it is off unless a resource server asks for it.
 *
 * Rules: the guard authenticates as a client of the token's environment (a token of another
 * environment introspects inactive); only `active: true` passes; when the endpoint cannot give an
 * answer (unreachable, slow, refusing the guard's credentials, not JSON) the token is refused with
 * `INTROSPECTION_FAILED` (a 503): failing open would let revoked tokens through.
 */

export interface IntrospectionOptions {
  /** Defaults to `{issuer}/oauth/v2/introspect`. */
  readonly endpoint?: string | URL;
  /** Client ID and secret of a service account of the environment whose tokens are checked. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Milliseconds to wait for an answer; default 5000. */
  readonly timeoutMs?: number;
  /** The fetch to use (a custom agent, a test double); default the global one. */
  readonly fetch?: typeof fetch;
}

export async function assertActive(options: IntrospectionOptions, issuer: string, token: string): Promise<void> {
  const endpoint = options.endpoint ?? `${issuer}/oauth/v2/introspect`;
  // btoa, not Buffer: the guard also runs outside Node. Form-encoded values are ASCII.
  const credentials = btoa(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (error) {
    throw new GuardError('INTROSPECTION_FAILED', 'the introspection endpoint could not be reached', { cause: error });
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch (error) {
    throw new GuardError('INTROSPECTION_FAILED', `the introspection endpoint answered ${response.status} without JSON`, { cause: error });
  }
  if (!response.ok) {
    const code = (answer as { error?: unknown } | null)?.error;
    throw new GuardError('INTROSPECTION_FAILED', `the introspection endpoint refused the request (${response.status}${typeof code === 'string' ? ` ${code}` : ''})`);
  }
  if ((answer as { active?: unknown } | null)?.active !== true) {
    throw new GuardError('TOKEN_INVALID', 'the token is no longer active: it was revoked or its account was disabled');
  }
}

/** RFC 6749 §2.3.1: client ID and secret are form-encoded before they are joined for HTTP Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
