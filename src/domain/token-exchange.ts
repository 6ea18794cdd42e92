import type { AccessTokenClaims } from '../access-token-claims';
import { LATCHKEY_RESOURCE_KEY, managementPermissionsOf } from './builtin-resource';
import { comparableAudience } from './audiences';
import { InvalidRequest, InvalidTarget, UnauthorizedClient } from './errors';
import { findActiveToken, type IntrospectionDeps } from './introspection';
import { mintAccessToken, type MinterDeps, type TokenSubject } from './minter';
import type { Resource, StoredServiceAccount } from './model';
import type { ResourceStore } from './ports';

/**
 * Token exchange (RFC 8693): a service account that holds `TOKEN_EXCHANGE` on `latchkey` (or an OIDC
 * client allowed to, rule 1) trades a
 * Latchkey access token it was given (the subject token) for a narrower one to call a resource on
 * the subject's behalf. The result is never more than the subject could do alone.
 *
 * Rules, in the order they are checked:
 * 1. The caller is a service account holding `TOKEN_EXCHANGE` now (read with the account at
 *    authentication), or a confidential OIDC client registered with `tokenExchange: true` (which only
 *    a holder of `TOKEN_EXCHANGE` can set or act on: clients/oidc-clients.ts); anyone else is
 *    `unauthorized_client`.
 * 2. The request (§2.1): `subject_token` and a `subject_token_type` of `access_token` or `jwt`;
 *    `actor_token_type` with an `actor_token`; `requested_token_type`, when sent, `access_token`;
 *    no `scope` (the target is chosen with `resource` and `audience`). Otherwise `invalid_request`.
 * 3. The subject token is a live Latchkey access token of the caller's environment, by the very
 *    checks introspection makes (introspection.ts `findActiveToken`: signature or stored record,
 *    expiry, revocation, a disabled or deleted service account, a revoking secret reset, an end user
 *    disabled, deleted or signed out everywhere, a deleted client, application or IDP connection).
 *    It is not sender-constrained (`cnf`): the caller cannot prove the key it is bound to. Anything
 *    else is `invalid_request` (RFC 8693 §2.2.2: an invalid or unacceptable `subject_token`), saying
 *    no more than that.
 * 4. An `actor_token`, when sent, is a live Latchkey access token of the caller itself (its `sub` is
 *    the caller's account); else `invalid_request`. The caller is the actor either way.
 * 5. The target: each `resource` and `audience` value names a customer resource (by key or audience
 *    URI) that is among the subject token's own audiences; without one, all of those. The management
 *    API is never a target. Anything else is `invalid_target`.
 * 6. Permissions: the subject token's permissions on each target resource that the resource still
 *    defines; never anything the subject token did not carry (end-user and client tokens carry none).
 * 7. The token (minter.ts) stands for the subject (`sub`, `subjectType` and the subject's claims, so
 *    every take-back rule of the subject ends it too), names the caller in `act` (RFC 8693 §4.1),
 *    wrapping the subject token's own `act` for a chain, and expires no later than the subject
 *    token. It is always a signed JWT.
 */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const SUBJECT_TOKEN_TYPES: readonly string[] = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];

export interface TokenExchangeDeps extends MinterDeps {
  /** Finding the subject and actor tokens live, exactly as introspection does. */
  readonly introspection: IntrospectionDeps;
  readonly resources: Pick<ResourceStore, 'listResources'>;
}

export interface TokenExchangeRequest {
  readonly subjectToken?: string;
  readonly subjectTokenType?: string;
  readonly actorToken?: string;
  readonly actorTokenType?: string;
  readonly requestedTokenType?: string;
  readonly scope?: string;
  /** RFC 8707 `resource` values and RFC 8693 `audience` values, both naming resources. */
  readonly resources: readonly string[];
  readonly audiences: readonly string[];
}

export interface ExchangedToken {
  readonly accessToken: string;
  readonly issuedTokenType: typeof ACCESS_TOKEN_TYPE;
  readonly expiresInSeconds: number;
  readonly claims: Readonly<AccessTokenClaims>;
}

/** The authenticated caller of an exchange: a service account or a confidential OIDC client. */
export interface ExchangeActor {
  readonly environmentId: string;
  /** Its `sub`: the service account or client ID. */
  readonly id: string;
  readonly clientId: string;
  /** Rule 1: holds TOKEN_EXCHANGE (a service account) or has `tokenExchange: true` (a confidential OIDC client). */
  readonly mayExchange: boolean;
}

/** A service account as the caller of an exchange. */
export function serviceAccountActor(account: StoredServiceAccount): ExchangeActor {
  return { environmentId: account.environmentId, id: account.id, clientId: account.clientId, mayExchange: managementPermissionsOf(account.grants).includes('TOKEN_EXCHANGE') };
}

