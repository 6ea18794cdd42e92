import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailedAuthenticationCounters, ThrottleWindow } from '../../domain/authentication-throttle';
import type { Key } from './items';

/**
 * Failed client authentication counters (`src/domain/authentication-throttle.ts`) in the table:
 *
 * | record                        | pk                   | sk                                  |
 * |-------------------------------|----------------------|-------------------------------------|
 * | failures of a client, address | THROTTLE#{clientKey} | ADDRESS#{windowStart}#{addressKey}  | (TTL `expiresAt`: the window's end)
 * | failures of a client, all     | THROTTLE#{clientKey} | CLIENT#{windowStart}                | (TTL `expiresAt`: the window's end)
 *
 * The keys are deterministic and bounded (a hash of the client ID, an address or its /64 prefix, a
 * window start), so counting is one atomic `ADD` on a key every container computes alike, with no
 * read before it. The window is part of the key, so a new window starts from zero even where TTL
 * has not deleted the old item (dynalite never does, DynamoDB up to days late); reads check
 * `expiresAt` all the same.
 */

const TYPE = 'failed-authentication-counter';

const keys = {
  address: (clientKey: string, addressKey: string, window: ThrottleWindow): Key => ({
    pk: `THROTTLE#${clientKey}`,
    sk: `ADDRESS#${window.start}#${addressKey}`,
  }),
  client: (clientKey: string, window: ThrottleWindow): Key => ({ pk: `THROTTLE#${clientKey}`, sk: `CLIENT#${window.start}` }),
};

export class DynamoDbFailedAuthenticationCounters implements FailedAuthenticationCounters {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async clientFailures(clientKey: string, window: ThrottleWindow, nowSeconds: number): Promise<number> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.client(clientKey, window), ConsistentRead: true }));
    if (!Item || typeof Item.expiresAt !== 'number' || Item.expiresAt <= nowSeconds) return 0;
    return typeof Item.failures === 'number' ? Item.failures : 0;
  }

  async reserve(clientKey: string, addressKey: string, window: ThrottleWindow, limit: number): Promise<number | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.address(clientKey, addressKey, window),
          UpdateExpression: 'ADD failures :one SET expiresAt = :end, #type = :type',
          ConditionExpression: 'attribute_not_exists(failures) OR failures < :limit',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':end': window.end, ':type': TYPE, ':limit': limit },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.failures ?? 1);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(clientKey: string, addressKey: string, window: ThrottleWindow): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.address(clientKey, addressKey, window),
          UpdateExpression: 'ADD failures :minusOne',
          // Never below zero, and never a new item: only an attempt that was counted is uncounted.
          ConditionExpression: 'failures > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordClientFailure(clientKey: string, window: ThrottleWindow): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.client(clientKey, window),
        UpdateExpression: 'ADD failures :one SET expiresAt = :end, #type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':one': 1, ':end': window.end, ':type': TYPE },
      }),
    );
  }
}
