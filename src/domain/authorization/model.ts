/**
 * The records of the authorization-code grant (RFC 6749 §4.1): the code a login ends in, the refresh
 * tokens it is exchanged for and the family that ties them together. Like the login's records they
 * live in the environment's partition, expire by the code's clock and hold keyed hashes only.
 */

/** What a code, a refresh token and its access tokens stand for. */
export interface GrantSubject {
  readonly environmentId: string;
  readonly tenantId: string;
  readonly clientRef: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly profileId: string;
  readonly sessionId: string;
  readonly authTime: number;
  readonly amr?: readonly string[];
  readonly scopes: readonly string[];
  readonly resource?: string;
  /** The family of tokens this grant belongs to; revoking it revokes everything issued from the code. */
  readonly familyId: string;
}

export interface AuthorizationCodeRecord extends GrantSubject {
  readonly codeHash: string;
  readonly redirectUri: string;
  readonly codeChallenge?: string;
  readonly nonce?: string;
  readonly expiresAt: number;
  readonly usedAt?: number;
}

export interface RefreshTokenRecord extends GrantSubject {
  readonly tokenHash: string;
  readonly expiresAt: number;
  readonly usedAt?: number;
  /** Set with `usedAt`: the hash of the refresh token that replaced this one. */
  readonly successorHash?: string;
  /** A public client's refresh token issued for a DPoP proof: usable only with a proof of that key (RFC 9449 §5). */
  readonly dpopKeyThumbprint?: string;
}

/** Everything issued from one authorization code, so that a replay or reuse can revoke all of it. */
export interface TokenFamilyRecord {
  readonly id: string;
  readonly environmentId: string;
  readonly clientRef: string;
  /** Epoch seconds: no refresh token of the family lives past this (the client's `maxRefreshSeconds`). */
  readonly absoluteExpiresAt: number;
  readonly revoked?: boolean;
  /** The access tokens issued in the family: `jti` and `exp`, for revocation. */
  readonly accessTokens: readonly { readonly jti: string; readonly exp: number }[];
}

/** A pushed authorization request (RFC 9126 §2), waiting for the authorization endpoint to take it once. */
export interface PushedAuthorizationRequestRecord {
  readonly environmentId: string;
  /** Keyed hash of the `request_uri`, which is never stored. */
  readonly requestUriHash: string;
  /** The client that pushed it, and the only one that may use it. */
  readonly clientRef: string;
  /** The pushed parameters, as checked at push time, form-encoded. */
  readonly parameters: string;
  readonly expiresAt: number;
  readonly usedAt?: number;
}
