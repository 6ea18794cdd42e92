import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../local/provision';
import { TABLE_DESIGN } from '../../src/adapters/table-design';

/**
 * DynamoDB refuses writes to a table that is still CREATING (ResourceNotFoundException), and a
 * table takes a moment to become ACTIVE, longer on a busy machine. Here dynalite keeps every new
 * table CREATING for a while, as a loaded machine would, and provisioning must still leave a
 * writable table behind.
 */
let server: Server;
let client: DynamoDBClient;
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-provision-'));
beforeAll(async () => {
  server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 400 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

const put = (TableName: string) =>
  client.send(new PutItemCommand({ TableName, Item: { [TABLE_DESIGN.partitionKey]: { S: 'TENANT#t' }, [TABLE_DESIGN.sortKey]: { S: 'TENANT' } } }));

describe('local provisioning', () => {
  it('returns once a new table is ACTIVE, so the first write succeeds', async () => {
    await ensureTable(client, 'fresh');
    expect((await client.send(new DescribeTableCommand({ TableName: 'fresh' }))).Table?.TableStatus).toBe('ACTIVE');
    await expect(put('fresh')).resolves.toBeDefined();
  });

  it('waits for a table another start left CREATING', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'half-made',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_DESIGN.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_DESIGN.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    // The failure provisioning must avoid: a write while the table is CREATING.
    await expect(put('half-made')).rejects.toThrow(/not found|ResourceNotFound/i);
    await ensureTable(client, 'half-made');
    await expect(put('half-made')).resolves.toBeDefined();
  });
});
