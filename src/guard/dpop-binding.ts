import { DpopProofError, verifyDpopProof } from '../dpop-proof';
import { GuardError } from './errors';

/**
 * DPoP-bound access tokens (RFC 9449 §7): a token whose `cnf` claim carries `jkt` may be used only
 * with a proof signed by that key, for this very request. The proof's own checks (`typ`, algorithm,
 * public `jwk`, signature, `htm`, `htu`, `iat` window, `ath`, single-use `jti`) are
 * `src/dpop-proof.ts`, the same as Latchkey's. Rules, in order:
 * 1. A token without `cnf.jkt` is not DPoP-bound; presented under the `DPoP` scheme it is refused
 *    (TOKEN_INVALID), otherwise nothing more is asked.
 * 2. A bound token presented under the `Bearer` scheme, or without a proof, is refused (DPOP_PROOF_REQUIRED).
 * 3. The proof must pass every check for the request's method and URL and the token (DPOP_PROOF_INVALID);
 *    its `jti` is remembered in the replay cache until it leaves the proof window.
 * 4. The proof's key must be the one the token is bound to (DPOP_PROOF_INVALID).
 */

/** The DPoP proof of the request a token came with (RFC 9449 §7.1). */
export interface DpopPresentation {
  /** The request's `DPoP` header value; undefined when it had none. */
  readonly proof: string | undefined;
  /** The request's HTTP method. */
  readonly method: string;
  /** The request's URL as the client addressed it (the public URL, not an internal one); query and fragment are ignored. */
  readonly url: string;
}

/**
 * Where a guard remembers the proofs it accepted, so none is accepted twice. The default is an
 * in-memory cache per guard, which is enough for one process; several instances of a resource
 * server share one (a table with a conditional write, Redis `SET NX EX`) by passing their own.
 */
export interface DpopReplayCache {
  /**
   * Remembers the proof `jti` of the key `jkt` until `expiresAt` (epoch seconds). Answers false when
   * it is already remembered and not expired. `environmentId` is the token's, to partition by.
   */
  record(entry: { readonly jkt: string; readonly jti: string; readonly expiresAt: number; readonly environmentId: string }): Promise<boolean>;
}

/** The default replay cache: one process's memory, with expired entries dropped as it grows. */
export function inMemoryDpopReplayCache(now: () => number = Date.now): DpopReplayCache {
  const seen = new Map<string, number>();
  return {
    async record({ jkt, jti, expiresAt, environmentId }) {
      const nowSeconds = Math.floor(now() / 1000);
      if (seen.size >= 10_000) for (const [key, until] of seen) if (until <= nowSeconds) seen.delete(key);
      const key = `${environmentId} ${jkt} ${jti}`;
      const until = seen.get(key);
      if (until !== undefined && until > nowSeconds) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

/** How the request presented the token: under which `Authorization` scheme, when the guard read the header. */
export type PresentedScheme = 'Bearer' | 'DPoP' | undefined;

/**
 * Enforces the rules above for one verified token.
 * @throws GuardError TOKEN_INVALID, DPOP_PROOF_REQUIRED or DPOP_PROOF_INVALID.
 */
export async function checkDpopBinding(
  claims: { readonly cnf?: unknown; readonly environmentId: string },
  token: string,
  scheme: PresentedScheme,
  presentation: DpopPresentation | undefined,
  options: { readonly cache: DpopReplayCache; readonly now: () => number },
): Promise<void> {
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  const bound = cnf?.jkt;
  if (bound === undefined) {
    if (scheme === 'DPoP') throw new GuardError('TOKEN_INVALID', 'the token is not bound to a DPoP key; send it as a Bearer token');
    return;
  }
  if (typeof bound !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(bound)) throw new GuardError('TOKEN_INVALID', 'the "cnf" claim\'s "jkt" is not a base64url SHA-256 thumbprint');
  if (scheme === 'Bearer') throw new GuardError('DPOP_PROOF_REQUIRED', 'the token is bound to a DPoP key: send it as "Authorization: DPoP <token>" with a DPoP proof');
  if (presentation?.proof === undefined) throw new GuardError('DPOP_PROOF_REQUIRED', 'the token is bound to a DPoP key (cnf.jkt); a DPoP proof is required');
  let jkt: string;
  try {
    ({ jkt } = await verifyDpopProof(presentation.proof, {
      method: presentation.method,
      url: presentation.url,
      accessToken: token,
      nowSeconds: Math.floor(options.now() / 1000),
      record: (entry) => options.cache.record({ ...entry, environmentId: claims.environmentId }),
    }));
  } catch (error) {
    if (error instanceof DpopProofError) throw new GuardError('DPOP_PROOF_INVALID', error.message, { cause: error });
    throw error;
  }
  if (jkt !== bound) throw new GuardError('DPOP_PROOF_INVALID', 'the DPoP proof is signed with another key than the one the token is bound to');
}
