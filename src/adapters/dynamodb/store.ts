import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { Conflict, InvalidRequest } from '../../domain/errors';
import type { Environment, Page, Resource, StoredServiceAccount, Tenant } from '../../domain/model';
import type { Store, TokenContext } from '../../domain/ports';
import { keys, SK_PREFIX, toRecord, type Key } from './items';
import { updateExisting } from './update';

/**
 * The DynamoDB implementation of the domain's stores. Writes that create a record are conditional
 * on the key being free, updates on the record existing; reads that gate authentication are
 * strongly consistent, so a reset secret or a disabled account stops working at once.
 */
export class DynamoDbStore implements Store {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // ---- tenants and environments ----

  async createTenant(tenant: Tenant): Promise<void> {
    await this.putNew(keys.tenant(tenant.id), 'tenant', tenant).catch((error: unknown) => {
      if (!(error instanceof Conflict)) throw error;
    });
  }

  createEnvironment(environment: Environment): Promise<void> {
    return this.putNew(keys.environment(environment.id), 'environment', environment);
  }

  async getEnvironment(environmentId: string): Promise<Environment | undefined> {
    return this.get<Environment>(keys.environment(environmentId));
  }

  async updateEnvironment(environmentId: string, changes: Partial<Environment>): Promise<Environment | undefined> {
    return toRecord<Environment>(await updateExisting(this.client, this.tableName, keys.environment(environmentId), changes));
  }

  // ---- resources ----

  async listResources(environmentId: string): Promise<Resource[]> {
    return this.queryAll<Resource>(`ENV#${environmentId}`, SK_PREFIX.resource);
  }

  async getResources(environmentId: string, resourceKeys: readonly string[]): Promise<Resource[]> {
    const items = await this.batchGet([...new Set(resourceKeys)].map((key) => keys.resource(environmentId, key)));
    return items.map((item) => toRecord<Resource>(item)!);
  }

  createResource(environmentId: string, resource: Resource): Promise<void> {
    return this.putNew(keys.resource(environmentId, resource.key), 'resource', resource, `resource "${resource.key}" already exists`);
  }

  async updateResource(environmentId: string, key: string, changes: Partial<Resource>): Promise<Resource | undefined> {
    return toRecord<Resource>(await updateExisting(this.client, this.tableName, keys.resource(environmentId, key), changes));
  }

  deleteResource(environmentId: string, key: string): Promise<boolean> {
    return this.deleteExisting(keys.resource(environmentId, key));
  }

  // ---- service accounts ----

  createServiceAccount(account: StoredServiceAccount): Promise<void> {
    return this.putNew(keys.serviceAccount(account.environmentId, account.id), 'service-account', account);
  }

  getServiceAccount(environmentId: string, id: string): Promise<StoredServiceAccount | undefined> {
    return this.get<StoredServiceAccount>(keys.serviceAccount(environmentId, id));
  }

  async listServiceAccounts(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredServiceAccount>> {
    const pk = `ENV#${environmentId}`;
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': SK_PREFIX.serviceAccount },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk, sk: decodeCursor(cursor, SK_PREFIX.serviceAccount) } } : {}),
      }),
    );
    return {
      items: Items.map((item) => toRecord<StoredServiceAccount>(item)!),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(String(LastEvaluatedKey.sk)) } : {}),
    };
  }

  async updateServiceAccount(environmentId: string, id: string, changes: Partial<StoredServiceAccount>): Promise<StoredServiceAccount | undefined> {
    return toRecord<StoredServiceAccount>(await updateExisting(this.client, this.tableName, keys.serviceAccount(environmentId, id), changes));
  }

  deleteServiceAccount(environmentId: string, id: string): Promise<boolean> {
    return this.deleteExisting(keys.serviceAccount(environmentId, id));
  }

  async loadTokenContext(environmentId: string, accountId: string, resourceKeys: readonly string[]): Promise<TokenContext> {
    const items = await this.batchGet([
      keys.environment(environmentId),
      keys.serviceAccount(environmentId, accountId),
      ...[...new Set(resourceKeys)].map((key) => keys.resource(environmentId, key)),
    ]);
    const bySk = new Map(items.map((item) => [String(item.sk), item]));
    return {
      environment: toRecord<Environment>(bySk.get('ENVIRONMENT')),
      account: toRecord<StoredServiceAccount>(bySk.get(`${SK_PREFIX.serviceAccount}${accountId}`)),
      resources: items.filter((item) => String(item.sk).startsWith(SK_PREFIX.resource)).map((item) => toRecord<Resource>(item)!),
    };
  }

  // ---- plumbing ----

  private async get<T>(key: Key): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return toRecord<T>(Item);
  }

  private async putNew(key: Key, type: string, record: object, conflictMessage = 'a record with this ID already exists'): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, ...key, type },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new Conflict(conflictMessage);
      throw error;
    }
  }

  private async deleteExisting(key: Key): Promise<boolean> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async queryAll<T>(pk: string, skPrefix: string): Promise<T[]> {
    const records: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      records.push(...(page.Items ?? []).map((item) => toRecord<T>(item)!));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  /** One BatchGetItem (100 keys at most), strongly consistent, retrying only what DynamoDB left unprocessed. */
  private async batchGet(requested: Key[]): Promise<Record<string, unknown>[]> {
    if (requested.length === 0) return [];
    if (requested.length > 100) throw new InvalidRequest('too many records requested at once');
    const found: Record<string, unknown>[] = [];
    let pending: Key[] = requested;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      if (attempt > 5) throw new Error('DynamoDB left keys unprocessed after retries');
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...(Responses?.[this.tableName] ?? []));
      pending = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
    }
    return found;
  }
}

export function encodeCursor(sk: string): string {
  return Buffer.from(JSON.stringify({ sk }), 'utf8').toString('base64url');
}

/** A cursor only ever carries a sort key; the partition is always the caller's own. */
export function decodeCursor(cursor: string, expectedPrefix: string): string {
  try {
    const { sk } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sk?: unknown };
    if (typeof sk === 'string' && sk.startsWith(expectedPrefix) && sk.length < 200) return sk;
  } catch {
    // fall through
  }
  throw new InvalidRequest('cursor is not valid; use the cursor of the previous page as it was returned', {
    fields: [{ path: 'cursor', message: 'not a cursor this listing returned' }],
  });
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
