import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/aws/server';

/**
 * The custom resource that deletes a stage's run-time secrets with its stack, run as Lambda runs it:
 * its own SDK client against the local Secrets Manager stand-in, its answer PUT to a response URL.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cleanup-'));
let aws: LocalAws;
let secrets: SecretsManagerClient;
let responses: Server;
let responseUrl: string;
const answers: any[] = [];
let cleanup: typeof import('../../lib/custom-resources/delete-run-time-secrets');

beforeAll(async () => {
  aws = await startLocalAws({ dataDir });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    LATCHKEY_SECRET_PREFIX: 'latchkey/test/',
  });
  secrets = new SecretsManagerClient({ region: 'us-east-1', endpoint: aws.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  responses = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      answers.push({ method: request.method, body: JSON.parse(body) });
      response.end();
    });
  });
  await new Promise<void>((resolve) => responses.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/response`;
  cleanup = await import('../../lib/custom-resources/delete-run-time-secrets');
});

afterAll(async () => {
  secrets?.destroy();
  await aws?.close();
  await new Promise((resolve) => responses?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

const create = (name: string, tags: { Key: string; Value: string }[] = []) => secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'value', Tags: tags }));
const scheduledForDeletion = async (name: string) => (await secrets.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate !== undefined;
const event = (RequestType: 'Create' | 'Delete'): CloudFormationCustomResourceEvent =>
  ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:cleanup',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Latchkey-test/1',
    RequestId: `request-${RequestType}`,
    LogicalResourceId: 'RunTimeSecrets',
    ResourceType: 'Custom::LatchkeyRunTimeSecrets',
    ResourceProperties: { ServiceToken: 'x', Prefix: 'latchkey/test/' },
    ...(RequestType === 'Delete' ? { PhysicalResourceId: 'run-time-secrets:latchkey/test/' } : {}),
  }) as CloudFormationCustomResourceEvent;

describe('deleting the run-time secrets of a stage with its stack', () => {
  it('touches nothing on Create, and answers CloudFormation with success', async () => {
    await create('latchkey/test/webhook/env_1/app_1');
    await cleanup.handler(event('Create'));
    expect(answers.at(-1)).toMatchObject({ method: 'PUT', body: { Status: 'SUCCESS', RequestId: 'request-Create', PhysicalResourceId: 'run-time-secrets:latchkey/test/' } });
    expect(await scheduledForDeletion('latchkey/test/webhook/env_1/app_1')).toBe(false);
  });

  it("on Delete, schedules the deletion of every run-time secret of the stage, and of nothing else: CloudFormation's own, other stages', other cases", async () => {
    await create('latchkey/test/upstream/env_1/conn_1');
    await create('latchkey/test/pepper', [{ Key: 'aws:cloudformation:stack-id', Value: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Latchkey-test/1' }]);
    await create('latchkey/testing/webhook/env_2/app_2');
    await create('Latchkey/Test/webhook/env_3/app_3');
    await create('latchkey/prod/webhook/env_4/app_4');

    await cleanup.handler(event('Delete'));
    expect(answers.at(-1)).toMatchObject({
      body: { Status: 'SUCCESS', RequestId: 'request-Delete', PhysicalResourceId: 'run-time-secrets:latchkey/test/', Data: { Deleted: '2' } },
    });
    for (const name of ['latchkey/test/webhook/env_1/app_1', 'latchkey/test/upstream/env_1/conn_1']) expect(await scheduledForDeletion(name), name).toBe(true);
    for (const name of ['latchkey/test/pepper', 'latchkey/testing/webhook/env_2/app_2', 'Latchkey/Test/webhook/env_3/app_3', 'latchkey/prod/webhook/env_4/app_4']) {
      expect(await scheduledForDeletion(name), name).toBe(false);
    }
    // A second Delete (CloudFormation retries) finds nothing left to do.
    await cleanup.handler(event('Delete'));
    expect(answers.at(-1).body).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: '0' } });
  });

  it('pages through more secrets than one ListSecrets answer holds', async () => {
    for (let index = 0; index < 5; index += 1) await create(`latchkey/paged/webhook/env/app_${index}`);
    const deleted = await cleanup.deleteRunTimeSecrets(secrets, 'latchkey/paged/', 2);
    expect(deleted.sort()).toEqual([0, 1, 2, 3, 4].map((index) => `latchkey/paged/webhook/env/app_${index}`));
    for (const name of deleted) expect(await scheduledForDeletion(name), name).toBe(true);
  });

  it('refuses a prefix that is not one stage’s, and reports a failure to CloudFormation as FAILED with its reason', async () => {
    await expect(cleanup.deleteRunTimeSecrets(secrets, 'latchkey/')).rejects.toThrow(/not latchkey\/<stage>\//);
    await expect(cleanup.deleteRunTimeSecrets(secrets, 'latchkey/test')).rejects.toThrow(/not latchkey\/<stage>\//);
    const failed = cleanup.responseTo(event('Delete'), { error: 'deleting the secrets under latchkey/test/ failed: AccessDeniedException' });
    expect(failed).toMatchObject({
      Status: 'FAILED',
      Reason: 'deleting the secrets under latchkey/test/ failed: AccessDeniedException',
      PhysicalResourceId: 'run-time-secrets:latchkey/test/',
    });
  });
});
