import type { AccessTokenClaims } from '../access-token-claims';
import { newId } from './ids';
import type { AccessTokenType, Resource } from './model';
import { issueOpaqueToken } from './opaque-tokens';
import type { Clock, SecretHasher, TokenSigner } from './primitives';
import type { OpaqueTokenStore } from './stores';
import { earliestIssuedAt } from './revoking-resets';

/**
 * The one place Latchkey builds an access token's claims and turns them into a token, for every
 * grant: client credentials (service accounts and OIDC clients), the administrator's mint and
 * GraphQL, the authorization code and refresh grants, and delegated tokens. A grant decides who the
 * token is for and which resources it may reach; the minter decides the rest, the same way for all.
 * (`test/unit/repository-conventions.test.ts` fails on a second place that signs access-token claims.)
 *
 * Rules:
 * 1. Audience: the audience URIs of the resources the grant resolved, one as a string and several as
 *    an array; without a resource, the grant's own audience (the management API, the client, the
 *    application).
 * 2. Lifetime: the grant's lifetime, never longer than any audience resource's `accessTokenTtlSeconds`,
 *    and never past the grant's `notAfter` (an exchanged token outlives no subject token).
 * 3. Issued at now, or one second after the subject's last revoking event (a secret reset, a sign-out
 *    everywhere) when that fell in this second, so the new token is not refused as an earlier one.
 * 4. `scope`: an end user's grant always states what was granted (possibly nothing); a machine token
 *    only what was asked for, when anything was; a delegated token none.
 * 5. Format: a signed JWT (`typ: at+jwt`, RFC 9068), or an opaque reference token stored with its
 *    claims for a service account whose `accessTokenType` is `opaque` (opaque-tokens.ts).
 * 6. `act` (RFC 8693 §4.1): the actor a token exchange names, when there is one.
 * 7. Sender constraint: a token asked for with a DPoP proof carries `cnf.jkt`, the proof key's
 *    thumbprint (RFC 9449 §6), and is of type `DPoP`; an opaque token stores it with its claims.
 */

export interface MinterDeps {
  readonly signer: TokenSigner;
  /** Where opaque tokens are written; required so no grant can forget it and fail at run time. */
  readonly opaqueTokens: OpaqueTokenStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
}

/** Who the token stands for, with what its kind of subject carries. */
export type TokenSubject =
  | {
      readonly subjectType: 'ServiceAccount';
      readonly id: string;
      readonly clientId: string;
      readonly name: string;
      readonly accessTokenType: AccessTokenType;
      readonly permissions: Record<string, string[]>;
    }
  | {
      readonly subjectType: 'Client';
      readonly id: string;
      readonly clientId: string;
      readonly name: string;
      readonly applicationId: string;
      /** RFC 8705 §3.1: the certificate the token is bound to. */
      readonly certificateThumbprint?: string;
    }
  | {
      readonly subjectType: 'EndUserAccount';
      readonly id: string;
      /** The client of an authorization-code or refresh grant; none for a delegated token. */
      readonly clientId?: string;
      readonly applicationId: string;
      readonly profileId: string;
      readonly sessionId: string;
      readonly authTime?: number;
      readonly name?: string;
      readonly email?: string;
    };

export interface MintRequest {
  readonly subject: TokenSubject;
  readonly tenantId: string;
  readonly environmentId: string;
  /** Rule 1: the resources the grant resolved as the audience, and the audience without one. */
  readonly audience: { readonly resources: readonly Resource[]; readonly otherwise: string };
  /** Rule 2: the grant's lifetime in seconds, before the resources' limits. */
  readonly lifetimeSeconds: number;
  /** Rule 3: the subject's record, for its last revoking event. */
  readonly validAfter?: { readonly tokensValidAfter?: string };
  /** Rule 4: the scope values; undefined when the grant has none to state. */
  readonly scopes?: readonly string[];
  /** Rule 2: the latest `exp` the grant allows (epoch seconds), when it has one. */
  readonly notAfter?: number;
  /** Rule 6: the acting party of a token exchange, with the subject token's own `act` nested in it. */
  readonly actor?: NonNullable<AccessTokenClaims['act']>;
  /** Claims a grant adds beyond the standard ones (compatibility role claims, enrichment `extensions`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Rule 7: the RFC 7638 thumbprint of the key of the request's DPoP proof, when it had one. */
  readonly dpopKeyThumbprint?: string;
}

