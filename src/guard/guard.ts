import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { checkCertificateBinding, type PresentedCertificate } from './certificate-binding';
import { checkDpopBinding, inMemoryDpopReplayCache, type DpopPresentation, type DpopReplayCache, type PresentedScheme } from './dpop-binding';
import { GuardError } from './errors';
import { assertActive, type IntrospectionOptions } from './introspection';
import type { LatchkeyClaims } from '../access-token-claims';

/** The claims type lives with the minter's (`src/access-token-claims.ts`); resource servers keep importing it from the guard. */
export type { LatchkeyClaims };

/**
 * The Latchkey guard: verifies Latchkey access tokens in a resource server.
 *
 * At construction: the guard must be told whom it serves, `tenantId` and/or `environmentId`, or be
 * told explicitly `unsafeAcceptAnyTenant: true`; anything else is a `TypeError`. One Latchkey
 * deployment signs the tokens of every tenant with the same keys, so without this a token of any
 * other tenant would pass.
 *
 * Checks, in this order (the first that fails is reported):
 * 1. A token is present (TOKEN_REQUIRED).
 * 2. Its signature verifies with a key from the Latchkey JWKS, ES256 only, `typ` `at+jwt`.
 * 3. Issuer; `sub`, `exp` and `iat` present.
 * 4. Lifetime (`exp`, `iat`, `nbf`), with the clock tolerance (TOKEN_EXPIRED once past `exp`).
 * 5. Audience, when configured.
 * 6. The token names a tenant and an environment, and they are the ones the guard serves.
 * 7. Certificate binding: a token with `cnf.x5t#S256` needs the matching client certificate
 *    (RFC 8705 §3; CERTIFICATE_REQUIRED, CERTIFICATE_MISMATCH; see certificate-binding.ts).
 * 8. `permissions`, when present, is an object whose values are lists of strings.
 * 9. DPoP binding: a token with `cnf.jkt` needs `Authorization: DPoP` and a proof of that key for this
 *    request (RFC 9449 §7; DPOP_PROOF_REQUIRED, DPOP_PROOF_INVALID; see dpop-binding.ts).
 * 10. Subject type, then permissions (`allOf` then `anyOf`): NOT_AUTHORIZED.
 * 11. With `introspection` configured, the token is still active.
 * Steps 2 to 5 are jose's `jwtVerify`; every failure before step 10 is a 401, step 10 a 403.
 */

/** How a guard finds Latchkey's keys and which tokens it accepts. */
export interface GuardOptions {
  /** The Latchkey issuer URL, e.g. `https://id.example.com`. */
  readonly issuer: string;
  /**
   * Where the keys are; defaults to `{issuer}/.well-known/jwks.json`. Fetched on first use, again once
   * the copy is `JWKS_CACHE_SECONDS` old, and on an unknown `kid` (at most every 30 s).
   */
  readonly jwksUri?: string | URL;
  /** Instead of `jwksUri`: a key set or a function that answers one (how Latchkey verifies its own tokens). */
  readonly jwks?: JSONWebKeySet | (() => Promise<JSONWebKeySet>);
  /** Accept only tokens whose `aud` contains one of these. */
  readonly audience?: string | readonly string[];
  /** Accept only tokens of this tenant. This, `environmentId` or `unsafeAcceptAnyTenant` is required. */
  readonly tenantId?: string;
  /** Accept only tokens of this environment. This, `tenantId` or `unsafeAcceptAnyTenant` is required. */
  readonly environmentId?: string;
  /**
   * Accept tokens of every tenant and environment of the deployment. Only for a service that serves
   * all tenants and authorizes by the token's `tenantId`/`environmentId` itself (Latchkey's own
   * management API); a resource server of one tenant must set `tenantId` or `environmentId` instead.
   */
  readonly unsafeAcceptAnyTenant?: true;
  /** Seconds of clock skew tolerated on `exp`, `iat` and `nbf`; default 5. */
  readonly clockToleranceSeconds?: number;
  /** The claim of a third party's JWT that carries a Latchkey end-user token; default `latchkey.end-user.accessToken`. */
  readonly embeddedTokenClaim?: string;
  /** Also ask Latchkey's introspection endpoint whether a verified token was revoked (one HTTP call per token). */
  readonly introspection?: IntrospectionOptions;
  /** DPoP-bound tokens (RFC 9449): where accepted proofs are remembered, and the clock in milliseconds. */
  readonly dpop?: { readonly replayCache?: DpopReplayCache; readonly now?: () => number };
}

