import type { AuthorizationStore } from './authorization/ports';
import type { RefreshTokenRecord } from './authorization/model';
import { LATCHKEY_RESOURCE_KEY, latchkeyAudience } from './builtin-resource';
import { formatClientId } from './ids';
import { hasExpired, parseReferenceToken, referenceTokenMatches } from './reference-tokens';
import { createdBeforeReset, jwtRevokedByReset } from './revoking-resets';
import { personalAccessTokenExpiry } from './personal-access-tokens';
import type { StoredServiceAccount } from './model';
import type { Clock, SecretHasher } from './primitives';
import type { StoredPersonalAccessToken, TokenRecordStore } from './stores';
import { endUserOfGrant, originStillStands, type TokenOriginDeps } from './token-origins';

/**
 * Token introspection (RFC 7662) for the three kinds of Latchkey access token: signed JWTs,
 * opaque access tokens (`lko_`) and personal access tokens (`lkp_`); and for refresh tokens (`lkr_`).
 *
 * Rules this module enforces:
 * - Who may ask: any authenticated client (an enabled service account, or a registry client with
 *   its registered method), about tokens of ITS OWN environment only. A token of another environment answers exactly like an unknown one, so introspection
 *   cannot even tell that another environment exists. (RFC 7662 §4 asks the server to stop token
 *   scanning; every Latchkey token carries 256 random bits or a signature, and the claims answered
 *   are what any resource server of the environment reads from a JWT anyway, so no extra
 *   permission is required.)
 * - Active means: the signature, issuer, type and lifetime verify (JWT), or the stored record
 *   exists, has not expired and matches the token in constant time (opaque, PAT); it is not
 *   revoked; the service account it was issued to still exists and is enabled, and the token is
 *   not older than a secret reset of that account that revoked earlier tokens; for a client or
 *   end-user JWT, its OIDC client, application, user and enabled IDP connection still exist, and
 *   the user is neither disabled nor signed out everywhere since (see token-origins.ts).
 * - A refresh token is active while its record (looked up by keyed hash in the caller's
 *   environment) is unexpired and unspent, its family is neither revoked nor past its maximum, its
 *   OIDC client and application exist, and its end user still stands for the login it descends
 *   from. It is answered with `client_id`, `sub`, `scope`, `exp` and `auth_time`, and `tokenKind`
 *   `refresh_token`.
 * - Anything else — unknown, malformed, expired, revoked, foreign — is `{active: false}` and
 *   nothing more (RFC 7662 §2.2).
 * - `token_type_hint` is accepted but not needed: each kind is recognised by its shape, and
 *   RFC 7662 §2.1 requires searching every kind whatever the hint says (a refresh token sent with
 *   the hint `access_token` is still found).
 */

/** Verifies a Latchkey JWT (signature, issuer, `typ`, lifetime) and answers its claims, or undefined. */
export type JwtVerifier = (token: string) => Promise<Readonly<Record<string, unknown>> | undefined>;

export interface IntrospectionDeps {
  readonly tokens: TokenRecordStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
  readonly verifyJwt: JwtVerifier;
  /** Clients, applications, users and IDP connections: whether a client or end-user JWT's origin still stands. */
  readonly origins: TokenOriginDeps;
  /** Refresh tokens and their families. */
  readonly authorizations: Pick<AuthorizationStore, 'getRefreshToken' | 'getFamily' | 'revokeFamily'>;
}

/** A live token of the asking environment, as far as introspection and revocation need it. */
export type ActiveToken =
  | { readonly kind: 'jwt'; readonly id: string; readonly claims: Readonly<Record<string, unknown>>; readonly expiresAt: number }
  | { readonly kind: 'opaque'; readonly id: string; readonly claims: Readonly<Record<string, unknown>>; readonly owner: StoredServiceAccount }
  | { readonly kind: 'personal_access_token'; readonly id: string; readonly record: StoredPersonalAccessToken; readonly owner: StoredServiceAccount }
  | { readonly kind: 'refresh_token'; readonly id: string; readonly record: RefreshTokenRecord };

export type Introspection = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

const INACTIVE: Introspection = { active: false };

function isDpopBound(claims: Readonly<Record<string, unknown>>): boolean {
  const cnf = claims.cnf;
  return typeof cnf === 'object' && cnf !== null && typeof (cnf as Record<string, unknown>).jkt === 'string';
}

export async function introspect(deps: IntrospectionDeps, caller: { readonly environmentId: string }, token: string): Promise<Introspection> {
  const found = await findActiveToken(deps, caller.environmentId, token);
  if (!found) return INACTIVE;
  // `token_type` is how the token is presented (RFC 7662 §2.2, RFC 6749 §7.1); `tokenKind` says which kind it is.
  switch (found.kind) {
    case 'jwt':
    case 'opaque':
      // A DPoP-bound token reports its `cnf.jkt` with its claims and is presented as `DPoP` (RFC 9449 §6.2).
      return { active: true, ...found.claims, token_type: isDpopBound(found.claims) ? 'DPoP' : 'Bearer', tokenKind: found.kind };
    case 'personal_access_token':
      return { active: true, ...personalAccessTokenClaims(deps.issuer, found.record, found.owner), token_type: 'Bearer', tokenKind: found.kind };
    case 'refresh_token':
      return { active: true, ...refreshTokenClaims(deps.issuer, found.record), tokenKind: found.kind };
  }
}

/** Whether `token` has the shape of a Latchkey refresh token (`lkr_` and 256 random bits). */
export function isRefreshToken(token: string): boolean {
  return /^lkr_[A-Za-z0-9_-]{43}$/.test(token);
}

