import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TABLE_DESIGN } from '../src/adapters/table-design';

/**
 * Creates, once, the long-lived resources the CDK stack would: the table, the signing key and the
 * pepper secret. It goes through the same AWS APIs (against the local stand-ins), and on a restart it
 * finds what the first run made, so keys, secrets and data survive.
 */

export const LOCAL_NAMES = {
  table: 'latchkey-local',
  signingKeyAlias: 'alias/latchkey-local-signing-primary',
  /** KMS mode: a second published ECC key that signs once the primary is retired (`rotate-signing-keys --retire-current`). */
  standbySigningKeyAlias: 'alias/latchkey-local-signing-standby',
  /** An RSA signing key, for RS256 in KMS signing mode (tests name it as `LATCHKEY_RSA_SIGNING_KEY_ID`). */
  rsaSigningKeyAlias: 'alias/latchkey-local-signing-rsa',
  pepperSecret: 'latchkey/local/pepper',
} as const;

export interface LocalResources {
  readonly tableName: string;
  readonly signingKeyArn: string;
  readonly pepperSecretArn: string;
  /**
   * An RSA signing key: RS256 in KMS signing mode, where a deployment names one. Made only in KMS
   * mode: generating an RSA key is the slowest step of a first start, and envelope mode signs
   * with key pairs of its own.
   */
  readonly rsaSigningKeyArn?: string;
  /** KMS mode only: the standby ECC key, published beside the signing key. */
  readonly standbySigningKeyArn?: string;
}

export async function provisionLocalResources(signingMode: 'envelope' | 'kms'): Promise<LocalResources> {
  const [tableName, signingKeyArn, pepperSecretArn, rsaSigningKeyArn, standbySigningKeyArn] = await Promise.all([
    ensureTable(),
    ensureKey(LOCAL_NAMES.signingKeyAlias, 'ECC_NIST_P256', 'Latchkey local token signing key'),
    ensurePepper(),
    signingMode === 'kms' ? ensureKey(LOCAL_NAMES.rsaSigningKeyAlias, 'RSA_2048', 'Latchkey local RSA signing key (RS256 in KMS mode)') : undefined,
    signingMode === 'kms' ? ensureKey(LOCAL_NAMES.standbySigningKeyAlias, 'ECC_NIST_P256', 'Latchkey local standby token signing key') : undefined,
  ]);
  return { tableName, signingKeyArn, pepperSecretArn, ...(rsaSigningKeyArn ? { rsaSigningKeyArn } : {}), ...(standbySigningKeyArn ? { standbySigningKeyArn } : {}) };
}

/**
 * Creates the table unless it exists, and returns once it and its indexes are `ACTIVE`: DynamoDB
 * (the embedded one too) answers `ResourceNotFoundException` to writes while a table is `CREATING`.
 */
export async function ensureTable(dynamodb = new DynamoDBClient({}), TableName: string = LOCAL_NAMES.table): Promise<string> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName }));
    return await waitUntilActive(dynamodb, TableName);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey, indexes, timeToLiveAttribute } = TABLE_DESIGN;
  const keyNames = [partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
  await dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  // The embedded DynamoDB accepts the setting but never expires items; readers check expiry themselves.
  await dynamodb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true } })).catch(() => undefined);
  return await waitUntilActive(dynamodb, TableName);
}

/** Polls rather than the SDK's waiter, whose shortest delay (20 s by default) suits real AWS, not a local table. */
export async function waitUntilActive(dynamodb: DynamoDBClient, TableName: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 10; ; delayMs = Math.min(delayMs * 2, 500)) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return TableName;
    if (Date.now() > deadline) throw new Error(`table ${TableName} is still ${Table?.TableStatus} after ${timeoutMs / 1000} s`);
    await new Promise((resolveDelay) => setTimeout(resolveDelay, delayMs));
  }
}

/**
 * The stand-in key of this alias, created on first start: asymmetric specs sign and verify, the
 * symmetric one encrypts and decrypts (the key-wrapping keys).
 */
export async function ensureKey(alias: string, keySpec: 'ECC_NIST_P256' | 'RSA_2048' | 'SYMMETRIC_DEFAULT', description: string): Promise<string> {
  const kms = new KMSClient({});
  try {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return KeyMetadata!.Arn!;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY', Description: description }),
  );
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
  return KeyMetadata!.Arn!;
}

async function ensurePepper(): Promise<string> {
  const secrets = new SecretsManagerClient({});
  try {
    const { ARN } = await secrets.send(new DescribeSecretCommand({ SecretId: LOCAL_NAMES.pepperSecret }));
    return ARN!;
  } catch (error) {
    if (!(error instanceof SecretNotFound)) throw error;
  }
  const { RandomPassword } = await secrets.send(new GetRandomPasswordCommand({ PasswordLength: 64, ExcludePunctuation: true }));
  const { ARN } = await secrets.send(new CreateSecretCommand({ Name: LOCAL_NAMES.pepperSecret, SecretString: RandomPassword! }));
  return ARN!;
}
