import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Conflict } from '../../domain/errors';
import type { Page } from '../../domain/model';
import { decodeCursor, encodeCursor } from './store';
import { toRecord, type Key } from './items';

/**
 * The few table operations the per-area stores share: a strongly consistent get, a put that only
 * creates, a delete that reports whether there was anything, and a paged prefix query.
 */
export class RecordIo {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get<T>(key: Key): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return toRecord<T>(Item);
  }

  /** Writes only if the key is free; otherwise `Conflict` with the message given. */
  async putNew(key: Key, type: string, record: object, conflictMessage = 'a record with this ID already exists'): Promise<void> {
    if (!(await this.putIfAbsent(key, type, record))) throw new Conflict(conflictMessage);
  }

  /** Writes only if the key is free; answers whether it did (false: someone else's record is there). */
  async putIfAbsent(key: Key, type: string, record: object): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { ...record, ...key, type }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async deleteExisting(key: Key): Promise<boolean> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** One page of the records whose sort key starts with `prefix`, in sort-key order. */
  async page<T>(pk: string, prefix: string, limit: number, cursor?: string): Promise<Page<T>> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk, sk: decodeCursor(cursor, prefix) } } : {}),
      }),
    );
    return {
      items: Items.map((item) => toRecord<T>(item)!),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(String(LastEvaluatedKey.sk)) } : {}),
    };
  }

  /** Every record whose sort key starts with `prefix`. */
  async all<T>(pk: string, prefix: string): Promise<T[]> {
    const records: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      records.push(...(page.Items ?? []).map((item) => toRecord<T>(item)!));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }
}
