/**
 * The primitives every part of the domain shares: the clock, the keyed hasher, the signer and the key
 * types. A leaf: this file imports nothing from Latchkey, so any module may import it without
 * closing an import cycle (a conventions test fails on any cycle under `src/`).
 */

/** A public key in JWK form, as published in the JWKS. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

export interface TokenSigner {
  /**
   * Signs the claims as a compact JWS with the active key; `typ` defaults to `JWT`, `alg` to `ES256`.
   * `RS256` (for ID tokens of clients that ask for it) fails with `SigningAlgorithmNotConfigured`
   * where the deployment has no RSA signing key.
   */
  sign(claims: Readonly<Record<string, unknown>>, options?: { typ?: string; alg?: 'ES256' | 'RS256' }): Promise<string>;
}

export interface PublicKeySet {
  /** Every published key: the active one and those still verifying or not yet signing. */
  publicKeys(): Promise<readonly PublicJwk[]>;
}

/** Keys secrets before they are stored: the same secret always gives the same hash. */
export interface SecretHasher {
  hash(secret: string): Promise<string>;
}

/** Milliseconds since the epoch; replaced by a fixed clock in tests. */
export type Clock = () => number;

/** The clock's time in whole epoch seconds, as tokens and records carry it. */
export const seconds = (now: Clock): number => Math.floor(now() / 1000);
