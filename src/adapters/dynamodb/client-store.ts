import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredClient } from '../../domain/clients/model';
import type { ClientStore } from '../../domain/clients/ports';
import { keys, SK_PREFIX, toRecord, conditionMet, environmentPartition } from './items';
import { RecordIo } from './record-io';
import { updateExisting } from './update';

/**
 * The client registry: OIDC and SAML clients under `CLIENT#{id}` in their environment's partition
 * (one ID space, told apart by `protocol`), and the `jti` of every accepted client assertion under
 * `JTI#{clientId}#{jti}` until the assertion expires. Each SAML client's `spEntityId` is reserved
 * under `SAML_ENTITY#{base64url SHA-256 of it}` (an entity ID may be longer than a sort key may be).
 */
export class DynamoDbClientStore implements ClientStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  createClient(record: StoredClient): Promise<void> {
    return this.io.putNewOnce(keys.client(record.environmentId, record.id), 'client', record);
  }

  getClient(environmentId: string, id: string): Promise<StoredClient | undefined> {
    return this.io.get<StoredClient>(keys.client(environmentId, id));
  }

  async listClients(environmentId: string, applicationId: string, protocol: StoredClient['protocol']): Promise<StoredClient[]> {
    // An environment holds few clients; one strongly consistent prefix query, filtered here.
    const all = await this.io.all<StoredClient>(environmentPartition(environmentId), SK_PREFIX.client);
    return all.filter((record) => record.applicationId === applicationId && record.protocol === protocol);
  }

  async updateClient(
    environmentId: string,
    id: string,
    changes: Readonly<Record<string, unknown>>,
    versioned?: { readonly expectedVersion: number | undefined },
  ): Promise<StoredClient | undefined> {
    const condition = versioned ? { expected: versioned.expectedVersion, what: `client "${id}"` } : undefined;
    return toRecord<StoredClient>(await updateExisting(this.client, this.tableName, keys.client(environmentId, id), changes, condition));
  }

  deleteClient(environmentId: string, id: string): Promise<boolean> {
    return this.io.deleteExisting(keys.client(environmentId, id));
  }

  /**
   * Single use by a conditional put on a deterministic key: of two concurrent uses, one write wins.
   * A record whose `expiresAt` has passed counts as absent, as DynamoDB's TTL deletes late (and the
   * embedded DynamoDB never does).
   */
  async recordAssertionId(environmentId: string, clientId: string, jti: string, expiresAt: number, nowSeconds: number): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.assertionId(environmentId, clientId, jti), type: 'assertion-id', expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }

  async claimSamlEntityId(environmentId: string, spEntityId: string, clientRef: string, replacing?: string): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.samlEntity(environmentId, spEntityId), type: 'saml-entity-id', clientRef },
          ConditionExpression: `attribute_not_exists(pk) OR clientRef = :client${replacing ? ' OR clientRef = :replacing' : ''}`,
          ExpressionAttributeValues: { ':client': clientRef, ...(replacing ? { ':replacing': replacing } : {}) },
        }),
      ),
    );
  }

  async samlEntityIdHolder(environmentId: string, spEntityId: string): Promise<string | undefined> {
    const item = await this.io.get<{ clientRef: string }>(keys.samlEntity(environmentId, spEntityId));
    return item?.clientRef;
  }

  async releaseSamlEntityId(environmentId: string, spEntityId: string, clientRef: string): Promise<void> {
    // Only the holder's own reservation: another client may have taken the ID since.
    await this.io.deleteIf(keys.samlEntity(environmentId, spEntityId), 'clientRef', clientRef);
  }
}
