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
 */

export type Key = { pk: string; sk: string };

export const keys = {
  tenant: (id: string): Key => ({ pk: `TENANT#${id}`, sk: 'TENANT' }),
  environment: (id: string): Key => ({ pk: `ENV#${id}`, sk: 'ENVIRONMENT' }),
  resource: (environmentId: string, key: string): Key => ({ pk: `ENV#${environmentId}`, sk: `RESOURCE#${key}` }),
  serviceAccount: (environmentId: string, id: string): Key => ({ pk: `ENV#${environmentId}`, sk: `SERVICE_ACCOUNT#${id}` }),
};

export const SK_PREFIX = {
  resource: 'RESOURCE#',
  serviceAccount: 'SERVICE_ACCOUNT#',
} as const;

const STORAGE_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'type', 'expiresAt']);

/** The record as the domain knows it: the item without its storage attributes. */
export function toRecord<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.has(name)) record[name] = value;
  return record as T;
}
