import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, AuditLog, AuditQuery, ChainLink } from '../../domain/audit';
import type { Page } from '../../domain/model';
import { AFTER_LAST_AUDIT_EVENT, auditPartition, conditionMet, keys, SK_PREFIX, toRecord } from './items';
import { decodeCursor, encodeCursor, RecordIo } from './record-io';

/**
 * The audit log in the table: each event at `AUDIT#<sequence>` of its environment's partition,
 * written with a conditional put on that key (so two writers never take one place), and a head
 * record (`AUDIT_HEAD`) moved forward only. Reads leave out events past their `expiresAt`, whatever
 * the table's TTL has done.
 */

/** An event's or the head's place in the chain, without an empty `retainedUntil`. */
const linkOf = (item: ChainLink | undefined): ChainLink | undefined =>
  item && { sequence: item.sequence, digest: item.digest, ...(item.retainedUntil ? { retainedUntil: item.retainedUntil } : {}) };

/** Items a filtered read evaluates per request, and requests per page at most (a page may then be short, with a cursor). */
const EVALUATED_PER_REQUEST = 200;
const REQUESTS_PER_PAGE = 10;

export class DynamoDbAuditLog implements AuditLog {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  async newest(chain: string): Promise<ChainLink | undefined> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': auditPartition(chain), ':prefix': SK_PREFIX.auditEvent },
        ProjectionExpression: '#sequence, digest, retainedUntil',
        ExpressionAttributeNames: { '#sequence': 'sequence' },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    return linkOf(Items[0] as ChainLink | undefined);
  }

  append(chain: string, event: AuditEvent): Promise<boolean> {
    // The table's TTL attribute, in epoch seconds, from the time the domain sealed into the event.
    const expiresAt = Math.floor(Date.parse(event.retainedUntil) / 1000);
    return this.io.putIfAbsent(keys.auditEvent(chain, event.sequence), 'audit-event', { ...event, expiresAt });
  }

  async advanceHead(chain: string, link: ChainLink): Promise<void> {
    // A head already past this event stays: a slower writer never moves it back.
    await conditionMet(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.auditHead(chain),
          UpdateExpression: 'SET #sequence = :sequence, digest = :digest, retainedUntil = :retainedUntil, #type = :type',
          ConditionExpression: 'attribute_not_exists(#sequence) OR #sequence < :sequence',
          ExpressionAttributeNames: { '#sequence': 'sequence', '#type': 'type' },
          ExpressionAttributeValues: { ':sequence': link.sequence, ':digest': link.digest, ':retainedUntil': link.retainedUntil ?? '', ':type': 'audit-head' },
        }),
      ),
    );
  }

  async head(chain: string): Promise<ChainLink | undefined> {
    return linkOf(await this.io.get<ChainLink>(keys.auditHead(chain)));
  }

  async list(chain: string, query: AuditQuery, nowSeconds: number): Promise<Page<AuditEvent>> {
    const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
    const values: Record<string, unknown> = { ':now': nowSeconds };
    const conditions = ['#expiresAt > :now'];
    const add = (condition: string, name: Record<string, string>, value: [string, unknown]) => {
      conditions.push(condition);
      Object.assign(names, name);
      values[value[0]] = value[1];
    };
    if (query.action !== undefined) add('#action = :action', { '#action': 'action' }, [':action', query.action]);
    if (query.actorId !== undefined) add('#actor.#id = :actorId', { '#actor': 'actor', '#id': 'id' }, [':actorId', query.actorId]);
    if (query.targetId !== undefined) add('#target.#id = :targetId', { '#target': 'target', '#id': 'id' }, [':targetId', query.targetId]);
    if (query.since !== undefined) add('#time >= :since', { '#time': 'time' }, [':since', query.since]);
    if (query.until !== undefined) add('#time < :until', { '#time': 'time' }, [':until', query.until]);
    const pk = auditPartition(chain);
    let start: Record<string, unknown> | undefined = query.cursor ? { pk, sk: decodeCursor(query.cursor, SK_PREFIX.auditEvent) } : undefined;
    const items: AuditEvent[] = [];
    for (let request = 0; request < REQUESTS_PER_PAGE; request++) {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':pk': pk, ':prefix': SK_PREFIX.auditEvent },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: EVALUATED_PER_REQUEST,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of Items) {
        items.push(toRecord<AuditEvent>(item)!);
        // A full page ends at its last event, wherever DynamoDB stopped evaluating.
        if (items.length === query.limit) return { items, cursor: encodeCursor(String(item.sk)) };
      }
      if (!LastEvaluatedKey) return { items };
      start = LastEvaluatedKey;
    }
    return { items, cursor: encodeCursor(String(start!.sk)) };
  }

  async chainFrom(chain: string, from: number, limit: number, nowSeconds: number): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :last',
          FilterExpression: '#expiresAt > :now',
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':pk': auditPartition(chain), ':from': keys.auditEvent(chain, from).sk, ':last': AFTER_LAST_AUDIT_EVENT, ':now': nowSeconds },
          ConsistentRead: true,
          Limit: limit - events.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      events.push(...Items.map((item) => toRecord<AuditEvent>(item)!));
      start = LastEvaluatedKey;
    } while (start && events.length < limit);
    return events;
  }
}
