import type { Environment, Page, Resource, StoredServiceAccount, Tenant } from './model';

/**
 * The core stores: environments, resources, service accounts and the token records. The ports of a
 * feature whose records live in that feature's file stay beside those records; `ports.ts` lists them all.
 */

export interface EnvironmentStore {
  /** Creates the tenant if it is new; an existing tenant of that ID is left as it is. Answers the stored tenant. */
  createTenant(tenant: Tenant): Promise<Tenant>;
  /** Fails with `Conflict` if the ID is taken. */
  createEnvironment(environment: Environment): Promise<void>;
  getEnvironment(environmentId: string): Promise<Environment | undefined>;
  /** Conditional on `expectedVersion` (see `ServiceAccountStore.updateServiceAccount`). */
  updateEnvironment(
    environmentId: string,
    expectedVersion: number | undefined,
    changes: Partial<Pick<Environment, 'name' | 'serviceAccountTokenTtlSeconds' | 'personalAccessTokenMaxLifetimeSeconds' | 'updatedAt'>>,
  ): Promise<Environment | undefined>;
}

export interface ResourceStore {
  listResources(environmentId: string): Promise<Resource[]>;
  getResources(environmentId: string, keys: readonly string[]): Promise<Resource[]>;
  /**
   * Fails with `Conflict` if the key is taken, or if another resource of the deployment (any tenant,
   * any environment) has the audience: the audience is claimed first with a uniqueness record, then
   * the resource is written, and the claim is released again if that fails.
   */
  createResource(environmentId: string, resource: Resource): Promise<void>;
  /** Conditional on `expectedVersion` (see `ServiceAccountStore.updateServiceAccount`). */
  updateResource(
    environmentId: string,
    key: string,
    expectedVersion: number | undefined,
    changes: Partial<Omit<Resource, 'key' | 'audience' | 'builtIn' | 'incarnation' | 'version'>>,
  ): Promise<Resource | undefined>;
  /** Deletes the resource, then releases its audience. */
  deleteResource(environmentId: string, key: string): Promise<boolean>;
}

export interface ServiceAccountStore {
  /** Fails with `Conflict` if the ID is taken. */
  createServiceAccount(account: StoredServiceAccount): Promise<void>;
  getServiceAccount(environmentId: string, id: string): Promise<StoredServiceAccount | undefined>;
  listServiceAccounts(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredServiceAccount>>;
  /**
   * Changes an existing account only, and only if its version is still `expectedVersion` (undefined:
   * a record written before versions existed); the version goes up by one. Answers undefined when
   * there is no account; throws `ConcurrentUpdate` when it changed since it was read.
   */
  updateServiceAccount(
    environmentId: string,
    id: string,
    expectedVersion: number | undefined,
    changes: Partial<
      Pick<StoredServiceAccount, 'name' | 'description' | 'disabled' | 'requireDpop' | 'grants' | 'grantIncarnations' | 'secret' | 'tokensValidAfter' | 'updatedAt'>
    >,
  ): Promise<StoredServiceAccount | undefined>;
  /** Deletes the account, and its keys, if its version is still `expectedVersion`; `ConcurrentUpdate` otherwise. */
  deleteServiceAccount(environmentId: string, id: string, expectedVersion: number | undefined): Promise<boolean>;
  /**
   * What issuing a token for an account needs, in one read: the environment, the account and the
   * named resources (unknown keys are simply absent).
   */
  loadTokenContext(environmentId: string, accountId: string, resourceKeys: readonly string[]): Promise<TokenContext>;
  /**
   * Notes on an existing account when a client authentication with its ID last failed (the
   * failed-authentication throttle reads it back); touches nothing else, not even the version.
   */
  markFailedAuthentication(environmentId: string, accountId: string, atSeconds: number): Promise<void>;
}

export interface TokenContext {
  readonly environment?: Environment;
  readonly account?: StoredServiceAccount;
  readonly resources: readonly Resource[];
}

export type Store = EnvironmentStore & ResourceStore & ServiceAccountStore;

// ---- reference tokens and revocations -------------------------------------

/** A personal access token as stored: metadata and a keyed hash of the whole token, never the token. */
export interface StoredPersonalAccessToken {
  readonly id: string;
  readonly environmentId: string;
  readonly serviceAccountId: string;
  readonly name?: string;
  readonly createdAt: string;
  /** Epoch seconds (the table's TTL attribute); absent when the token does not expire. */
  readonly expiresAt?: number;
  readonly tokenHash: string;
}

/** An opaque access token as stored: the claims it stands for and a keyed hash of the token. */
export interface StoredOpaqueToken {
  /** The `jti` of its claims. */
  readonly id: string;
  readonly environmentId: string;
  readonly serviceAccountId: string;
  readonly tokenHash: string;
  readonly claims: Readonly<Record<string, unknown>>;
  /** Epoch seconds, the `exp` of its claims (the table's TTL attribute). */
  readonly expiresAt: number;
}

/** A token record and the service account that owns it, read together. */
export interface WithOwner<T> {
  readonly token?: T;
  readonly owner?: StoredServiceAccount;
}

/** Where the token endpoint keeps the opaque access tokens it issues. */
export interface OpaqueTokenStore {
  /** Fails with `Conflict` if the ID is taken. */
  putOpaqueToken(token: StoredOpaqueToken): Promise<void>;
}

/**
 * Personal access tokens, opaque access tokens and JWT revocations. Records are answered as stored,
 * expired or not: the domain decides with its clock, because DynamoDB's TTL deletes late (dynalite never).
 */
export interface TokenRecordStore extends OpaqueTokenStore {
  /** Fails with `Conflict` if the ID is taken. */
  createPersonalAccessToken(token: StoredPersonalAccessToken): Promise<void>;
  listPersonalAccessTokens(environmentId: string, serviceAccountId: string, limit: number, cursor?: string): Promise<Page<StoredPersonalAccessToken>>;
  getPersonalAccessToken(environmentId: string, serviceAccountId: string, id: string): Promise<StoredPersonalAccessToken | undefined>;
  deletePersonalAccessToken(environmentId: string, serviceAccountId: string, id: string): Promise<boolean>;
  loadPersonalAccessToken(environmentId: string, serviceAccountId: string, id: string): Promise<WithOwner<StoredPersonalAccessToken>>;
  loadOpaqueToken(environmentId: string, serviceAccountId: string, id: string): Promise<WithOwner<StoredOpaqueToken>>;
  deleteOpaqueToken(environmentId: string, id: string): Promise<boolean>;
  /** Records that the JWT `jti` is revoked until `expiresAt` (its `exp`); repeating it is harmless. */
  revokeJwt(environmentId: string, jti: string, expiresAt: number): Promise<void>;
  /** The revocation record of `jti` (its `expiresAt`, if any) and, when named, the owning account, in one read. */
  loadJwtState(environmentId: string, jti: string | undefined, serviceAccountId?: string): Promise<{ revokedUntil?: number; owner?: StoredServiceAccount }>;
}
