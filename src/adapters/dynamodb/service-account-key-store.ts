import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ServiceAccountKeyStore, StoredServiceAccountKey } from '../../domain/service-account-keys';
import { environmentPartition, keys, SK_PREFIX, withExpiry } from './items';
import { RecordIo } from './record-io';

/**
 * Service-account keys in Latchkey's table, in the account's partition under its ID (key pattern in
 * items.ts); a key that expires carries `expiresAt`, the table's TTL attribute, answered as its
 * expiry. Reads are strongly consistent, so a deleted key stops verifying at once.
 */
export class DynamoDbServiceAccountKeyStore implements ServiceAccountKeyStore {
  private readonly io: RecordIo;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.io = new RecordIo(client, tableName);
  }

  createServiceAccountKey(key: StoredServiceAccountKey): Promise<void> {
    return this.io.putNewOnce(keys.serviceAccountKey(key.environmentId, key.serviceAccountId, key.id), 'service-account-key', key, 'a key with this ID already exists');
  }

  listServiceAccountKeys(environmentId: string, accountId: string): Promise<StoredServiceAccountKey[]> {
    return this.io.all(environmentPartition(environmentId), SK_PREFIX.serviceAccountKeysOf(accountId), withExpiry);
  }

  getServiceAccountKey(environmentId: string, accountId: string, id: string): Promise<StoredServiceAccountKey | undefined> {
    return this.io.get(keys.serviceAccountKey(environmentId, accountId, id), withExpiry);
  }

  deleteServiceAccountKey(environmentId: string, accountId: string, id: string): Promise<boolean> {
    return this.io.deleteExisting(keys.serviceAccountKey(environmentId, accountId, id));
  }
}
