import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
/**
 * Key patterns of the records in Latchkey's table: this module alone builds a `pk` or an `sk`, and
 * every store takes its keys, partitions and sort-key prefixes from here (a conventions test holds
 * the other files to it). Every record of an environment lives in that environment's partition, so
 * an operation can only ever address its caller's environment: the partition key is built from the
 * caller's token, never from the request.
 *
 * | record           | pk                | sk                        |
 * |------------------|-------------------|---------------------------|
 * | tenant           | TENANT#{id}       | TENANT                    |
 * | environment      | ENV#{id}          | ENVIRONMENT               |
 * | resource         | ENV#{envId}       | RESOURCE#{key}            |
 * | service account  | ENV#{envId}       | SERVICE_ACCOUNT#{id}      |
 * | OIDC/SAML client | ENV#{envId}       | CLIENT#{id}               |
 * | SAML entity ID   | ENV#{envId}       | SAML_ENTITY#{base64url SHA-256 of the entity ID} | (an entity ID may be longer than a sort key may be)
 * | used assertion   | ENV#{envId}       | JTI#{clientId}#{jti}      | (expiresAt: the assertion's exp)
 * | personal access token | ENV#{envId}  | PAT#{accountId}#{patId}   |  (TTL `expiresAt`)
 * | service-account key   | ENV#{envId}  | SA_KEY#{accountId}#{keyId} |  (TTL `expiresAt`, when it expires)
 * | opaque access token   | ENV#{envId}  | OPAQUE_TOKEN#{jti}        |  (TTL `expiresAt`)
 * | revoked JWT           | ENV#{envId}  | REVOKED#{jti}             |  (TTL `expiresAt`: the JWT's `exp`)
 * | application      | ENV#{envId}       | APPLICATION#{id}          |
 * | IDP connection   | ENV#{envId}       | IDP_CONNECTION#{type|id}  |  (`delegated` by type: one per environment; upstream by ID)
 * | end user         | ENV#{envId}       | USER#{id}                 |
 * | subject → user   | ENV#{envId}       | USER_SUBJECT#{idpConnectionId}#{subjectId} |
 * | profile          | ENV#{envId}       | PROFILE#{userId}#DEFAULT or PROFILE#{userId}#ID#{identifier} |
 * | authorization request | ENV#{envId}  | AUTHZ_REQUEST#{id}        |  (TTL `expiresAt`: the challenge's expiry)
 * | authorization code    | ENV#{envId}  | AUTHZ_CODE#{hash of the code} | (TTL `expiresAt`: the code's expiry)
 * | refresh token         | ENV#{envId}  | REFRESH_TOKEN#{hash of the token} | (TTL `expiresAt`: the token's expiry)
 * | token family          | ENV#{envId}  | TOKEN_FAMILY#{id}         |  (TTL `expiresAt`: the family's absolute expiry)
 * | browser session       | ENV#{envId}  | SESSION#{sid}             |  (TTL `expiresAt`: the session's expiry)
 * | session of a user     | ENV#{envId}  | USER_SESSION#{userId}#{sid} | (TTL `expiresAt`: the session's expiry)
 * | remembered consent    | ENV#{envId}  | CONSENT#{userId}#{clientRef} | (TTL `expiresAt`: end of the access validity)
 * | pushed authorization request | ENV#{envId} | PAR#{hash of the request_uri} | (TTL `expiresAt`: 60 s after the push)
 * | audience claim   | AUDIENCE#{aud}    | AUDIENCE                  |  (one per deployment; names the resource holding it)
 * | audit event      | ENV#{envId}       | AUDIT#{sequence, 12 digits} | (TTL `expiresAt`: the retention time; the chain's order)
 * | audit chain head | ENV#{envId}       | AUDIT_HEAD                |  (newest sequence and digest; never expires)
 * | deployment audit event / head | DEPLOYMENT | AUDIT#{sequence} / AUDIT_HEAD | (signing-key rotations: no environment)
 * | signing key ring | SIGNING#KEYS      | RING                      |  (version, rotatedAt, next, current, previous)
 * | key generation   | SIGNING#KEYS      | GENERATION#{id}           |  (public JWKs in clear, private keys as KMS ciphertext)
 * | retired KMS keys | SIGNING#KEYS      | KMS-RETIRED               |  (KMS mode: version, kids)
 * | failures of a client, address | THROTTLE#{clientKey} | ADDRESS#{windowStart}#{addressKey} | (TTL `expiresAt`: the window's end)
 * | failures of a client, all     | THROTTLE#{clientKey} | CLIENT#{windowStart}                | (TTL `expiresAt`: the window's end)
 * | success of a client, address  | THROTTLE#{clientKey} | SUCCEEDED#{addressKey}              | (TTL `expiresAt`: until the address is trusted)
 */

