import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Key } from './items';

/**
 * Sets the given attributes on an item that must already exist, and answers the item as it is now,
 * or undefined when there was none. The condition makes "update" never create a half-formed record.
 */
export async function updateExisting(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Key,
  changes: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const names: Record<string, string> = { '#pk': 'pk' };
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
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
  if (sets.length === 0 && removes.length === 0) throw new TypeError('updateExisting needs at least one change');
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: pruneNames(names, expression),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** DynamoDB refuses expression names that the expressions do not use. */
function pruneNames(names: Record<string, string>, expression: string): Record<string, string> {
  return Object.fromEntries(Object.entries(names).filter(([placeholder]) => placeholder === '#pk' || new RegExp(`${placeholder}(?![0-9])`).test(expression)));
}
