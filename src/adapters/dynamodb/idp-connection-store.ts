import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdpConnection, IdpConnectionStore, IdpConnectionType, IdpConnectionUpdate } from '../../domain/idp-connections';
import { keys, SK_PREFIX, toRecord, conditionMet, environmentPartition } from './items';
import { RecordIo } from './record-io';

/**
 * IDP connections. The delegated one is keyed by type (`IDP_CONNECTION#delegated`): the conditional
 * put on that one key is what allows a single delegated connection per environment. Upstream
 * connections (any number) are keyed by ID (`IDP_CONNECTION#idp_…`). Changes and deletes are conditional
 * on the ID the caller named, so they never touch a connection that replaced it meanwhile.
 * The item's `type` attribute is the record kind (as on every item), so the connection's own type is
 * stored as `connectionType`.
 */
export class DynamoDbIdpConnectionStore implements IdpConnectionStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  createIdpConnection(connection: IdpConnection): Promise<void> {
    // Under the connection's slot, but the item carries its fresh random ID: a retry that finds it is this call's.
    return this.io.putNewOnce(
      keys.idpConnection(connection.environmentId, slot(connection)),
      'idp-connection',
      toItem(connection),
      connection.type === 'delegated' ? 'this environment already has a delegated IDP connection; change that one instead' : `IDP connection ${connection.id} exists`,
    );
  }

  async listIdpConnections(environmentId: string): Promise<IdpConnection[]> {
    return (await this.io.all<StoredConnection>(environmentPartition(environmentId), SK_PREFIX.idpConnection)).map(fromItem);
  }

  async getIdpConnectionByType(environmentId: string, type: IdpConnectionType): Promise<IdpConnection | undefined> {
    const stored = await this.io.get<StoredConnection>(keys.idpConnection(environmentId, type));
    return stored && fromItem(stored);
  }

  async updateIdpConnection(
    environmentId: string,
    connection: Pick<IdpConnection, 'id' | 'type'>,
    changes: IdpConnectionUpdate & { updatedAt: string },
  ): Promise<IdpConnection | undefined> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.idpConnection(environmentId, slot(connection)),
          UpdateExpression: `SET ${entries.map((_, index) => `#a${index} = :v${index}`).join(', ')}`,
          ConditionExpression: '#id = :id',
          ExpressionAttributeNames: { '#id': 'id', ...Object.fromEntries(entries.map(([name], index) => [`#a${index}`, name])) },
          ExpressionAttributeValues: { ':id': connection.id, ...Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const stored = toRecord<StoredConnection>(Attributes);
      return stored && fromItem(stored);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async deleteIdpConnection(environmentId: string, connection: Pick<IdpConnection, 'id' | 'type'>): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.idpConnection(environmentId, slot(connection)),
          ConditionExpression: '#id = :id',
          ExpressionAttributeNames: { '#id': 'id' },
          ExpressionAttributeValues: { ':id': connection.id },
        }),
      ),
    );
  }
}

/** The key's last part: the type for the one delegated connection, the ID for the others. */
function slot(connection: Pick<IdpConnection, 'id' | 'type'>): string {
  return connection.type === 'delegated' ? connection.type : connection.id;
}

export type StoredConnection = Omit<IdpConnection, 'type'> & { connectionType: IdpConnectionType };

function toItem({ type, ...rest }: IdpConnection): StoredConnection {
  return { ...rest, connectionType: type };
}

export function fromItem({ connectionType, ...rest }: StoredConnection): IdpConnection {
  return { ...rest, type: connectionType };
}