export type Key = { pk: string; sk: string };

/** The partition of every record of an environment. */
export function environmentPartition(environmentId: string): string {
  return `ENV#${environmentId}`;
}

/** The envelope-mode signing keys: one partition outside every environment's, read with one Query. */
export const SIGNING_KEYS_PARTITION = 'SIGNING#KEYS';

export const keys = {
  tenant: (id: string): Key => ({ pk: `TENANT#${id}`, sk: 'TENANT' }),
  environment: (id: string): Key => ({ pk: `ENV#${id}`, sk: 'ENVIRONMENT' }),
  resource: (environmentId: string, key: string): Key => ({ pk: `ENV#${environmentId}`, sk: `RESOURCE#${key}` }),
  /** Outside every environment's partition on purpose: audiences are unique across the deployment. */
  audience: (audience: string): Key => ({ pk: `AUDIENCE#${audience}`, sk: 'AUDIENCE' }),
  serviceAccount: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `SERVICE_ACCOUNT#${id}` }),
  client: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `CLIENT#${id}` }),
  assertionId: (environmentId: string, clientId: string, jti: string): Key => ({ pk: `ENV#${environmentId}`, sk: `JTI#${clientId}#${jti}` }),
  /** Under the owner's ID, so an account's tokens are one key-prefix query. */
  personalAccessToken: (environmentId: string, accountId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `PAT#${accountId}#${id}` }),
  /** Under the owner's ID, so an account's keys are one key-prefix query. */
  serviceAccountKey: (environmentId: string, accountId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `SA_KEY#${accountId}#${id}` }),
  opaqueToken: (environmentId: string, jti: string): Key => ({ pk: `ENV#${environmentId}`, sk: `OPAQUE_TOKEN#${jti}` }),
  revokedJwt: (environmentId: string, jti: string): Key => ({ pk: `ENV#${environmentId}`, sk: `REVOKED#${jti}` }),
  application: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `APPLICATION#${id}` }),
  /** The delegated one keyed by type, not ID: a conditional put on it is what keeps one per environment; upstream connections by ID. */
  idpConnection: (environmentId: string, typeOrId: string): Key => ({ pk: `ENV#${environmentId}`, sk: `IDP_CONNECTION#${typeOrId}` }),
  user: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `USER#${id}` }),
  /** The lock that makes concurrent first calls for one subject create one user. */
  userSubject: (environmentId: string, idpConnectionId: string, subjectId: string): Key => ({
    pk: `ENV#${environmentId}`,
    sk: `USER_SUBJECT#${idpConnectionId}#${subjectId}`,
  }),
  profile: (environmentId: string, userId: string, uniqueProfileIdentifier?: string): Key => ({
    pk: `ENV#${environmentId}`,
    sk: `PROFILE#${userId}#${uniqueProfileIdentifier === undefined ? 'DEFAULT' : `ID#${uniqueProfileIdentifier}`}`,
  }),
  /** Zero-padded, so sort-key order is the chain's order. `chain` is an environment ID or `deployment`. */
  auditEvent: (chain: string, sequence: number): Key => ({ pk: auditPartition(chain), sk: `AUDIT#${String(sequence).padStart(12, '0')}` }),
  auditHead: (chain: string): Key => ({ pk: auditPartition(chain), sk: 'AUDIT_HEAD' }),
  /** Hashed: an entity ID may be longer than a sort key may be. */
  samlEntity: (environmentId: string, spEntityId: string): Key => ({
    pk: `ENV#${environmentId}`,
    sk: `SAML_ENTITY#${createHash('sha256').update(spEntityId).digest('base64url')}`,
  }),
  authorizationRequest: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `AUTHZ_REQUEST#${id}` }),
  authorizationCode: (environmentId: string, hash: string): Key => ({ pk: `ENV#${environmentId}`, sk: `AUTHZ_CODE#${hash}` }),
  refreshToken: (environmentId: string, hash: string): Key => ({ pk: `ENV#${environmentId}`, sk: `REFRESH_TOKEN#${hash}` }),
  tokenFamily: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `TOKEN_FAMILY#${id}` }),
  session: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `SESSION#${id}` }),
  /** The user's index of sessions: written before the session, deleted after it. */
  userSession: (environmentId: string, userId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `USER_SESSION#${userId}#${id}` }),
  consent: (environmentId: string, userId: string, clientRef: string): Key => ({ pk: `ENV#${environmentId}`, sk: `CONSENT#${userId}#${clientRef}` }),
  /** A pushed authorization request (RFC 9126), by the keyed hash of its `request_uri`. */
  pushedRequest: (environmentId: string, hash: string): Key => ({ pk: `ENV#${environmentId}`, sk: `PAR#${hash}` }),
  signingKeyRing: (): Key => ({ pk: SIGNING_KEYS_PARTITION, sk: 'RING' }),
  signingKeyGeneration: (id: string): Key => ({ pk: SIGNING_KEYS_PARTITION, sk: `GENERATION#${id}` }),
  kmsRetirements: (): Key => ({ pk: SIGNING_KEYS_PARTITION, sk: 'KMS-RETIRED' }),
  /** Failed-authentication counters: deterministic and bounded (hashes and a window start), so counting needs no read. */
  failuresAtAddress: (clientKey: string, addressKey: string, windowStart: number): Key => ({
    pk: `THROTTLE#${clientKey}`,
    sk: `ADDRESS#${windowStart}#${addressKey}`,
  }),
  failuresOfClient: (clientKey: string, windowStart: number): Key => ({ pk: `THROTTLE#${clientKey}`, sk: `CLIENT#${windowStart}` }),
  successAtAddress: (clientKey: string, addressKey: string): Key => ({ pk: `THROTTLE#${clientKey}`, sk: `SUCCEEDED#${addressKey}` }),
};

