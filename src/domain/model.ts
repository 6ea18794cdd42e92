/**
 * The records Latchkey keeps. Plain data: no storage or transport types. Timestamps are ISO 8601
 * strings; expiries that storage must act on are epoch seconds.
 */

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface Environment {
  readonly id: string;
  readonly tenantId: string;
  /** Kept here too so a token can name its tenant without a second read. */
  readonly tenantName: string;
  readonly name: string;
  /** Lifetime of service-account access tokens (SA-6). */
  readonly serviceAccountTokenTtlSeconds: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `{resourceKey: [permission, ...]}`, the shape of the `permissions` claim. */
export type Grants = Readonly<Record<string, readonly string[]>>;

export interface Resource {
  readonly key: string;
  readonly name: string;
  readonly description?: string;
  /** The `aud` value of tokens issued for this resource. */
  readonly audience: string;
  readonly permissions: readonly string[];
  /** When set, tokens for this resource live at most this long. */
  readonly accessTokenTtlSeconds?: number;
  readonly builtIn: boolean;
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

export type AccessTokenType = 'jwt' | 'opaque';

export interface ServiceAccount {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly name: string;
  readonly description?: string;
  readonly userName?: string;
  readonly accessTokenType: AccessTokenType;
  readonly disabled: boolean;
  readonly grants: Grants;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The stored secret material of a client: keyed hashes only, never the secret. */
export interface SecretHashes {
  readonly current: string;
  /** The previous secret's hash while a reset's grace period runs. */
  readonly previous?: string;
  /** Epoch seconds after which `previous` no longer authenticates. */
  readonly previousExpiresAt?: number;
}

export interface StoredServiceAccount extends ServiceAccount {
  readonly secret: SecretHashes;
}

/** A page of a listing; `cursor` is opaque and present when more items follow. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}
