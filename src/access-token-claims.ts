import type { JWTPayload } from 'jose';

/**
 * The claims of a Latchkey access token: what the minter (`src/domain/minter.ts`) writes and the
 * guard (`src/guard`) reads. A leaf: it imports nothing of Latchkey, so the library resource
 * servers import and the domain share it without importing each other.
 */

/** Who a token stands for: a service account, an OIDC client (client credentials) or an end user. */
export type SubjectType = 'ServiceAccount' | 'EndUserAccount' | 'Client';

/** The claims of a Latchkey access token that passed every check of the guard. */
export interface LatchkeyClaims extends JWTPayload {
  sub: string;
  /** `Client` for tokens of OIDC clients (client credentials grant). */
  subjectType: SubjectType;
  tenantId: string;
  environmentId: string;
  permissions?: Record<string, string[]>;
  /**
   * RFC 8705 §3.1: `x5t#S256` on a certificate-bound token, which the guard accepted with its certificate;
   * RFC 9449 §6.1: `jkt` on a DPoP-bound token, which the guard accepted with a proof of that key.
   */
  cnf?: { 'x5t#S256'?: string; jkt?: string };
  /** RFC 8693 §4.1: on an exchanged token, the party acting for `sub` (nested `act` for a chain of exchanges). */
  act?: { sub: string; client_id?: string; act?: Record<string, unknown> };
  [claim: string]: unknown;
}

/** Every claim the minter sets; the compatibility role claims and `extensions` ride on the index signature. */
export interface AccessTokenClaims extends LatchkeyClaims {
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti: string;
  /** RFC 9068 §2.2: the client the token was issued to (not on delegated tokens, which no client asked for). */
  client_id?: string;
  scope?: string;
  name?: string;
  auth_time?: number;
  applicationId?: string;
  profileId?: string;
  sessionId?: string;
  email?: string;
}
