import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FailedAuthenticationCounters, ThrottleWindow } from '../../domain/authentication-throttle';
import { keys as tableKeys } from './items';

/**
 * Failed client authentication counters (`src/domain/authentication-throttle.ts`) in the table:
 * failures of a client at an address, failures of a client from anywhere, and the last success of a
 * client at an address, under `THROTTLE#{clientKey}` (key patterns in `items.ts`).
 *
 * The keys are deterministic and bounded (a hash of the client ID, an address or its /64 prefix, a
 * window start), so counting is one atomic `ADD` on a key every container computes alike, with no
 * read before it. The window is part of the key, so a new window starts from zero even where TTL
 * has not deleted the old item (dynalite never does, DynamoDB up to days late); reads check
 * `expiresAt` all the same.
 *
 * Every authentication of a client that failed lately counts and uncounts here, so these requests
 * use the plain DynamoDB client (attribute values written out, no document marshalling) built with
 * `cacheMiddleware`: the SDK then resolves each command's middleware stack once per container
 * instead of once per request.
 */

const TYPE = 'failed-authentication-counter';

type Key = Record<'pk' | 'sk', AttributeValue.SMember>;

/** The table's keys (`items.ts`) as attribute values. */
const asAttributes = ({ pk, sk }: { pk: string; sk: string }): Key => ({ pk: { S: pk }, sk: { S: sk } });

const keys = {
  address: (clientKey: string, addressKey: string, window: ThrottleWindow): Key => asAttributes(tableKeys.failuresAtAddress(clientKey, addressKey, window.start)),
  client: (clientKey: string, window: ThrottleWindow): Key => asAttributes(tableKeys.failuresOfClient(clientKey, window.start)),
  success: (clientKey: string, addressKey: string): Key => asAttributes(tableKeys.successAtAddress(clientKey, addressKey)),
};

const number = (value: number): AttributeValue.NMember => ({ N: String(value) });
const numberOf = (value: AttributeValue | undefined): number | undefined => (value?.N === undefined ? undefined : Number(value.N));

export class DynamoDbFailedAuthenticationCounters implements FailedAuthenticationCounters {
  constructor(
    /** A plain client made with `cacheMiddleware: true` (the document client refuses that option). */
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async clientFailures(clientKey: string, window: ThrottleWindow, nowSeconds: number): Promise<number> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keys.client(clientKey, window), ConsistentRead: true }));
    const expiresAt = numberOf(Item?.expiresAt);
    if (expiresAt === undefined || expiresAt <= nowSeconds) return 0;
    return numberOf(Item?.failures) ?? 0;
  }

  async reserve(clientKey: string, addressKey: string, window: ThrottleWindow, limit: number): Promise<number | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keys.address(clientKey, addressKey, window),
          UpdateExpression: 'ADD failures :one SET expiresAt = :end, #type = :type',
          ConditionExpression: 'attribute_not_exists(failures) OR failures < :limit',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':one': number(1), ':end': number(window.end), ':type': { S: TYPE }, ':limit': number(limit) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return numberOf(Attributes?.failures) ?? 1;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(clientKey: string, addressKey: string, window: ThrottleWindow): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keys.address(clientKey, addressKey, window),
          UpdateExpression: 'ADD failures :minusOne',
          // Never below zero, and never a new item: only an attempt that was counted is uncounted.
          ConditionExpression: 'failures > :zero',
          ExpressionAttributeValues: { ':minusOne': number(-1), ':zero': number(0) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordClientFailure(clientKey: string, window: ThrottleWindow): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keys.client(clientKey, window),
        UpdateExpression: 'ADD failures :one SET expiresAt = :end, #type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':one': number(1), ':end': number(window.end), ':type': { S: TYPE } },
      }),
    );
  }

  async recordSuccess(clientKey: string, addressKey: string, untilSeconds: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keys.success(clientKey, addressKey),
        UpdateExpression: 'SET expiresAt = :until, #type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':until': number(untilSeconds), ':type': { S: TYPE } },
      }),
    );
  }

  async succeededLately(clientKey: string, addressKey: string, nowSeconds: number): Promise<boolean> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keys.success(clientKey, addressKey), ConsistentRead: true }));
    const expiresAt = numberOf(Item?.expiresAt);
    return expiresAt !== undefined && expiresAt > nowSeconds;
  }
}
