import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdate } from '../../domain/errors';
import type { Key } from './items';

/** The value an attribute must still have (undefined: none), else the update is a `ConcurrentUpdate` of `what`. */
type Expected = { readonly attribute: string; readonly value: string | number | undefined; readonly what: string };

/**
 * Sets the given attributes on an item that must already exist, and answers the item as it is now,
 * or undefined when there was none. The condition makes "update" never create a half-formed record.
 * `versioned` replaces only the version that was read, by the next one; `guarded` holds the update
 * to another attribute's value as read.
 */
export async function updateExisting(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Key,
  changes: Record<string, unknown>,
  versioned?: { readonly expected: number | undefined; readonly what: string },
  guarded?: Expected,
): Promise<Record<string, unknown> | undefined> {
  const expected = versioned ? { attribute: 'version', value: versioned.expected, what: versioned.what } : guarded;
  const names: Record<string, string> = { '#pk': 'pk' };
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  let condition = 'attribute_exists(#pk)';
  if (expected) {
    // Optimistic concurrency: only the value that was read may be replaced.
    names['#expected'] = expected.attribute;
    if (expected.value === undefined) {
      condition += ' AND attribute_not_exists(#expected)';
    } else {
      values[':expected'] = expected.value;
      condition += ' AND #expected = :expected';
    }
  }
  if (versioned) {
    names['#version'] = 'version';
    values[':nextVersion'] = (versioned.expected ?? 0) + 1;
    sets.push('#version = :nextVersion');
  }
  const removes: string[] = [];
  for (const [index, [name, value]] of Object.entries(changes).entries()) {
    names[`#a${index}`] = name;
    if (value === undefined) continue;
    if (value === null) {
      removes.push(`#a${index}`);
    } else {
      values[`:v${index}`] = value;
      sets.push(`#a${index} = :v${index}`);
    }
  }
  if (sets.length === (versioned ? 1 : 0) && removes.length === 0) throw new TypeError('updateExisting needs at least one change');
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: pruneNames(names, `${expression} ${condition}`),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (expected && (await exists(client, tableName, key))) throw new ConcurrentUpdate(expected.what);
    return undefined;
  }
}

async function exists(client: DynamoDBDocumentClient, tableName: string, key: Key): Promise<boolean> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'pk' }));
  return Item !== undefined;
}

/** DynamoDB refuses expression names that the expressions do not use. */
function pruneNames(names: Record<string, string>, expression: string): Record<string, string> {
  return Object.fromEntries(Object.entries(names).filter(([placeholder]) => placeholder === '#pk' || new RegExp(`${placeholder}(?![0-9])`).test(expression)));
}
