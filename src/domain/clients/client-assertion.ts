import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { InvalidClient } from '../errors';
import type { Clock } from '../primitives';
import { ASSERTION_ALGORITHMS, type StoredOidcClient } from './model';

/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9).
 *
 * Rules, checked in this order; any failure is `invalid_client`, the exact reason goes to the log:
 * 1. The assertion is a compact JWS signed with one of ASSERTION_ALGORITHMS (never `none` or HMAC).
 * 2. Its signature verifies with a key of the client's registered `jwks`, or of its `jwksUri`.
 * 3. `iss` and `sub` are both the client ID.
 * 4. `aud` names the token endpoint URL or the issuer.
 * 5. `exp` is present and not past, and at most MAX_ASSERTION_LIFETIME_SECONDS ahead; `nbf` and `iat`,
 *    when present, are not in the future. The tolerance is CLOCK_TOLERANCE_SECONDS throughout.
 * 6. `jti` is present and has never been accepted for this client before its `exp` (replay): it is
 *    recorded by a conditional write on a deterministic key, so two concurrent uses cannot both win.
 */

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
export const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_JTI_LENGTH = 256;

export interface AssertionReplayStore {
  /** Records a `jti` until `expiresAt` (epoch seconds); false when it is already recorded and not expired. */
  recordAssertionId(environmentId: string, clientId: string, jti: string, expiresAt: number, nowSeconds: number): Promise<boolean>;
}

export interface AssertionDeps {
  readonly issuer: string;
  readonly now: Clock;
  readonly replay: AssertionReplayStore;
  /** The key set behind a `jwksUri`, fetched and cached by the adapter. */
  readonly remoteJwks: (uri: string) => JWTVerifyGetKey;
}

export function tokenEndpoint(issuer: string): string {
  return `${issuer}/oauth/v2/token`;
}

export async function verifyClientAssertion(deps: AssertionDeps, client: StoredOidcClient, assertion: string): Promise<void> {
  const keys = client.jwks ? createLocalJWKSet(client.jwks as JSONWebKeySet) : client.jwksUri ? deps.remoteJwks(client.jwksUri) : undefined;
  if (!keys) throw new InvalidClient(`client ${client.id} has no JWKS registered`);
  const nowSeconds = Math.floor(deps.now() / 1000);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      algorithms: [...ASSERTION_ALGORITHMS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [tokenEndpoint(deps.issuer), deps.issuer],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    }));
  } catch (error) {
    throw new InvalidClient(`client assertion of ${client.id} refused: ${describe(error)}`);
  }
  const exp = payload.exp!;
  if (exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    throw new InvalidClient(`client assertion of ${client.id} expires more than ${MAX_ASSERTION_LIFETIME_SECONDS}s ahead`);
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new InvalidClient(`client assertion of ${client.id} was issued in the future`);
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new InvalidClient(`client assertion of ${client.id} has no usable jti`);
  }
  const fresh = await deps.replay.recordAssertionId(client.environmentId, client.id, jti, exp + CLOCK_TOLERANCE_SECONDS, nowSeconds);
  if (!fresh) throw new InvalidClient(`client assertion of ${client.id} replayed (jti already used)`);
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason}: ${error.message}`;
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
