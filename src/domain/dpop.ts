import { DpopProofError, verifyDpopProof } from '../dpop-proof';
import type { AssertionReplayStore } from './clients/client-assertion';
import { InvalidDpopProof, InvalidDpopToken } from './errors';
import type { Clock } from './ports';

/**
 * DPoP (RFC 9449) at Latchkey's own endpoints. The proof's checks are `src/dpop-proof.ts`, shared
 * with the guard; here is what Latchkey does with them.
 *
 * Token endpoint (§5), for every grant:
 * 1. A request without a `DPoP` header gets a bearer token, unless the client requires DPoP
 *    (`requireDpop`): then `invalid_dpop_proof`.
 * 2. A proof is checked for `POST` and the token endpoint's URL; its `jti` is recorded in the
 *    client's environment, by the same conditional write on a deterministic key as client
 *    assertions, until the proof leaves its window; a failure is `invalid_dpop_proof` (400).
 * 3. The proof key's thumbprint binds the access token (`cnf.jkt`, `token_type` `DPoP`) and a public
 *    client's refresh token (the grants).
 * Protected resources (userinfo, the management API; §7):
 * 4. A token with `cnf.jkt` must come as `Authorization: DPoP <token>` with a proof of that key for
 *    this request's method and URL and with `ath`, else 401 `WWW-Authenticate: DPoP error=...`; as
 *    `Bearer` it is refused (§7.2). A token without `cnf.jkt` under the `DPoP` scheme is refused too.
 * Server-provided nonces (§8) are not used: the proof window and the replay record bound a proof's life.
 */

export interface DpopDeps {
  readonly now: Clock;
  /** Where used proof `jti`s are recorded (the client-assertion replay records). */
  readonly replay: AssertionReplayStore;
}

/** The DPoP proof of one request, and the method and URL it must be for. */
export interface PresentedDpop {
  /** The `DPoP` header's value; undefined when the request had none. */
  readonly proof: string | undefined;
  readonly method: string;
  readonly url: string;
}

/** Rules 1 and 2: the thumbprint of the proof's key, or undefined for a request without a proof. */
export async function tokenRequestKey(deps: DpopDeps, environmentId: string, presented: PresentedDpop, required: boolean): Promise<string | undefined> {
  if (presented.proof === undefined) {
    if (required) throw new InvalidDpopProof('this client must send a DPoP proof (RFC 9449) with its token requests', 'token-endpoint');
    return undefined;
  }
  return (await checkProof(deps, environmentId, presented, undefined, 'token-endpoint')).jkt;
}

/** Rule 4, for a token that verified: `scheme` is how the Authorization header named it. */
export async function checkResourceProof(
  deps: DpopDeps,
  claims: { readonly environmentId: string; readonly cnf?: { readonly jkt?: string } },
  accessToken: string,
  scheme: 'Bearer' | 'DPoP',
  presented: PresentedDpop,
): Promise<void> {
  const bound = claims.cnf?.jkt;
  if (bound === undefined) {
    if (scheme === 'DPoP') throw new InvalidDpopToken('the access token is not bound to a DPoP key: send it as a Bearer token');
    return;
  }
  if (scheme !== 'DPoP') throw new InvalidDpopToken('the access token is bound to a DPoP key: send it as "Authorization: DPoP <token>" with a DPoP proof');
  const { jkt } = await checkProof(deps, claims.environmentId, presented, accessToken, 'resource');
  if (jkt !== bound) throw new InvalidDpopProof('the DPoP proof is signed with another key than the one the token is bound to', 'resource');
}

/** Rule 2's record of a used proof, also the management API guard's replay cache: false when its `jti` was used before. */
export function recordDpopProof(deps: DpopDeps, environmentId: string, proof: { readonly jkt: string; readonly jti: string; readonly expiresAt: number }): Promise<boolean> {
  return deps.replay.recordAssertionId(environmentId, `dpop#${proof.jkt}`, proof.jti, proof.expiresAt, Math.floor(deps.now() / 1000));
}

async function checkProof(deps: DpopDeps, environmentId: string, presented: PresentedDpop, accessToken: string | undefined, where: 'token-endpoint' | 'resource') {
  const nowSeconds = Math.floor(deps.now() / 1000);
  try {
    return await verifyDpopProof(presented.proof, {
      method: presented.method,
      url: presented.url,
      ...(accessToken !== undefined ? { accessToken } : {}),
      nowSeconds,
      record: (proof) => recordDpopProof(deps, environmentId, proof),
    });
  } catch (error) {
    if (error instanceof DpopProofError) throw new InvalidDpopProof(error.message, where);
    throw error;
  }
}
