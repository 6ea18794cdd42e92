/**
 * Latchkey's one error hierarchy.
 *
 * Every error a client may see is a `LatchkeyError`: an HTTP status, a stable snake_case `code`
 * (the RFC 6749 error code where one applies) and a message that is safe to show. What is not safe
 * to show (the exact reason a credential was refused, a stack) goes to `internalDetail`, which only
 * the log sees. `src/http/error-mapping.ts` is the one place these become OAuth errors,
 * problem+json or GraphQL errors. Anything that is not a `LatchkeyError` is a bug and becomes a
 * generic 500.
 *
 * Programmer misuse (a missing environment variable, a wrong argument) throws `TypeError` instead.
 */

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `grants.0.resource`; empty for the whole body. */
  readonly path: string;
  readonly message: string;
}

export interface LatchkeyErrorOptions {
  /** Logged, never shown: the precise reason behind a deliberately vague public message. */
  readonly internalDetail?: string;
  readonly fields?: readonly FieldProblem[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class LatchkeyError extends Error {
  readonly internalDetail: string | undefined;
  readonly fields: readonly FieldProblem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: LatchkeyErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.internalDetail = options.internalDetail;
    this.fields = options.fields ?? [];
    this.headers = options.headers ?? {};
  }
}

// ---- Request shape (any surface) -------------------------------------------------------------

/** The request is malformed: a missing or wrong parameter, an unreadable body. */
export class InvalidRequest extends LatchkeyError {
  constructor(message: string, options?: LatchkeyErrorOptions) {
    super(400, 'invalid_request', message, options);
  }
}

export class PayloadTooLarge extends LatchkeyError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `the request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends LatchkeyError {
  constructor(expected: string) {
    super(415, 'unsupported_media_type', `the request body must be ${expected}`);
  }
}

export class RouteNotFound extends LatchkeyError {
  constructor(path: string) {
    super(404, 'not_found', `no operation at ${path}`);
  }
}

export class MethodNotAllowed extends LatchkeyError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    });
  }
}

// ---- Management API --------------------------------------------------------------------------

/** A management record does not exist in the caller's environment (or in any, as far as it can tell). */
export class NotFound extends LatchkeyError {
  constructor(what: string) {
    super(404, 'not_found', `${what} was not found`);
  }
}

export class Conflict extends LatchkeyError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** A record changed between its read and a write conditional on its version (optimistic concurrency). */
export class ConcurrentUpdate extends Conflict {
  constructor(what: string) {
    super(`${what} changed concurrently; retry`);
  }
}

/** No usable bearer token was presented. */
export class TokenRequired extends LatchkeyError {
  constructor(message = 'a bearer token is required', options?: LatchkeyErrorOptions) {
    super(401, 'token_required', message, { ...options, headers: { 'www-authenticate': 'Bearer', ...options?.headers } });
  }
}

/** A bearer token was presented but is not valid (bad signature, expired, wrong issuer...). */
export class InvalidToken extends LatchkeyError {
  constructor(message = 'the bearer token is not valid', options?: LatchkeyErrorOptions) {
    super(401, 'invalid_token', message, {
      ...options,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"', ...options?.headers },
    });
  }
}

/** The caller is authenticated but lacks a permission. */
export class NotAuthorized extends LatchkeyError {
  constructor(message: string, options?: LatchkeyErrorOptions) {
    super(403, 'not_authorized', message, options);
  }
}

// ---- OAuth token endpoint (RFC 6749 §5.2, RFC 8707) -----------------------------------------

export class InvalidClient extends LatchkeyError {
  /**
   * @param basicScheme the client tried HTTP Basic, so the answer must challenge it (RFC 6749 §5.2).
   * @param description what the client may be told instead of the generic message; never a credential's detail.
   */
  constructor(internalDetail: string, basicScheme = false, description = 'client authentication failed') {
    super(401, 'invalid_client', description, {
      internalDetail,
      headers: basicScheme ? { 'www-authenticate': 'Basic realm="latchkey", charset="UTF-8"' } : {},
    });
  }
}

export class UnsupportedGrantType extends LatchkeyError {
  constructor(grantType: string) {
    super(400, 'unsupported_grant_type', `grant_type "${grantType}" is not supported`);
  }
}

export class UnauthorizedClient extends LatchkeyError {
  constructor(message: string) {
    super(400, 'unauthorized_client', message);
  }
}

export class InvalidScope extends LatchkeyError {
  constructor(message: string) {
    super(400, 'invalid_scope', message);
  }
}

export class InvalidTarget extends LatchkeyError {
  constructor(message: string) {
    super(400, 'invalid_target', message);
  }
}

// ---- OAuth revocation endpoint (RFC 7009 §2.2.1) --------------------------------------------

export class UnsupportedTokenType extends LatchkeyError {
  constructor(hint: string) {
    super(
      400,
      'unsupported_token_type',
      `token_type_hint "${hint.slice(0, 64)}" names a kind of token Latchkey does not revoke; use access_token, refresh_token or personal_access_token`,
    );
  }
}

// ---- Delegated authentication ------------------------------------------------

/**
 * The environment is not set up to vouch for end users of this application yet. Each cause has its
 * own code so a caller can tell which setting to fix: `idp_connection_missing`,
 * `idp_connection_disabled`, `application_not_assigned`.
 */
export class DelegationNotConfigured extends LatchkeyError {
  constructor(code: 'idp_connection_missing' | 'idp_connection_disabled' | 'application_not_assigned', message: string) {
    super(409, code, message);
  }
}

/** The end user a token or login was asked for is disabled: nothing is issued for it until it is enabled again. */
export class EndUserDisabled extends LatchkeyError {
  constructor(userId: string) {
    super(409, 'user_disabled', `the end user "${userId}" is disabled`);
  }
}

/** The application a delegated token was asked for does not exist in the caller's environment. */
export class ApplicationNotFound extends LatchkeyError {
  constructor(applicationId: string) {
    super(404, 'application_not_found', `application "${applicationId.slice(0, 64)}" does not exist in this environment`);
  }
}

/** The application's enrichment webhook failed and its policy is `fail`: no token is issued. */
export class EnrichmentFailed extends LatchkeyError {
  constructor(applicationId: string, reason: string, whose = `the enrichment webhook of application "${applicationId}"`) {
    super(502, 'enrichment_failed', `${whose} failed: ${reason}`);
  }
}

// ---- Abuse limits and dependency outages (RFC 6585 §4, RFC 9110 §15.6.4) ----------------------

/**
 * Client authentication was refused before it was evaluated: this client ID has failed too often
 * from this address (see `authentication-throttle.ts`). The OAuth answer's `error` is
 * `temporarily_unavailable` (see `error-mapping.ts`); `Retry-After` says when the window ends.
 */
export class TooManyFailedAttempts extends LatchkeyError {
  constructor(retryAfterSeconds: number, internalDetail: string) {
    super(429, 'too_many_attempts', `too many failed authentication attempts for this client; retry after ${retryAfterSeconds} seconds`, {
      internalDetail,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/**
 * A dependency (the table, KMS, Secrets Manager) timed out, refused the connection, throttled or
 * failed. Nothing was written that a retry would not complete; the client may retry after a moment.
 */
export class ServiceUnavailable extends LatchkeyError {
  constructor(internalDetail: string, retryAfterSeconds = 5, cause?: unknown) {
    super(503, 'temporarily_unavailable', 'the service is temporarily unavailable; try again shortly', {
      internalDetail,
      headers: { 'retry-after': String(retryAfterSeconds) },
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

// ---- Interactive login (RFC 6749 §4.1, OpenID Connect Core §3.1) ----------------------------

/** A grant (authorization code, refresh token) that is unknown, expired, spent or not the client's (RFC 6749 §5.2). */
export class InvalidGrant extends LatchkeyError {
  constructor(message: string, internalDetail?: string) {
    super(400, 'invalid_grant', message, internalDetail ? { internalDetail } : {});
  }
}

/** A login or consent challenge that has passed its expiry. */
export class ChallengeExpired extends LatchkeyError {
  constructor(what: string) {
    super(410, 'challenge_expired', `${what} has expired; start the sign-in again`);
  }
}

/**
 * An authorization request that is answered by sending the browser back to the client with
 * `error`, `error_description`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207). Errors that cannot
 * be trusted with a redirect (unknown client, unregistered redirect URI) are other errors and get an
 * HTML page.
 */
export class AuthorizationRedirectError extends LatchkeyError {
  constructor(
    code: string,
    message: string,
    readonly redirectUri: string,
    readonly state: string | undefined,
    readonly issuer: string,
    /** `internalDetail`: logged, never shown (an upstream identity provider's failure, for instance). */
    options?: LatchkeyErrorOptions,
  ) {
    super(303, code, message, options);
  }
}

/** The bearer token is valid but was not granted the scope the resource needs (RFC 6750 §3.1). */
export class InsufficientScope extends LatchkeyError {
  constructor(scope: string) {
    super(403, 'insufficient_scope', `the access token was not granted the "${scope}" scope`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
}

// ---- Token signing ---------------------------------------------------------------------------

/**
 * A token was asked for with a signing algorithm this deployment has no key for (RS256 in KMS
 * signing mode without an RSA signing key). A 400, not a 500: the client's registered choice cannot
 * be honoured, and the message says which setting would change that.
 */
export class SigningAlgorithmNotConfigured extends LatchkeyError {
  constructor(alg: string) {
    super(400, 'invalid_request', `${alg} is not configured in this deployment; set up an RSA signing key or use ES256`);
  }
}

// ---- DPoP (RFC 9449) -------------------------------------------------------------------------

/**
 * A DPoP proof is missing where one is required, or fails a check of RFC 9449 §4.3: a 400 at the
 * token endpoint (§5), a 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` at a protected
 * resource (§7.1).
 */
export class InvalidDpopProof extends LatchkeyError {
  constructor(message: string, where: 'token-endpoint' | 'resource', options?: LatchkeyErrorOptions) {
    super(where === 'resource' ? 401 : 400, 'invalid_dpop_proof', message, {
      ...options,
      ...(where === 'resource' ? { headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' } } : {}),
    });
  }
}

/** A DPoP-bound access token presented as a bearer token, or a bearer token under the DPoP scheme (RFC 9449 §7.1, §7.2). */
export class InvalidDpopToken extends LatchkeyError {
  constructor(message: string) {
    super(401, 'invalid_token', message, { headers: { 'www-authenticate': 'DPoP error="invalid_token"' } });
  }
}
