/** Stable codes of guard failures; a resource server can switch on them. */
export type GuardErrorCode =
  | 'TOKEN_REQUIRED'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'NOT_AUTHORIZED'
  | 'SIGNING_KEY_NOT_FOUND'
  | 'JWKS_UNREACHABLE'
  /** The token is bound to a client certificate (`cnf.x5t#S256`) and none was presented. */
  | 'CERTIFICATE_REQUIRED'
  /** The presented client certificate is not the one the token is bound to. */
  | 'CERTIFICATE_MISMATCH'
  /** The token is bound to a DPoP key (`cnf.jkt`) and came without a proof, or as a Bearer token. */
  | 'DPOP_PROOF_REQUIRED'
  /** The DPoP proof fails a check of RFC 9449 §4.3, was used before, or is of another key than the token's. */
  | 'DPOP_PROOF_INVALID'
  /** The `introspection` option is set and the endpoint gave no answer (see introspection.ts). */
  | 'INTROSPECTION_FAILED';

/** Why a token was not accepted. `code` is stable; `message` is for people. */
export class GuardError extends Error {
  override readonly name = 'GuardError';

  constructor(
    readonly code: GuardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status a resource server should answer with. */
  get status(): 401 | 403 | 503 {
    if (this.code === 'NOT_AUTHORIZED') return 403;
    if (this.code === 'JWKS_UNREACHABLE' || this.code === 'INTROSPECTION_FAILED') return 503;
    return 401;
  }
}
