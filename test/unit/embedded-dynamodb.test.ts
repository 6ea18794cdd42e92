import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { waitUntilActive } from '../../local/provision';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../../local/embedded-dynamodb';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-embedded-dynamodb-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function clientOf(port: number): DynamoDBClient {
  return new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** A table with a string hash key, once it is ACTIVE (created tables become so a moment later, as in DynamoDB). */
async function createTable(client: DynamoDBClient, TableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, TableName);
}

describe('the embedded DynamoDB on its worker thread', () => {
  it('keeps its tables across a restart on the same folder, and has counted each request by target once it is answered', async () => {
    const path = join(dataDir, 'restart');
    const first = await startEmbeddedDynamoDb({ path, port: 0, host: '127.0.0.1' });
    const client = clientOf(first.port);
    await createTable(client, 'kept');
    expect(first.calls()['DynamoDB_20120810.CreateTable']).toBe(1);
    await client.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'a' }, value: { S: 'kept across restarts' } } }));
    expect(first.calls()['DynamoDB_20120810.PutItem']).toBe(1);
    const unknown = await fetch(`http://127.0.0.1:${first.port}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.NoSuchOperation', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(first.calls().unknown).toBe(1);
    client.destroy();
    await first.close();

    const second = await startEmbeddedDynamoDb({ path, port: 0, host: '127.0.0.1' });
    const again = clientOf(second.port);
    try {
      const { Item } = await again.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: 'a' } } }));
      expect(Item?.value).toEqual({ S: 'kept across restarts' });
      expect(second.calls()).toEqual({ 'DynamoDB_20120810.GetItem': 1 });
    } finally {
      again.destroy();
      await second.close();
    }
  });

  it('fails to start on a busy port with the code and port npm start explains, and leaves the folder free for the next start', async () => {
    const blocker = createServer();
    await new Promise<void>((listening) => blocker.listen(0, '127.0.0.1', listening));
    const port = (blocker.address() as { port: number }).port;
    const path = join(dataDir, 'busy-port');
    try {
      await expect(startEmbeddedDynamoDb({ path, port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE', port });
    } finally {
      blocker.close();
    }
    const next = await startEmbeddedDynamoDb({ path, port: 0, host: '127.0.0.1' });
    const client = clientOf(next.port);
    try {
      await createTable(client, 'after');
      await client.send(new PutItemCommand({ TableName: 'after', Item: { pk: { S: 'b' } } }));
      expect(next.calls()['DynamoDB_20120810.PutItem']).toBe(1);
    } finally {
      client.destroy();
      await next.close();
    }
  });
});