/** The unexpired refresh token record `token` names in `environmentId`, spent or not, or undefined. */
export async function findRefreshToken(
  deps: Pick<IntrospectionDeps, 'authorizations' | 'hasher' | 'now'>,
  environmentId: string,
  token: string,
): Promise<RefreshTokenRecord | undefined> {
  if (!isRefreshToken(token)) return undefined;
  const record = await deps.authorizations.getRefreshToken(environmentId, await deps.hasher.hash(token));
  return record && record.expiresAt > Math.floor(deps.now() / 1000) ? record : undefined;
}

async function findActiveRefreshToken(deps: IntrospectionDeps, environmentId: string, token: string): Promise<ActiveToken | undefined> {
  const record = await findRefreshToken(deps, environmentId, token);
  if (!record || record.usedAt !== undefined) return undefined;
  const [family, user] = await Promise.all([
    deps.authorizations.getFamily(environmentId, record.familyId),
    endUserOfGrant(deps.origins, environmentId, { userId: record.userId, applicationId: record.applicationId, clientRef: record.clientRef, dated: record.authTime }),
  ]);
  if (!family || family.revoked || family.absoluteExpiresAt <= Math.floor(deps.now() / 1000)) return undefined;
  if (!user) return undefined;
  return { kind: 'refresh_token', id: record.familyId, record };
}

/** What a refresh token stands for, in the claim names of the access tokens it gives. */
function refreshTokenClaims(issuer: string, record: RefreshTokenRecord): Record<string, unknown> {
  return {
    iss: issuer,
    sub: record.userId,
    client_id: formatClientId(record.clientRef, record.environmentId),
    scope: record.scopes.join(' '),
    exp: record.expiresAt,
    auth_time: record.authTime,
    subjectType: 'EndUserAccount',
    tenantId: record.tenantId,
    environmentId: record.environmentId,
    applicationId: record.applicationId,
    profileId: record.profileId,
    sessionId: record.sessionId,
  };
}

/** The live token `token` names in `environmentId`, or undefined for anything that is not one. */
export async function findActiveToken(deps: IntrospectionDeps, environmentId: string, token: string): Promise<ActiveToken | undefined> {
  const reference = parseReferenceToken(token);
  if (reference) {
    if (reference.environmentId !== environmentId) return undefined;
    const nowMs = deps.now();
    if (reference.kind === 'lkp') {
      const { token: record, owner } = await deps.tokens.loadPersonalAccessToken(environmentId, reference.accountId, reference.id);
      if (!record || hasExpired(personalAccessTokenExpiry(record), nowMs) || !isEnabled(owner)) return undefined;
      if (createdBeforeReset(owner, Date.parse(record.createdAt))) return undefined;
      if (!(await referenceTokenMatches(deps.hasher, token, record.tokenHash))) return undefined;
      return { kind: 'personal_access_token', id: record.id, record, owner };
    }
    const { token: record, owner } = await deps.tokens.loadOpaqueToken(environmentId, reference.accountId, reference.id);
    if (!record || hasExpired(record.expiresAt, nowMs) || !isEnabled(owner)) return undefined;
    if (jwtRevokedByReset(owner, Number(record.claims.iat))) return undefined;
    if (!(await referenceTokenMatches(deps.hasher, token, record.tokenHash))) return undefined;
    return { kind: 'opaque', id: record.id, claims: record.claims, owner };
  }
  if (isRefreshToken(token)) return findActiveRefreshToken(deps, environmentId, token);
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return undefined;
  return findActiveJwt(deps, environmentId, token);
}

async function findActiveJwt(deps: IntrospectionDeps, environmentId: string, token: string): Promise<ActiveToken | undefined> {
  const claims = await deps.verifyJwt(token);
  if (!claims || claims.environmentId !== environmentId) return undefined;
  const { jti, exp, sub, subjectType } = claims;
  // Latchkey always sets both; without a jti a token could never be revoked, so it is not one of ours.
  if (typeof jti !== 'string' || typeof exp !== 'number' || typeof sub !== 'string') return undefined;
  const serviceAccount = subjectType === 'ServiceAccount';
  const state = await deps.tokens.loadJwtState(environmentId, jti, serviceAccount ? sub : undefined);
  // A revocation lasts until the JWT's own exp, so any record found still applies (dynalite keeps them forever, harmlessly).
  if (state.revokedUntil !== undefined) return undefined;
  if (serviceAccount && !isEnabled(state.owner)) return undefined;
  // A secret reset with `revokeTokens` ends the account's earlier tokens.
  if (serviceAccount && jwtRevokedByReset(state.owner!, Number(claims.iat))) return undefined;
  if (!(await originStillStands(deps.origins, environmentId, claims))) return undefined;
  return { kind: 'jwt', id: jti, claims, expiresAt: exp };
}

/** What a PAT stands for, in the claim names of a service-account access token. */
function personalAccessTokenClaims(issuer: string, record: StoredPersonalAccessToken, owner: StoredServiceAccount): Record<string, unknown> {
  const management = owner.grants[LATCHKEY_RESOURCE_KEY];
  return {
    iss: issuer,
    sub: owner.id,
    aud: latchkeyAudience(issuer),
    iat: Math.floor(Date.parse(record.createdAt) / 1000),
    exp: personalAccessTokenExpiry(record),
    jti: record.id,
    client_id: owner.clientId,
    ...(owner.userName !== undefined ? { username: owner.userName } : {}),
    name: owner.name,
    subjectType: 'ServiceAccount',
    tenantId: owner.tenantId,
    environmentId: owner.environmentId,
    permissions: management ? { [LATCHKEY_RESOURCE_KEY]: [...management] } : {},
  };
}

function isEnabled(owner: StoredServiceAccount | undefined): owner is StoredServiceAccount {
  return owner !== undefined && !owner.disabled;
}
