/**
 * Why a Latchkey client call failed.
 * - An OAuth error code from the token endpoint (RFC 6749 §5.2): `invalid_client` (wrong client ID
 *   or secret, disabled or deleted account), `invalid_scope`, `invalid_target`, `invalid_request`...
 * - `network_error`: no answer (DNS, connection refused, TLS, aborted).
 * - `invalid_response`: an answer that is not a Latchkey token response (a proxy's error page, a
 *   wrong base URL).
 */
export type LatchkeyClientErrorCode = 'network_error' | 'invalid_response' | (string & {});

/** Thrown by the client library when no token could be obtained. Never carries the client secret. */
export class LatchkeyClientError extends Error {
  override readonly name = 'LatchkeyClientError';

  constructor(
    /** The OAuth error code, or `network_error` / `invalid_response`. */
    readonly code: LatchkeyClientErrorCode,
    message: string,
    /** The HTTP status of the answer; undefined when there was none. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
