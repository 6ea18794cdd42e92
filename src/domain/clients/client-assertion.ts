import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { InvalidClient } from '../errors';
import type { Clock } from '../primitives';
import { ASSERTION_ALGORITHMS, type StoredOidcClient } from './model';

/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9), and the
 * same rules for the assertions signed with a service account's key (service-account-keys.ts).
 *
 * Rules, checked in this order; any failure is `invalid_client`, the exact reason goes to the log:
 * 1. The assertion is a compact JWS signed with one of ASSERTION_ALGORITHMS (never `none` or HMAC);
 *    a service account's key allows only the algorithms of its key type.
 * 2. Its signature verifies with a key of the client's registered `jwks`, or of its `jwksUri` (a
 *    service account: the key its `kid` names).
 * 3. `iss` and `sub` are both the client ID.
 * 4. `aud` names the token endpoint URL or the issuer.
 * 5. `exp` is present and not past, and at most MAX_ASSERTION_LIFETIME_SECONDS ahead (a service
 *    account's key: an hour, RFC 7523 §2.1's bearer grant); `nbf` and `iat`,
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
  await verifyJwtAssertion(deps, { environmentId: client.environmentId, id: client.id, clientId: client.clientId, keys, algorithms: ASSERTION_ALGORITHMS }, assertion);
}

/** Whoever signs an assertion, with the keys and algorithms it may sign with. */
export interface AssertionSigner {
  readonly environmentId: string;
  /** The signer's record ID (`cl_…`, `sa_…`): used `jti` values are recorded per signer. */
  readonly id: string;
  /** What `iss` and `sub` must both be. */
  readonly clientId: string;
  readonly keys: JWTVerifyGetKey;
  readonly algorithms: readonly string[];
  /** Rule 5's longest lifetime; MAX_ASSERTION_LIFETIME_SECONDS unless said. */
  readonly maxLifetimeSeconds?: number;
}

/** Rules 1 to 6 for any signer: a client's `private_key_jwt`, or a service account's key. */
export async function verifyJwtAssertion(deps: Pick<AssertionDeps, 'issuer' | 'now' | 'replay'>, signer: AssertionSigner, assertion: string): Promise<JWTPayload> {
  const maxLifetime = signer.maxLifetimeSeconds ?? MAX_ASSERTION_LIFETIME_SECONDS;
  const nowSeconds = Math.floor(deps.now() / 1000);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, signer.keys, {
      algorithms: [...signer.algorithms],
      issuer: signer.clientId,
      subject: signer.clientId,
      audience: [tokenEndpoint(deps.issuer), deps.issuer],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    }));
  } catch (error) {
    throw new InvalidClient(`assertion of ${signer.id} refused: ${describe(error)}`);
  }
  const exp = payload.exp!;
  if (exp > nowSeconds + maxLifetime + CLOCK_TOLERANCE_SECONDS) {
    throw new InvalidClient(`assertion of ${signer.id} expires more than ${maxLifetime}s ahead`);
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new InvalidClient(`assertion of ${signer.id} was issued in the future`);
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new InvalidClient(`assertion of ${signer.id} has no usable jti`);
  }
  const fresh = await deps.replay.recordAssertionId(signer.environmentId, signer.id, jti, exp + CLOCK_TOLERANCE_SECONDS, nowSeconds);
  if (!fresh) throw new InvalidClient(`assertion of ${signer.id} replayed (jti already used)`);
  return payload;
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason}: ${error.message}`;
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