/** What one request needs of its token, and what the request presents beside it. */
export interface Requirements {
  readonly subjectType?: 'ServiceAccount' | 'EndUserAccount' | 'Client';
  /** The resource key whose permissions are checked; required with `allOf`/`anyOf`. */
  readonly resource?: string;
  /** Every one of these permissions on `resource`. */
  readonly allOf?: readonly string[];
  /** At least one of these permissions on `resource`. */
  readonly anyOf?: readonly string[];
  /**
   * The client certificate of the request's mutual-TLS connection. Needed to accept a
   * certificate-bound token (`cnf.x5t#S256`, RFC 8705 §3); ignored for a bearer token.
   */
  readonly clientCertificate?: PresentedCertificate;
  /**
   * The request's DPoP proof with its method and URL. Needed to accept a DPoP-bound token
   * (`cnf.jkt`, RFC 9449 §7); ignored for a bearer token.
   */
  readonly dpop?: DpopPresentation;
  /**
   * Accept a DPoP-bound token without its proof: only for an authorization server's introspection,
   * which reports `cnf` so that the resource server checks the proof, or a caller that checks it itself.
   */
  readonly unsafeSkipDpopProof?: true;
}

/**
 * How long a guard keeps the JWKS it fetched from `jwksUri` before it fetches it again (five minutes).
 * Shorter than the interval for which Latchkey publishes a key before it signs (ten minutes, less the
 * JWKS's HTTP cache and the signers' refresh), so a guard knows every key before its first token;
 * and the bound on how long a guard still accepts tokens of a key Latchkey has retired.
 */
export const JWKS_CACHE_SECONDS = 300;

/** Where `verifyEmbedded` looks for the Latchkey token in a third party's JWT, unless told otherwise. */
export const DEFAULT_EMBEDDED_TOKEN_CLAIM = 'latchkey.end-user.accessToken';

/** A configured guard; every method rejects with a `GuardError` (or a `TypeError` for misuse). */
export interface Guard {
  /** Verifies a Latchkey access token and answers its claims, or throws a `GuardError`. */
  verify(token: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
  /**
   * Verifies the token of an `Authorization: Bearer ...` header value, or of `Authorization: DPoP ...`
   * with `requirements.dpop` (a DPoP-bound token is refused under the Bearer scheme).
   */
  verifyAuthorizationHeader(header: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
  /**
   * Verifies the Latchkey end-user token embedded in a third party's JWT. The outer JWT is only read,
   * not trusted: the embedded token must verify on its own, and it is what the answer describes.
   */
  verifyEmbedded(thirdPartyJwt: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
}

/**
 * Creates a guard for one tenant or environment (see the module comment for the checks and their order).
 * @throws TypeError when the options do not say whom the guard serves, or say it twice over.
 */
export function createGuard(options: GuardOptions): Guard {
  checkServedScope(options);
  const issuer = options.issuer.replace(/\/+$/, '');
  const getKey = keyResolver(options, issuer);
  const claimName = options.embeddedTokenClaim ?? DEFAULT_EMBEDDED_TOKEN_CLAIM;
  const now = options.dpop?.now ?? Date.now;
  const dpop = { cache: options.dpop?.replayCache ?? inMemoryDpopReplayCache(now), now };

  const verifyPresented = async (token: string | undefined, requirements: Requirements, scheme: PresentedScheme): Promise<LatchkeyClaims> => {
    if (!token) throw new GuardError('TOKEN_REQUIRED', 'an access token is required');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
        ...(options.audience ? { audience: [...(typeof options.audience === 'string' ? [options.audience] : options.audience)] } : {}),
      }));
    } catch (error) {
      throw toGuardError(error);
    }
    const claims = checkClaims(payload, options, requirements);
    if (!requirements.unsafeSkipDpopProof) await checkDpopBinding(claims, token, scheme, requirements.dpop, dpop);
    checkPermissions(claims, requirements);
    if (options.introspection) await assertActive(options.introspection, issuer, token);
    return claims;
  };
  const verify = (token: string | undefined, requirements: Requirements = {}) => verifyPresented(token, requirements, undefined);

  return {
    verify,
    // async: a missing header must reject the promise like every other refusal, not throw synchronously.
    async verifyAuthorizationHeader(header, requirements = {}) {
      const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(header?.trim() ?? '');
      if (!match) throw new GuardError('TOKEN_REQUIRED', 'an Authorization header with a Bearer token is required');
      return verifyPresented(match[2], requirements, match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer');
    },
    async verifyEmbedded(thirdPartyJwt, requirements = {}) {
      if (!thirdPartyJwt) throw new GuardError('TOKEN_REQUIRED', 'a token is required');
      let outer: JWTPayload;
      try {
        outer = decodeJwt(thirdPartyJwt);
      } catch (error) {
        throw new GuardError('TOKEN_INVALID', 'the outer token is not a JWT', { cause: error });
      }
      const embedded = claimAt(outer, claimName);
      if (typeof embedded !== 'string') throw new GuardError('TOKEN_REQUIRED', `the token carries no "${claimName}" claim`);
      // Only end-user tokens may be embedded: requirements cannot widen that (not even `subjectType: undefined`).
      return verify(embedded, { ...requirements, subjectType: 'EndUserAccount' });
    },
  };
}