export interface MintedToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  /** Rule 7: `DPoP` for a token bound to a proof key, else `Bearer` (the token response's `token_type`). */
  readonly tokenType: 'Bearer' | 'DPoP';
  /** The `scope` the token states, also the token response's `scope` (absent when it states none). */
  readonly scope?: string;
  readonly claims: Readonly<AccessTokenClaims>;
}

export async function mintAccessToken(deps: MinterDeps, request: MintRequest): Promise<MintedToken> {
  const { subject, audience } = request;
  const audiences = audience.resources.length > 0 ? audience.resources.map((resource) => resource.audience) : [audience.otherwise];
  const iat = earliestIssuedAt(request.validAfter ?? {}, deps.now());
  const lifetime = Math.min(tokenLifetime(request.lifetimeSeconds, audience.resources), request.notAfter === undefined ? Number.POSITIVE_INFINITY : request.notAfter - iat);
  const scopes = request.scopes;
  const scope = scopes !== undefined && (scopes.length > 0 || subject.subjectType === 'EndUserAccount') ? scopes.join(' ') : undefined;
  const claims: AccessTokenClaims = {
    iss: deps.issuer,
    sub: subject.id,
    aud: audiences.length === 1 ? audiences[0]! : audiences,
    iat,
    exp: iat + lifetime,
    jti: newId('tok'),
    ...(subject.clientId !== undefined ? { client_id: subject.clientId } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(subject.name !== undefined ? { name: subject.name } : {}),
    subjectType: subject.subjectType,
    tenantId: request.tenantId,
    environmentId: request.environmentId,
    ...subjectClaims(subject),
    ...(request.actor !== undefined ? { act: request.actor } : {}),
    ...request.extra,
    ...confirmation(subject, request.dpopKeyThumbprint),
  };
  const accessToken =
    subject.subjectType === 'ServiceAccount' && subject.accessTokenType === 'opaque' ? await issueOpaqueToken(deps, claims) : await deps.signer.sign(claims, { typ: 'at+jwt' });
  const tokenType = request.dpopKeyThumbprint !== undefined ? 'DPoP' : 'Bearer';
  return { accessToken, tokenType, expiresInSeconds: lifetime, ...(scope ? { scope } : {}), claims };
}

/** Rule 2, the one lifetime rule: the grant's lifetime, cut to the shortest limit of an audience resource. */
function tokenLifetime(seconds: number, resources: readonly Pick<Resource, 'accessTokenTtlSeconds'>[]): number {
  return Math.min(seconds, ...resources.map((resource) => resource.accessTokenTtlSeconds ?? Number.POSITIVE_INFINITY));
}

/** Rule 7 beside RFC 8705's certificate binding: one `cnf` with each confirmation the token has, none without one. */
function confirmation(subject: TokenSubject, dpopKeyThumbprint: string | undefined): Partial<AccessTokenClaims> {
  const cnf = {
    ...(subject.subjectType === 'Client' && subject.certificateThumbprint ? { 'x5t#S256': subject.certificateThumbprint } : {}),
    ...(dpopKeyThumbprint !== undefined ? { jkt: dpopKeyThumbprint } : {}),
  };
  return Object.keys(cnf).length > 0 ? { cnf } : {};
}

function subjectClaims(subject: TokenSubject): Partial<AccessTokenClaims> {
  switch (subject.subjectType) {
    case 'ServiceAccount':
      return { permissions: subject.permissions };
    case 'Client':
      return { applicationId: subject.applicationId };
    case 'EndUserAccount':
      return {
        ...(subject.authTime !== undefined ? { auth_time: subject.authTime } : {}),
        applicationId: subject.applicationId,
        profileId: subject.profileId,
        sessionId: subject.sessionId,
        ...(subject.email !== undefined ? { email: subject.email } : {}),
      };
  }
}
