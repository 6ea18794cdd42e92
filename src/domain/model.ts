/**
 * The records Latchkey keeps. Plain data: no storage or transport types. Timestamps are ISO 8601
 * strings; expiries that storage must act on are epoch seconds.
 */

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

/** An enrichment webhook: an application's, or the environment's for service-account tokens. */
export type FailurePolicy = 'fail' | 'omit';

export interface WebhookSettings {
  /** An `https://` URL, `http://` on localhost/127.0.0.1/[::1], or `arn:aws:lambda:...:function:...`. */
  readonly target: string;
  /** `fail`: refuse to issue the token when the webhook fails; `omit`: issue it without `extensions`. */
  readonly failurePolicy: FailurePolicy;
  /** How long Latchkey waits for the webhook before the policy applies. */
  readonly timeoutMs: number;
}

/** Where the webhook secret is kept: a Secrets Manager secret and the version that is current. */
export interface WebhookSecretRef {
  readonly secretId: string;
  readonly versionId: string;
}

export interface Environment {
  readonly id: string;
  readonly tenantId: string;
  /** Kept here too so a token can name its tenant without a second read. */
  readonly tenantName: string;
  readonly name: string;
  /** Lifetime of service-account access tokens. */
  readonly serviceAccountTokenTtlSeconds: number;
  /** The longest a personal access token may live; absent on environments made before it existed (then one year). */
  readonly personalAccessTokenMaxLifetimeSeconds?: number;
  /** The enrichment webhook of service-account tokens (environments.ts), read with the environment by the token path. */
  readonly serviceAccountTokenWebhook?: WebhookSettings;
  /** The secret signing its requests, in the webhook vault; never answered. */
  readonly serviceAccountTokenWebhookSecret?: WebhookSecretRef;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Optimistic concurrency: every update is conditional on the version read and increments it. */
  readonly version?: number;
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
  /** Random, set at creation: tells this resource from an earlier one of the same key. */
  readonly incarnation?: string;
  /**
   * A random ID for each permission, new whenever the permission is added to the definition (at
   * creation too). A grant counts only for the IDs it was made for, so a permission dropped and
   * defined again, or a resource deleted and created again, starts with no grants (see service-account-grants.ts).
   */
  readonly permissionIncarnations?: Readonly<Record<string, string>>;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly version?: number;
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
  /** Every token request must carry a DPoP proof (RFC 9449), so every token of the account is sender-constrained. */
  readonly requireDpop?: boolean;
  readonly disabled: boolean;
  readonly grants: Grants;
  /**
   * Set by a secret reset with `revokeTokens`: JWTs and opaque tokens issued (`iat`) in that second
   * or earlier, and PATs created at or before it, no longer work. ISO 8601 with milliseconds.
   */
  readonly tokensValidAfter?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version?: number;
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
  /** For each customer resource key, the permission incarnations (see `Resource`) each grant was made for. */
  readonly grantIncarnations?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** When a client authentication with this account's ID last failed, in epoch seconds (`src/domain/authentication-throttle.ts`). */
  readonly lastFailedAuthenticationAt?: number;
}

/** A page of a listing; `cursor` is opaque and present when more items follow. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}