/** An environment's audit chain lives in its partition; the deployment's (signing keys) in one of its own. */
export function auditPartition(chain: string): string {
  return chain === 'deployment' ? 'DEPLOYMENT' : `ENV#${chain}`;
}

export const SK_PREFIX = {
  resource: 'RESOURCE#',
  serviceAccount: 'SERVICE_ACCOUNT#',
  client: 'CLIENT#',
  personalAccessTokensOf: (accountId: string) => `PAT#${accountId}#`,
  serviceAccountKeysOf: (accountId: string) => `SA_KEY#${accountId}#`,
  application: 'APPLICATION#',
  idpConnection: 'IDP_CONNECTION#',
  user: 'USER#',
  profilesOf: (userId: string) => `PROFILE#${userId}#`,
  auditEvent: 'AUDIT#',
  userSessionsOf: (userId: string) => `USER_SESSION#${userId}#`,
  consentsOf: (userId: string) => `CONSENT#${userId}#`,
  signingKeyGeneration: 'GENERATION#',
} as const;

/** Sorts after every audit event's key: the upper bound of a range of them. */
export const AFTER_LAST_AUDIT_EVENT = 'AUDIT#~';

const STORAGE_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'type', 'expiresAt']);

/** The record as the domain knows it: the item without its storage attributes. */
export function toRecord<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.has(name)) record[name] = value;
  return record as T;
}

/** `toRecord`, keeping `expiresAt`: for records whose TTL attribute is also the expiry the domain checks. */
export function withExpiry<T>(item: Record<string, unknown> | undefined): T | undefined {
  const record = toRecord<Record<string, unknown>>(item);
  if (!record) return undefined;
  return (item?.expiresAt === undefined ? record : { ...record, expiresAt: Number(item.expiresAt) }) as T;
}

/** Whether a conditional write took place: false when its condition did not hold; any other error passes through. */
export async function conditionMet(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
