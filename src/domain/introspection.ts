import { LATCHKEY_RESOURCE_KEY, latchkeyAudience } from './builtin-resource';
import { hasExpired, parseReferenceToken, referenceTokenMatches } from './reference-tokens';
import { createdBeforeReset, jwtRevokedByReset } from './service-account-grants';
import { personalAccessTokenExpiry } from './personal-access-tokens';
import type { StoredServiceAccount } from './model';
import type { Clock, SecretHasher, StoredPersonalAccessToken, TokenRecordStore } from './ports';
import { originStillStands, type TokenOriginDeps } from './token-origins';

/**
 * Token introspection (RFC 7662) for the three kinds of Latchkey access token: signed JWTs,
 * opaque access tokens (`lko_`) and personal access tokens (`lkp_`).
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
 *   end-user JWT, its OIDC client, application, user and enabled IDP connection still exist
 *   (see token-origins.ts).
 * - Anything else — unknown, malformed, expired, revoked, foreign — is `{active: false}` and
 *   nothing more (RFC 7662 §2.2).
 * - `token_type_hint` is accepted but not needed: each kind is recognised by its shape, and
 *   RFC 7662 §2.1 requires searching every kind whatever the hint says.
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
}

/** A live token of the asking environment, as far as introspection and revocation need it. */
export type ActiveToken =
  | { readonly kind: 'jwt'; readonly id: string; readonly claims: Readonly<Record<string, unknown>>; readonly expiresAt: number }
  | { readonly kind: 'opaque'; readonly id: string; readonly claims: Readonly<Record<string, unknown>>; readonly owner: StoredServiceAccount }
  | { readonly kind: 'personal_access_token'; readonly id: string; readonly record: StoredPersonalAccessToken; readonly owner: StoredServiceAccount };

export type Introspection = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

const INACTIVE: Introspection = { active: false };

export async function introspect(deps: IntrospectionDeps, caller: { readonly environmentId: string }, token: string): Promise<Introspection> {
  const found = await findActiveToken(deps, caller.environmentId, token);
  if (!found) return INACTIVE;
  // `token_type` is how the token is presented (RFC 7662 §2.2, RFC 6749 §7.1); `tokenKind` says which kind it is.
  switch (found.kind) {
    case 'jwt':
    case 'opaque':
      return { active: true, ...found.claims, token_type: 'Bearer', tokenKind: found.kind };
    case 'personal_access_token':
      return { active: true, ...personalAccessTokenClaims(deps.issuer, found.record, found.owner), token_type: 'Bearer', tokenKind: found.kind };
  }
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
