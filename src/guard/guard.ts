import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GuardError } from './errors';
import { assertActive, type IntrospectionOptions } from './introspection';

/**
 * The Latchkey guard: verifies Latchkey access tokens in a resource server.
 *
 * Checks, in this order: a token is present → its signature verifies with a key from the Latchkey
 * JWKS (ES256 only, `typ` `at+jwt`) → issuer → lifetime (`exp`, `iat`, `nbf`, with the clock
 * tolerance) → audience, when configured → tenant and environment, when configured → subject type
 * → permissions (`allOf` then `anyOf`).
 */

export interface LatchkeyClaims extends JWTPayload {
  sub: string;
  /** `Client` for tokens of OIDC clients (client credentials grant). */
  subjectType: 'ServiceAccount' | 'EndUserAccount' | 'Client';
  tenantId: string;
  environmentId: string;
  permissions?: Record<string, string[]>;
  [claim: string]: unknown;
}

export interface GuardOptions {
  /** The Latchkey issuer URL, e.g. `https://id.example.com`. */
  readonly issuer: string;
  /** Where the keys are; defaults to `{issuer}/.well-known/jwks.json`. Fetched once, again on an unknown `kid`. */
  readonly jwksUri?: string | URL;
  /** Instead of `jwksUri`: a key set or a function that answers one (how Latchkey verifies its own tokens). */
  readonly jwks?: JSONWebKeySet | (() => Promise<JSONWebKeySet>);
  /** Accept only tokens whose `aud` contains one of these. */
  readonly audience?: string | readonly string[];
  readonly tenantId?: string;
  readonly environmentId?: string;
  /** Seconds of clock skew tolerated on `exp`, `iat` and `nbf`; default 5. */
  readonly clockToleranceSeconds?: number;
  /** The claim of a third party's JWT that carries a Latchkey end-user token; default `latchkey.end-user.accessToken`. */
  readonly embeddedTokenClaim?: string;
  /** Also ask Latchkey's introspection endpoint whether a verified token was revoked (one HTTP call per token). */
  readonly introspection?: IntrospectionOptions;
}

export interface Requirements {
  readonly subjectType?: 'ServiceAccount' | 'EndUserAccount' | 'Client';
  /** The resource key whose permissions are checked; required with `allOf`/`anyOf`. */
  readonly resource?: string;
  /** Every one of these permissions on `resource`. */
  readonly allOf?: readonly string[];
  /** At least one of these permissions on `resource`. */
  readonly anyOf?: readonly string[];
}

export const DEFAULT_EMBEDDED_TOKEN_CLAIM = 'latchkey.end-user.accessToken';

export interface Guard {
  /** Verifies a Latchkey access token and answers its claims, or throws a `GuardError`. */
  verify(token: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
  /** Verifies the token of an `Authorization: Bearer ...` header value. */
  verifyAuthorizationHeader(header: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
  /**
   * Verifies the Latchkey end-user token embedded in a third party's JWT. The outer JWT is only read,
   * not trusted: the embedded token must verify on its own, and it is what the answer describes.
   */
  verifyEmbedded(thirdPartyJwt: string | undefined, requirements?: Requirements): Promise<LatchkeyClaims>;
}

export function createGuard(options: GuardOptions): Guard {
  const issuer = options.issuer.replace(/\/+$/, '');
  const getKey = keyResolver(options, issuer);
  const claimName = options.embeddedTokenClaim ?? DEFAULT_EMBEDDED_TOKEN_CLAIM;

  const verify = async (token: string | undefined, requirements: Requirements = {}): Promise<LatchkeyClaims> => {
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
    if (options.introspection) await assertActive(options.introspection, issuer, token);
    return claims;
  };

  return {
    verify,
    // async: a missing header must reject the promise like every other refusal, not throw synchronously.
    async verifyAuthorizationHeader(header, requirements) {
      const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header?.trim() ?? '');
      if (!match) throw new GuardError('TOKEN_REQUIRED', 'an Authorization header with a Bearer token is required');
      return verify(match[1], requirements);
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
    return async (header, token) => {
      let set: JSONWebKeySet;
      try {
        set = await jwks();
      } catch (error) {
        throw new GuardError('JWKS_UNREACHABLE', 'the signing keys could not be loaded', { cause: error });
      }
      return createLocalJWKSet(set)(header, token);
    };
  }
  if (jwks) return createLocalJWKSet(jwks);
  return createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
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

function checkClaims(payload: JWTPayload, options: GuardOptions, requirements: Requirements): LatchkeyClaims {
  const claims = payload as LatchkeyClaims;
  if (typeof claims.tenantId !== 'string' || typeof claims.environmentId !== 'string') {
    throw new GuardError('TOKEN_INVALID', 'the token names no tenant or environment');
  }
  if (options.tenantId && claims.tenantId !== options.tenantId) throw new GuardError('TOKEN_INVALID', 'the token is for another tenant');
  if (options.environmentId && claims.environmentId !== options.environmentId) {
    throw new GuardError('TOKEN_INVALID', 'the token is for another environment');
  }
  if (requirements.subjectType && claims.subjectType !== requirements.subjectType) {
    throw new GuardError('NOT_AUTHORIZED', `the token's subject is not a ${requirements.subjectType}`);
  }
  if (requirements.allOf?.length || requirements.anyOf?.length) {
    if (!requirements.resource) throw new TypeError('requirements with permissions need a resource');
    const held = new Set(claims.permissions?.[requirements.resource] ?? []);
    const missing = (requirements.allOf ?? []).filter((permission) => !held.has(permission));
    if (missing.length > 0) throw new GuardError('NOT_AUTHORIZED', `missing permission ${missing.join(', ')} on ${requirements.resource}`);
    if (requirements.anyOf?.length && !requirements.anyOf.some((permission) => held.has(permission))) {
      throw new GuardError('NOT_AUTHORIZED', `one of ${requirements.anyOf.join(', ')} on ${requirements.resource} is required`);
    }
  }
  return claims;
}
