import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';

/**
 * The checks of a DPoP proof (RFC 9449 §4.3), shared by Latchkey's token endpoint, userinfo and
 * management API and by the guard resource servers import. A leaf: it imports nothing of Latchkey,
 * like `access-token-claims.ts`, so the guard and the domain share it without importing each other.
 *
 * Rules, checked in this order; the first that fails is reported (a `DpopProofError`):
 * 1. Exactly one proof: present, and not several `DPoP` headers (joined with a comma).
 * 2. It is a compact JWS whose header has `typ` `dpop+jwt`, an asymmetric `alg` of DPOP_ALGORITHMS
 *    (never `none` or HMAC), and a public `jwk` with no private members.
 * 3. Its signature verifies with that `jwk`.
 * 4. `jti`, `htm`, `htu` and `iat` are present; `htm` is the request's method; `htu` is the request's
 *    URL without query and fragment, both normalised (RFC 3986 §6.2.2 and §6.2.3).
 * 5. `iat` is at most DPOP_PROOF_WINDOW_SECONDS old and at most DPOP_CLOCK_TOLERANCE_SECONDS ahead.
 * 6. With an access token (a protected resource), `ath` is the base64url SHA-256 of the token.
 * 7. The `jti` was not accepted before for this key within the window: the caller's `record`
 *    remembers it until the proof leaves the window and answers false for one already remembered.
 * Server-provided nonces (§8, §9) are not used: the window and the replay record bound a proof's life.
 */

/** The proof signing algorithms accepted (and advertised as `dpop_signing_alg_values_supported`). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;
/** How old a proof may be (rule 5). */
export const DPOP_PROOF_WINDOW_SECONDS = 120;
/** How far ahead of the verifier's clock a proof's `iat` may be (rule 5). */
export const DPOP_CLOCK_TOLERANCE_SECONDS = 30;

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JTI_LENGTH = 256;

/** Why a proof was refused; `message` names the rule and never contains the proof. */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';
}

/** The request a proof must be for. */
export interface DpopRequest {
  /** The request's HTTP method. */
  readonly method: string;
  /** The request's URL as the client addressed it (query and fragment are ignored). */
  readonly url: string;
  /** At a protected resource: the access token presented with the proof (rule 6). */
  readonly accessToken?: string;
  /** The verifier's clock, epoch seconds. */
  readonly nowSeconds: number;
  /** Rule 7: remembers `jti` for the key `jkt` until `expiresAt` (epoch seconds); false when already remembered. */
  readonly record: (proof: { readonly jkt: string; readonly jti: string; readonly expiresAt: number }) => Promise<boolean>;
}

/** What a valid proof proves: the RFC 7638 SHA-256 thumbprint of its key. */
export interface VerifiedDpopProof {
  readonly jkt: string;
  readonly jti: string;
}

/** Applies rules 1 to 7 to the value of a request's `DPoP` header. */
export async function verifyDpopProof(proof: string | undefined, request: DpopRequest): Promise<VerifiedDpopProof> {
  if (proof === undefined || proof.trim() === '') throw new DpopProofError('a DPoP proof is required');
  if (proof.includes(',')) throw new DpopProofError('send exactly one DPoP header');
  let jwk: JWK;
  try {
    const header = decodeProtectedHeader(proof);
    if (typeof header.jwk !== 'object' || header.jwk === null) throw new DpopProofError('the DPoP proof has no "jwk" header');
    jwk = header.jwk;
  } catch (error) {
    if (error instanceof DpopProofError) throw error;
    throw new DpopProofError('the DPoP proof is not a JWS');
  }
  if (jwk.kty === 'oct' || PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
    throw new DpopProofError('the DPoP proof\'s "jwk" must be a public asymmetric key');
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGORITHMS],
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      // Rule 5 is checked below, with its own window; jose's own checks are switched off for it.
      currentDate: new Date(request.nowSeconds * 1000),
      clockTolerance: DPOP_PROOF_WINDOW_SECONDS + DPOP_CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    throw new DpopProofError(`the DPoP proof is not valid: ${describe(error)}`);
  }
  const { jti, htm, htu, iat, ath } = payload as { jti: unknown; htm: unknown; htu: unknown; iat: number; ath?: unknown };
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw new DpopProofError('the DPoP proof has no usable "jti"');
  if (htm !== request.method.toUpperCase()) throw new DpopProofError(`the DPoP proof's "htm" is not ${request.method.toUpperCase()}`);
  if (typeof htu !== 'string' || normalisedTarget(htu) === undefined || normalisedTarget(htu) !== normalisedTarget(request.url)) {
    throw new DpopProofError('the DPoP proof\'s "htu" is not the URL of this request');
  }
  if (iat < request.nowSeconds - DPOP_PROOF_WINDOW_SECONDS || iat > request.nowSeconds + DPOP_CLOCK_TOLERANCE_SECONDS) {
    throw new DpopProofError(`the DPoP proof's "iat" is more than ${DPOP_PROOF_WINDOW_SECONDS}s old or in the future`);
  }
  if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken)) {
    throw new DpopProofError('the DPoP proof\'s "ath" is not the hash of the access token');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (!(await request.record({ jkt, jti, expiresAt: iat + DPOP_PROOF_WINDOW_SECONDS + DPOP_CLOCK_TOLERANCE_SECONDS }))) {
    throw new DpopProofError('the DPoP proof was used before (its "jti" was replayed)');
  }
  return { jkt, jti };
}

/** RFC 9449 §4.2 `ath`: the base64url SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** Rule 4: scheme, host, port and path after `URL`'s normalisation, without query and fragment. */
function normalisedTarget(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason}`;
  if (error instanceof errors.JOSEError) return error.code;
  return 'unreadable';
}
