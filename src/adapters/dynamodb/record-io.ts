import { BatchGetItemCommand, ConditionalCheckFailedException, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdate, Conflict, InvalidRequest } from '../../domain/errors';
import type { Page } from '../../domain/model';
import { conditionMet, toRecord, type Key } from './items';

/** Turns a stored item into the record the domain sees; `toRecord` unless a store needs more. */
export type ReadItem = <T>(item: Record<string, unknown> | undefined) => T | undefined;

/**
 * The plain client that reads for each document client (`documentClient` in `store.ts` registers
 * it): every get and batch get goes through it with attribute values written out, which skips the
 * document client's per-request middleware resolution on the token path.
 */
const readers = new WeakMap<DynamoDBDocumentClient, DynamoDBClient>();

/** Lets the stores on `documentClient` read through `reader` (same table, same credentials). */
export function readThrough(documentClient: DynamoDBDocumentClient, reader: DynamoDBClient): void {
  readers.set(documentClient, reader);
}

function readerOf(documentClient: DynamoDBDocumentClient): DynamoDBClient {
  const reader = readers.get(documentClient);
  if (!reader) throw new TypeError('a store reads through the plain client of its document client: make it with documentClient() of store.ts');
  return reader;
}

/** The item as stored, storage attributes included. */
const asStored = <T>(item: Record<string, unknown> | undefined): T | undefined => item as T | undefined;

/**
 * The few table operations every store shares: a strongly consistent get and batch get, a put that
 * only creates, a delete that reports whether there was anything, and prefix queries.
 */
export class RecordIo {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The one read of a record by key: strongly consistent, through the plain client. */
  async get<T>(key: Key, read: ReadItem = toRecord): Promise<T | undefined> {
    const { Item } = await readerOf(this.client).send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key), ConsistentRead: true }));
    return read<T>(Item && unmarshall(Item));
  }

  /** One BatchGetItem (100 keys at most), strongly consistent, retrying only what DynamoDB left unprocessed. */
  async batchGet(requested: readonly Key[]): Promise<Record<string, unknown>[]> {
    if (requested.length === 0) return [];
    if (requested.length > 100) throw new InvalidRequest('too many records requested at once');
    const found: Record<string, unknown>[] = [];
    let pending = [...requested];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error('DynamoDB left keys unprocessed after retries');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await readerOf(this.client).send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending.map((key) => marshall(key)), ConsistentRead: true } } }),
      );
      found.push(...(Responses?.[this.tableName] ?? []).map((item) => unmarshall(item)));
      pending = (UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((key) => unmarshall(key) as Key);
    }
    return found;
  }

  /** Writes only if the key is free; otherwise `Conflict` with the message given. */
  async putNew(key: Key, type: string, record: object, conflictMessage = 'a record with this ID already exists'): Promise<void> {
    if (!(await this.putIfAbsent(key, type, record))) throw new Conflict(conflictMessage);
  }

  /**
   * Creates a record under a key that only this call knows (a fresh random ID), surviving the AWS
   * SDK's retry of a write that committed but lost its answer (a reset or a timeout after the
   * commit). The SDK sends every attempt of one call with the same input, so the retry's condition
   * fails on the very item the first attempt wrote: an item equal to this one, random ID, secret hash
   * and timestamps included, is this call's own, and the create has succeeded. Anything else at the
   * key is a conflict.
   */
  async putNewOnce(key: Key, type: string, record: object, conflictMessage = 'a record with this ID already exists'): Promise<void> {
    if (!(await this.putIfAbsentOnce(key, type, record))) throw new Conflict(conflictMessage);
  }

  /**
   * `putNewOnce` that answers instead of throwing: true when this call wrote the item (its own item
   * found by a retry counts), false when someone else's record is there. For records that carry
   * something only this call knows (a random ID, incarnation or hash), such as uniqueness claims.
   */
  async putIfAbsentOnce(key: Key, type: string, record: object): Promise<boolean> {
    const item = { ...record, ...key, type };
    if (await conditionMet(this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })))) return true;
    const stored = await this.get<Record<string, unknown>>(key, asStored);
    // As stored: without the attributes the document client leaves out (undefined values).
    return stored !== undefined && isDeepStrictEqual(stored, JSON.parse(JSON.stringify(item)));
  }

  /** Writes only if the key is free; answers whether it did (false: someone else's record is there). */
  async putIfAbsent(key: Key, type: string, record: object): Promise<boolean> {
    return conditionMet(this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...record, ...key, type }, ConditionExpression: 'attribute_not_exists(pk)' })));
  }

  async deleteExisting(key: Key): Promise<boolean> {
    return conditionMet(this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)' })));
  }

  /**
   * Deletes the record only if its version is still `expected` (undefined: written before versions
   * existed). Answers false when there is none; throws `ConcurrentUpdate` when it changed.
   */
  async deleteVersioned(key: Key, expected: number | undefined, what: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: expected === undefined ? 'attribute_exists(pk) AND attribute_not_exists(#version)' : 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (await this.get(key)) throw new ConcurrentUpdate(what);
      return false;
    }
  }

  /** Deletes the record only if `attribute` still has `value`; answers whether it did. */
  async deleteIf(key: Key, attribute: string, value: string): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: '#attribute = :value',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':value': value },
        }),
      ),
    );
  }

  /** Replaces the record only if `attribute` still has `value`; answers whether it did. */
  async replaceIf(key: Key, type: string, record: object, attribute: string, value: string): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, ...key, type },
          ConditionExpression: '#attribute = :value',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':value': value },
        }),
      ),
    );
  }

  /** One page of the records whose sort key starts with `prefix`, in sort-key order. */
  async page<T>(pk: string, prefix: string, limit: number, cursor?: string, read: ReadItem = toRecord): Promise<Page<T>> {
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
      items: Items.map((item) => read<T>(item)!),
      ...(LastEvaluatedKey ? { cursor: encodeCursor(String(LastEvaluatedKey.sk)) } : {}),
    };
  }

  /** Every record whose sort key starts with `prefix`. */
  async all<T>(pk: string, prefix: string, read: ReadItem = toRecord): Promise<T[]> {
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
      records.push(...(page.Items ?? []).map((item) => read<T>(item)!));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
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