export async function exchangeToken(deps: TokenExchangeDeps, actor: ExchangeActor, request: TokenExchangeRequest): Promise<ExchangedToken> {
  // Rule 1.
  if (!actor.mayExchange) {
    throw new UnauthorizedClient('token exchange requires the permission TOKEN_EXCHANGE on the resource latchkey, or an OIDC client set up with tokenExchange');
  }
  // Rule 2.
  const { subjectToken, subjectTokenType } = request;
  if (!subjectToken) throw new InvalidRequest('subject_token is required');
  if (!subjectTokenType || !SUBJECT_TOKEN_TYPES.includes(subjectTokenType)) {
    throw new InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`);
  }
  if (request.actorToken !== undefined && (!request.actorTokenType || !SUBJECT_TOKEN_TYPES.includes(request.actorTokenType))) {
    throw new InvalidRequest(`actor_token_type must be ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE} when actor_token is sent`);
  }
  if (request.actorToken === undefined && request.actorTokenType !== undefined) throw new InvalidRequest('actor_token_type is sent without actor_token');
  if (request.requestedTokenType !== undefined && request.requestedTokenType !== ACCESS_TOKEN_TYPE) {
    throw new InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  if (request.scope !== undefined) throw new InvalidRequest('token exchange takes no scope; name the target with resource or audience');

  // Rule 3.
  const subject = await liveAccessToken(deps, actor.environmentId, subjectToken);
  if (!subject) throw new InvalidRequest('subject_token is not an active access token of this environment', { internalDetail: 'subject token inactive or unknown' });
  if (subject.cnf !== undefined) throw new InvalidRequest('subject_token is sender-constrained and cannot be exchanged');

  // Rule 4.
  if (request.actorToken !== undefined) {
    const actorClaims = await liveAccessToken(deps, actor.environmentId, request.actorToken);
    if (actorClaims?.sub !== actor.id) throw new InvalidRequest('actor_token must be an active access token of the authenticated client');
  }

  // Rule 5.
  const targets = await selectTargets(deps, actor.environmentId, subject, [...request.resources, ...request.audiences]);

  // Rule 6.
  const held = subject.permissions ?? {};
  const permissions: Record<string, string[]> = {};
  for (const resource of targets) {
    const kept = (held[resource.key] ?? []).filter((permission) => resource.permissions.includes(permission));
    if (kept.length > 0) permissions[resource.key] = kept;
  }

  // Rule 7.
  const act = { sub: actor.id, client_id: actor.clientId, ...(isObject(subject.act) ? { act: subject.act } : {}) };
  const token = await mintAccessToken(deps, {
    subject: subjectOf(subject, permissions),
    tenantId: String(subject.tenantId),
    environmentId: actor.environmentId,
    audience: { resources: targets, otherwise: '' },
    // No lifetime of its own: the minter ends it at the subject token's `exp` (or a target's limit, if sooner).
    lifetimeSeconds: Number.POSITIVE_INFINITY,
    notAfter: subject.exp,
    actor: act,
  });
  return { accessToken: token.accessToken, issuedTokenType: ACCESS_TOKEN_TYPE, expiresInSeconds: token.expiresInSeconds, claims: token.claims };
}

type SubjectClaims = Readonly<Record<string, unknown>> & {
  readonly sub: string;
  readonly exp: number;
  readonly aud?: unknown;
  readonly act?: unknown;
  readonly cnf?: unknown;
  readonly permissions?: Readonly<Record<string, readonly string[]>>;
};

/** A live access token (a JWT or an opaque service-account token; not a refresh token or a PAT) of the environment, as its claims. */
async function liveAccessToken(deps: TokenExchangeDeps, environmentId: string, token: string): Promise<SubjectClaims | undefined> {
  const found = await findActiveToken(deps.introspection, environmentId, token);
  if (found?.kind !== 'jwt' && found?.kind !== 'opaque') return undefined;
  const claims = found.claims;
  if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.subjectType !== 'string') return undefined;
  return claims as SubjectClaims;
}

/** Rule 5: the customer resources among the subject token's audiences that the request names, or all of them. */
async function selectTargets(deps: TokenExchangeDeps, environmentId: string, subject: SubjectClaims, wanted: readonly string[]): Promise<Resource[]> {
  const audiences = new Set((Array.isArray(subject.aud) ? subject.aud : [subject.aud]).filter((value) => typeof value === 'string').map(comparableAudience));
  const reachable = (await deps.resources.listResources(environmentId)).filter((resource) => audiences.has(comparableAudience(resource.audience)));
  if (wanted.length === 0) {
    if (reachable.length === 0) throw new InvalidTarget('the subject token reaches no resource that a token could be exchanged for');
    return reachable;
  }
  const selected = new Map<string, Resource>();
  for (const value of wanted) {
    const resource =
      value === LATCHKEY_RESOURCE_KEY ? undefined : reachable.find((candidate) => candidate.key === value || comparableAudience(candidate.audience) === comparableAudience(value));
    if (!resource) throw new InvalidTarget(`"${value}" is not a resource the subject token reaches`);
    selected.set(resource.key, resource);
  }
  return [...selected.values()];
}

/** Rule 7: the subject as the subject token names it, so the new token is taken back with it. */
function subjectOf(claims: SubjectClaims, permissions: Record<string, string[]>): TokenSubject {
  const text = (name: string): string | undefined => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined);
  switch (claims.subjectType) {
    case 'ServiceAccount':
      return { subjectType: 'ServiceAccount', id: claims.sub, clientId: text('client_id') ?? '', name: text('name') ?? '', accessTokenType: 'jwt', permissions };
    case 'Client':
      return { subjectType: 'Client', id: claims.sub, clientId: text('client_id') ?? '', name: text('name') ?? '', applicationId: text('applicationId') ?? '' };
    default: {
      const clientId = text('client_id');
      const name = text('name');
      const email = text('email');
      return {
        subjectType: 'EndUserAccount',
        id: claims.sub,
        ...(clientId !== undefined ? { clientId } : {}),
        applicationId: text('applicationId') ?? '',
        profileId: text('profileId') ?? '',
        sessionId: text('sessionId') ?? '',
        ...(typeof claims.auth_time === 'number' ? { authTime: claims.auth_time } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(email !== undefined ? { email } : {}),
      };
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
