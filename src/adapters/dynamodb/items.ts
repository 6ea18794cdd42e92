import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
/**
 * Key patterns of the records in Latchkey's table. Every record of an environment lives in that
 * environment's partition, so an operation can only ever address its caller's environment: the
 * partition key is built from the caller's token, never from the request.
 *
 * | record           | pk                | sk                        |
 * |------------------|-------------------|---------------------------|
 * | tenant           | TENANT#{id}       | TENANT                    |
 * | environment      | ENV#{id}          | ENVIRONMENT               |
 * | resource         | ENV#{envId}       | RESOURCE#{key}            |
 * | service account  | ENV#{envId}       | SERVICE_ACCOUNT#{id}      |
 * | OIDC/SAML client | ENV#{envId}       | CLIENT#{id}               |
 * | used assertion   | ENV#{envId}       | JTI#{clientId}#{jti}      | (expiresAt: the assertion's exp)
 * | personal access token | ENV#{envId}  | PAT#{accountId}#{patId}   |  (TTL `expiresAt`)
 * | opaque access token   | ENV#{envId}  | OPAQUE_TOKEN#{jti}        |  (TTL `expiresAt`)
 * | revoked JWT           | ENV#{envId}  | REVOKED#{jti}             |  (TTL `expiresAt`: the JWT's `exp`)
 * | application      | ENV#{envId}       | APPLICATION#{id}          |
 * | IDP connection   | ENV#{envId}       | IDP_CONNECTION#{type|id}  |  (`delegated` by type: one per environment; upstream by ID)
 * | end user         | ENV#{envId}       | USER#{id}                 |
 * | subject → user   | ENV#{envId}       | USER_SUBJECT#{idpConnectionId}#{subjectId} |
 * | profile          | ENV#{envId}       | PROFILE#{userId}#DEFAULT or PROFILE#{userId}#ID#{identifier} |
 * | audience claim   | AUDIENCE#{aud}    | AUDIENCE                  |  (one per deployment; names the resource holding it)
 * | audit event      | ENV#{envId}       | AUDIT#{sequence, 12 digits} | (TTL `expiresAt`: the retention time; the chain's order)
 * | audit chain head | ENV#{envId}       | AUDIT_HEAD                |  (newest sequence and digest; never expires)
 * | deployment audit event / head | DEPLOYMENT | AUDIT#{sequence} / AUDIT_HEAD | (signing-key rotations: no environment)
 */

export type Key = { pk: string; sk: string };

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
  application: 'APPLICATION#',
  idpConnection: 'IDP_CONNECTION#',
  user: 'USER#',
  profilesOf: (userId: string) => `PROFILE#${userId}#`,
  auditEvent: 'AUDIT#',
} as const;

const STORAGE_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'type', 'expiresAt']);

/** The record as the domain knows it: the item without its storage attributes. */
export function toRecord<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.has(name)) record[name] = value;
  return record as T;
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