/** The claim by its full name, or by the dotted path that name spells (`latchkey.end-user.accessToken`). */
function claimAt(payload: JWTPayload, name: string): unknown {
  // Own claims only: `in` would also find Object.prototype members such as `toString`.
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function keyResolver(options: GuardOptions, issuer: string): JWTVerifyGetKey {
  const { jwks } = options;
  if (typeof jwks === 'function') {
    // The imported keys are kept while the function answers the same set object: importing a key
    // on every token costs more than verifying it.
    let resolved: { set: JSONWebKeySet; resolve: JWTVerifyGetKey } | undefined;
    return async (header, token) => {
      let set: JSONWebKeySet;
      try {
        set = await jwks();
      } catch (error) {
        throw new GuardError('JWKS_UNREACHABLE', 'the signing keys could not be loaded', { cause: error });
      }
      if (resolved?.set !== set) resolved = { set, resolve: createLocalJWKSet(set) };
      return resolved.resolve(header, token);
    };
  }
  if (jwks) return createLocalJWKSet(jwks);
  return createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), { cooldownDuration: 30_000, cacheMaxAge: JWKS_CACHE_SECONDS * 1000 });
}

function toGuardError(error: unknown): GuardError {
  if (error instanceof GuardError) return error;
  if (error instanceof errors.JWTExpired) return new GuardError('TOKEN_EXPIRED', 'the token has expired', { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey) return new GuardError('SIGNING_KEY_NOT_FOUND', 'no published key matches the token', { cause: error });
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof TypeError && /fetch/i.test(error.message))) {
    return new GuardError('JWKS_UNREACHABLE', 'the JWKS could not be fetched', { cause: error });
  }
  if (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /Expected 200 OK/.test(error.message)) {
    return new GuardError('JWKS_UNREACHABLE', 'the JWKS could not be fetched', { cause: error });
  }
  const reason = error instanceof errors.JWTClaimValidationFailed ? `the "${error.claim}" claim is not acceptable` : 'the token is not valid';
  return new GuardError('TOKEN_INVALID', reason, { cause: error });
}

function checkServedScope(options: GuardOptions): void {
  for (const name of ['tenantId', 'environmentId'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) throw new TypeError(`createGuard: ${name} must be a non-empty string`);
  }
  const scoped = options.tenantId !== undefined || options.environmentId !== undefined;
  if (options.unsafeAcceptAnyTenant !== undefined && options.unsafeAcceptAnyTenant !== true) {
    throw new TypeError('createGuard: unsafeAcceptAnyTenant can only be true; leave it out to serve one tenant');
  }
  if (scoped && options.unsafeAcceptAnyTenant) {
    throw new TypeError('createGuard: give tenantId/environmentId or unsafeAcceptAnyTenant, not both');
  }
  if (!scoped && !options.unsafeAcceptAnyTenant) {
    throw new TypeError(
      'createGuard: say which tenant or environment this guard serves (tenantId and/or environmentId); tokens of every other tenant are refused. ' +
        'A service for all tenants sets unsafeAcceptAnyTenant: true.',
    );
  }
}

function checkClaims(payload: JWTPayload, options: GuardOptions, requirements: Requirements): LatchkeyClaims {
  const claims = payload as LatchkeyClaims;
  if (typeof claims.tenantId !== 'string' || typeof claims.environmentId !== 'string') {
    throw new GuardError('TOKEN_INVALID', 'the token names no tenant or environment');
  }
  if (options.tenantId && claims.tenantId !== options.tenantId) throw new GuardError('TOKEN_INVALID', 'the token is for another tenant');
  if (options.environmentId && claims.environmentId !== options.environmentId) {
    throw new GuardError('TOKEN_INVALID', 'the token is for another environment');
  }
  checkCertificateBinding(claims.cnf, requirements.clientCertificate);
  if (claims.permissions !== undefined && !isPermissionMap(claims.permissions)) {
    throw new GuardError('TOKEN_INVALID', 'the "permissions" claim is not an object of permission lists');
  }
  return claims;
}

/** Step 10, after the token's binding was proven. */
function checkPermissions(claims: LatchkeyClaims, requirements: Requirements): void {
  if (requirements.subjectType && claims.subjectType !== requirements.subjectType) {
    throw new GuardError('NOT_AUTHORIZED', `the token's subject is not a ${requirements.subjectType}`);
  }
  if (requirements.allOf?.length || requirements.anyOf?.length) {
    if (!requirements.resource) throw new TypeError('requirements with permissions need a resource');
    // Own members only: a resource key such as `constructor` must not find Object.prototype's.
    const held = new Set(claims.permissions && Object.hasOwn(claims.permissions, requirements.resource) ? claims.permissions[requirements.resource] : []);
    const missing = (requirements.allOf ?? []).filter((permission) => !held.has(permission));
    if (missing.length > 0) throw new GuardError('NOT_AUTHORIZED', `missing permission ${missing.join(', ')} on ${requirements.resource}`);
    if (requirements.anyOf?.length && !requirements.anyOf.some((permission) => held.has(permission))) {
      throw new GuardError('NOT_AUTHORIZED', `one of ${requirements.anyOf.join(', ')} on ${requirements.resource} is required`);
    }
  }
}

/** A plain JSON object whose every value is a list of strings (what Latchkey issues). */
function isPermissionMap(value: unknown): value is Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((list) => Array.isArray(list) && list.every((permission) => typeof permission === 'string'));
}
