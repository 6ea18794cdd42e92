import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyGeneration, KeyRing, KmsRetirements, KmsRetirementStore, SigningKeyState, SigningKeyStore } from '../../domain/signing-keys';
import { conditionMet, keys, SIGNING_KEYS_PARTITION, SK_PREFIX, toRecord } from './items';

/**
 * The envelope-mode signing keys in the table: one partition, so a signer or the JWKS reads the
 * ring and every generation with one strongly consistent Query.
 *
 * Key patterns in `items.ts`: the key ring (`RING`: version, rotatedAt, next, current, previous), one
 * item per key generation (`GENERATION#{id}`: public JWKs in clear, private keys as KMS ciphertext)
 * and, in KMS mode, the retired keys (`KMS-RETIRED`: version, kids), all in `SIGNING#KEYS`.
 *
 * The partition is outside every environment's (`ENV#…`), so no environment-scoped operation can
 * address it. The ring is replaced by a put conditional on its version (no transactions needed).
 */
export class DynamoDbSigningKeyStore implements SigningKeyStore, KmsRetirementStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<SigningKeyState> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': SIGNING_KEYS_PARTITION },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const ringItem = items.find((item) => item.sk === keys.signingKeyRing().sk);
    const generations = items.filter((item) => String(item.sk).startsWith(SK_PREFIX.signingKeyGeneration)).map((item) => toRecord<KeyGeneration>(item)!);
    return { ...(ringItem ? { ring: toRecord<KeyRing>(ringItem)! } : {}), generations };
  }

  async putGeneration(generation: KeyGeneration): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...generation, ...keys.signingKeyGeneration(generation.id), type: 'signing-key-generation' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async replaceRing(ring: KeyRing, expectedVersion: number): Promise<boolean> {
    return this.replaceVersioned({ ...ring, ...keys.signingKeyRing(), type: 'signing-key-ring' }, expectedVersion);
  }

  async deleteGeneration(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.signingKeyGeneration(id) }));
  }

  async readRetirements(): Promise<KmsRetirements> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.kmsRetirements(), ConsistentRead: true }));
    return Item ? { version: Number(Item.version), kids: (Item.kids as string[] | undefined) ?? [] } : { version: 0, kids: [] };
  }

  async replaceRetirements(next: KmsRetirements, expectedVersion: number): Promise<boolean> {
    return this.replaceVersioned({ ...keys.kmsRetirements(), type: 'signing-key-kms-retirements', version: next.version, kids: [...next.kids] }, expectedVersion);
  }

  /** Puts `item` only over the version that was read (0: none yet); answers whether it did. */
  private replaceVersioned(item: Record<string, unknown>, expectedVersion: number): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      ),
    );
  }
}
