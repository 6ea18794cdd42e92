import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/aws/server';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-local-secrets-'));
let server: LocalAws;
let secrets: SecretsManagerClient;

const clientFor = (url: string) => new SecretsManagerClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = await startLocalAws({ dataDir });
  secrets = clientFor(server.url);
});

afterAll(async () => {
  secrets.destroy();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local Secrets Manager stand-in', () => {
  it('creates, reads and versions a secret by name and ARN', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'latchkey/pepper', SecretString: 'v1', Description: 'd', Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey\/pepper-[A-Za-z0-9]{6}$/);
    const first = await secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(first).toMatchObject({ Name: 'latchkey/pepper', SecretString: 'v1', VersionStages: ['AWSCURRENT'], VersionId: created.VersionId });
    expect(first.CreatedDate).toBeInstanceOf(Date);

    const put = await secrets.send(new PutSecretValueCommand({ SecretId: 'latchkey/pepper', SecretString: 'v2' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'latchkey/pepper' }))).SecretString).toBe('v2');
    const previous = await secrets.send(new GetSecretValueCommand({ SecretId: 'latchkey/pepper', VersionStage: 'AWSPREVIOUS' }));
    expect(previous.SecretString).toBe('v1');

    const described = await secrets.send(new DescribeSecretCommand({ SecretId: 'latchkey/pepper' }));
    expect(described).toMatchObject({ ARN: created.ARN, Description: 'd', Tags: [{ Key: 'k', Value: 'v' }] });
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSPREVIOUS'], [put.VersionId!]: ['AWSCURRENT'] });
  });

  it('stores binary secrets', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: new Uint8Array([0, 1, 2, 255]) }));
    const { SecretBinary, SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect(Buffer.from(SecretBinary!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(SecretString).toBeUndefined();
  });

  it('rejects duplicates and unknown secrets like AWS', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'x' }));
    expect((await errorOf(secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })))).name).toBe('ResourceExistsException');
    const missing = await errorOf(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
    const missingArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-abcdef';
    expect((await errorOf(secrets.send(new PutSecretValueCommand({ SecretId: missingArn, SecretString: 'x' })))).name).toBe('ResourceNotFoundException');
  });

  it('soft-deletes and force-deletes secrets', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'soft', SecretString: 'x' }));
    const soft = await secrets.send(new DeleteSecretCommand({ SecretId: 'soft', RecoveryWindowInDays: 7 }));
    expect(soft.DeletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect((await errorOf(secrets.send(new GetSecretValueCommand({ SecretId: 'soft' })))).name).toBe('InvalidRequestException');
    expect((await secrets.send(new DescribeSecretCommand({ SecretId: 'soft' }))).DeletedDate).toBeInstanceOf(Date);

    await secrets.send(new CreateSecretCommand({ Name: 'hard', SecretString: 'x' }));
    await secrets.send(new DeleteSecretCommand({ SecretId: 'hard', ForceDeleteWithoutRecovery: true }));
    expect((await errorOf(secrets.send(new GetSecretValueCommand({ SecretId: 'hard' })))).name).toBe('ResourceNotFoundException');
    await secrets.send(new CreateSecretCommand({ Name: 'hard', SecretString: 'again' }));
  });

  it('generates random passwords honouring the options', async () => {
    const { RandomPassword } = await secrets.send(new GetRandomPasswordCommand({}));
    expect(RandomPassword).toHaveLength(32);
    const plain = await secrets.send(new GetRandomPasswordCommand({ PasswordLength: 64, ExcludePunctuation: true, ExcludeCharacters: 'abc' }));
    expect(plain.RandomPassword).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(plain.RandomPassword).not.toMatch(/[abc]/);
  });

  it('answers unimplemented operations with UnknownOperationException', async () => {
    expect((await errorOf(secrets.send(new RotateSecretCommand({ SecretId: 'dup' })))).name).toBe('UnknownOperationException');
  });

  it('answers malformed requests with AWS-shaped 400 errors', async () => {
    const headers = { 'content-type': 'application/x-amz-json-1.1', authorization: 'AWS4-HMAC-SHA256 Credential=local' };
    const noTarget = await fetch(server.url, { method: 'POST', headers, body: '{}' });
    expect(noTarget.status).toBe(400);
    expect(noTarget.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await noTarget.json()).toMatchObject({ __type: 'UnknownOperationException', message: expect.any(String) });

    const unsigned = await fetch(server.url, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.GetRandomPassword' }, body: '{}' });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');

    const badJson = await fetch(server.url, { method: 'POST', headers: { ...headers, 'x-amz-target': 'secretsmanager.GetRandomPassword' }, body: '{' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('keeps secrets across a restart on the same data dir', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'durable', SecretString: 's3cr3t' }));
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    secrets.destroy();
    await server.close();
    server = await startLocalAws({ dataDir });
    secrets = clientFor(server.url);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'durable' }))).SecretString).toBe('s3cr3t');
    expect((await errorOf(secrets.send(new GetSecretValueCommand({ SecretId: 'soft' })))).name).toBe('InvalidRequestException');
  });
});
