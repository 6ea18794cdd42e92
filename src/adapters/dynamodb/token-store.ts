import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Conflict } from '../../domain/errors';
import type { Page, StoredServiceAccount } from '../../domain/model';
import type { StoredOpaqueToken, StoredPersonalAccessToken, TokenRecordStore, WithOwner } from '../../domain/ports';
import { keys, SK_PREFIX, toRecord, type Key } from './items';
import { decodeCursor, encodeCursor } from './store';

/**
 * Personal access tokens, opaque access tokens and JWT revocations in Latchkey's table (key
 * patterns in items.ts). Each record carries `expiresAt`, the table's TTL attribute, so DynamoDB
 * removes it eventually; this store answers it as the record's expiry (the generic `toRecord`
 * drops storage attributes) and the domain treats a passed expiry as gone. Reads that gate
 * authentication are strongly consistent, so a revocation takes effect at once.
 */
export class DynamoDbTokenStore implements TokenRecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // ---- personal access tokens ----

  createPersonalAccessToken(token: StoredPersonalAccessToken): Promise<void> {
    return this.putNew(keys.personalAccessToken(token.environmentId, token.serviceAccountId, token.id), 'personal-access-token', token);
  }

  async listPersonalAccessTokens(environmentId: string, accountId: string, limit: number, cursor?: string): Promise<Page<StoredPersonalAccessToken>> {
    const pk = `ENV#${environmentId}`;
    const prefix = SK_PREFIX.personalAccessTokensOf(accountId);
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ConsistentRead: true,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk, sk: decodeCursor(cursor, prefix) } } : {}),
      }),
    );
    return {
      items: Items.map((item) => withExpiry<StoredPersonalAccessToken>(item)!),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(String(LastEvaluatedKey.sk)) } : {}),
    };
  }

  async getPersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<StoredPersonalAccessToken | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.personalAccessToken(environmentId, accountId, id), ConsistentRead: true }),
    );
    return withExpiry<StoredPersonalAccessToken>(Item);
  }

  deletePersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<boolean> {
    return this.deleteExisting(keys.personalAccessToken(environmentId, accountId, id));
  }

  loadPersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<WithOwner<StoredPersonalAccessToken>> {
    return this.withOwner(keys.personalAccessToken(environmentId, accountId, id), environmentId, accountId);
  }

  // ---- opaque access tokens ----

  putOpaqueToken(token: StoredOpaqueToken): Promise<void> {
    return this.putNew(keys.opaqueToken(token.environmentId, token.id), 'opaque-token', token);
  }

  loadOpaqueToken(environmentId: string, accountId: string, id: string): Promise<WithOwner<StoredOpaqueToken>> {
    return this.withOwner(keys.opaqueToken(environmentId, id), environmentId, accountId);
  }

  deleteOpaqueToken(environmentId: string, id: string): Promise<boolean> {
    return this.deleteExisting(keys.opaqueToken(environmentId, id));
  }

  // ---- JWT revocations ----

  async revokeJwt(environmentId: string, jti: string, expiresAt: number): Promise<void> {
    // Unconditional: revoking twice leaves the same record.
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.revokedJwt(environmentId, jti), type: 'revoked-jwt', jti, expiresAt } }),
    );
  }

  async loadJwtState(environmentId: string, jti: string | undefined, accountId?: string): Promise<{ revokedUntil?: number; owner?: StoredServiceAccount }> {
    const items = await this.batchGet([
      ...(jti ? [keys.revokedJwt(environmentId, jti)] : []),
      ...(accountId ? [keys.serviceAccount(environmentId, accountId)] : []),
    ]);
    const revoked = jti ? items.get(keys.revokedJwt(environmentId, jti).sk) : undefined;
    const owner = accountId ? toRecord<StoredServiceAccount>(items.get(keys.serviceAccount(environmentId, accountId).sk)) : undefined;
    return {
      ...(revoked ? { revokedUntil: Number(revoked.expiresAt) } : {}),
      ...(owner ? { owner } : {}),
    };
  }

  // ---- plumbing ----

  /** The record and its owner in one strongly consistent batch read (both keys are known up front). */
  private async withOwner<T>(key: Key, environmentId: string, accountId: string): Promise<WithOwner<T>> {
    const ownerKey = keys.serviceAccount(environmentId, accountId);
    const items = await this.batchGet([key, ownerKey]);
    const token = withExpiry<T>(items.get(key.sk));
    const owner = toRecord<StoredServiceAccount>(items.get(ownerKey.sk));
    return { ...(token ? { token } : {}), ...(owner ? { owner } : {}) };
  }

  /** Found items by sort key; all keys share one partition. Retries only what DynamoDB left unprocessed. */
  private async batchGet(requested: Key[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    let pending = requested;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error('DynamoDB left keys unprocessed after retries');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[this.tableName] ?? []) found.set(String(item.sk), item);
      pending = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
    }
    return found;
  }

  private async putNew(key: Key, type: string, record: object): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { ...record, ...key, type }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new Conflict('a token with this ID already exists');
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
}

/** `toRecord`, keeping `expiresAt`: for these records it is the expiry the domain checks. */
function withExpiry<T>(item: Record<string, unknown> | undefined): T | undefined {
  const record = toRecord<Record<string, unknown>>(item);
  if (!record) return undefined;
  return (item?.expiresAt === undefined ? record : { ...record, expiresAt: Number(item.expiresAt) }) as T;
}
