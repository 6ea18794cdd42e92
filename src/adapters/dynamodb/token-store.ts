import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page, StoredServiceAccount } from '../../domain/model';
import type { StoredOpaqueToken, StoredPersonalAccessToken, TokenRecordStore, WithOwner } from '../../domain/ports';
import { keys, SK_PREFIX, toRecord, type Key, environmentPartition, withExpiry } from './items';
import { RecordIo } from './record-io';

/**
 * Personal access tokens, opaque access tokens and JWT revocations in Latchkey's table (key
 * patterns in items.ts). Each record carries `expiresAt`, the table's TTL attribute, so DynamoDB
 * removes it eventually; this store answers it as the record's expiry (the generic `toRecord`
 * drops storage attributes) and the domain treats a passed expiry as gone. Reads that gate
 * authentication are strongly consistent, so a revocation takes effect at once.
 */
export class DynamoDbTokenStore implements TokenRecordStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  // ---- personal access tokens ----

  createPersonalAccessToken(token: StoredPersonalAccessToken): Promise<void> {
    const key = keys.personalAccessToken(token.environmentId, token.serviceAccountId, token.id);
    return this.io.putNewOnce(key, 'personal-access-token', token, 'a token with this ID already exists');
  }

  listPersonalAccessTokens(environmentId: string, accountId: string, limit: number, cursor?: string): Promise<Page<StoredPersonalAccessToken>> {
    return this.io.page(environmentPartition(environmentId), SK_PREFIX.personalAccessTokensOf(accountId), limit, cursor, withExpiry);
  }

  getPersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<StoredPersonalAccessToken | undefined> {
    return this.io.get(keys.personalAccessToken(environmentId, accountId, id), withExpiry);
  }

  deletePersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<boolean> {
    return this.io.deleteExisting(keys.personalAccessToken(environmentId, accountId, id));
  }

  loadPersonalAccessToken(environmentId: string, accountId: string, id: string): Promise<WithOwner<StoredPersonalAccessToken>> {
    return this.withOwner(keys.personalAccessToken(environmentId, accountId, id), environmentId, accountId);
  }

  // ---- opaque access tokens ----

  putOpaqueToken(token: StoredOpaqueToken): Promise<void> {
    return this.io.putNew(keys.opaqueToken(token.environmentId, token.id), 'opaque-token', token, 'a token with this ID already exists');
  }

  loadOpaqueToken(environmentId: string, accountId: string, id: string): Promise<WithOwner<StoredOpaqueToken>> {
    return this.withOwner(keys.opaqueToken(environmentId, id), environmentId, accountId);
  }

  deleteOpaqueToken(environmentId: string, id: string): Promise<boolean> {
    return this.io.deleteExisting(keys.opaqueToken(environmentId, id));
  }

  // ---- JWT revocations ----

  async revokeJwt(environmentId: string, jti: string, expiresAt: number): Promise<void> {
    // Unconditional: revoking twice leaves the same record.
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.revokedJwt(environmentId, jti), type: 'revoked-jwt', jti, expiresAt } }));
  }

  async loadJwtState(environmentId: string, jti: string | undefined, accountId?: string): Promise<{ revokedUntil?: number; owner?: StoredServiceAccount }> {
    const items = await this.bySortKey([...(jti ? [keys.revokedJwt(environmentId, jti)] : []), ...(accountId ? [keys.serviceAccount(environmentId, accountId)] : [])]);
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
    const items = await this.bySortKey([key, ownerKey]);
    const token = withExpiry<T>(items.get(key.sk));
    const owner = toRecord<StoredServiceAccount>(items.get(ownerKey.sk));
    return { ...(token ? { token } : {}), ...(owner ? { owner } : {}) };
  }

  /** Found items by sort key; all keys share one partition. */
  private async bySortKey(requested: Key[]): Promise<Map<string, Record<string, unknown>>> {
    return new Map((await this.io.batchGet(requested)).map((item) => [String(item.sk), item]));
  }
}
