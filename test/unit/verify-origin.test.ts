import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_HEADER } from '../../lib/edge/origin-header';
import { startLocalAws, type LocalAws } from '../../local/aws/server';

/**
 * The API's origin check behind CloudFront (apiWaf=true), run as API Gateway runs the authorizer:
 * its own SDK client reads the origin secret from the local Secrets Manager stand-in.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-origin-'));
let aws: LocalAws;
let verify: typeof import('../../lib/edge/verify-origin');

beforeAll(async () => {
  aws = await startLocalAws({ dataDir });
  const secrets = new SecretsManagerClient({ region: 'us-east-1', endpoint: aws.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const created = await secrets.send(new CreateSecretCommand({ Name: 'latchkey/test/origin-verify', SecretString: 'current-origin-value' }));
  secrets.destroy();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    LATCHKEY_ORIGIN_SECRET_ID: created.ARN,
  });
  verify = await import('../../lib/edge/verify-origin');
});

afterAll(async () => {
  await aws?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the origin check of the API behind CloudFront', () => {
  it('lets a request with the origin secret through, and refuses one without it or with another value', async () => {
    expect(await verify.handler({ headers: { [ORIGIN_HEADER]: 'current-origin-value' } })).toEqual({ isAuthorized: true });
    expect(await verify.handler({ headers: { [ORIGIN_HEADER]: 'current-origin-valuf' } })).toEqual({ isAuthorized: false });
    expect(await verify.handler({ headers: { [ORIGIN_HEADER]: '' } })).toEqual({ isAuthorized: false });
    expect(await verify.handler({ headers: {} })).toEqual({ isAuthorized: false });
    expect(await verify.handler({})).toEqual({ isAuthorized: false });
  });

  it('accepts the previous value beside the current one, so a rotation refuses nobody until CloudFront sends the new one', () => {
    expect(verify.matchesOneOf('old', ['new', 'old'])).toBe(true);
    expect(verify.matchesOneOf('new', ['new', 'old'])).toBe(true);
    expect(verify.matchesOneOf('other', ['new', 'old'])).toBe(false);
    expect(verify.matchesOneOf(undefined, ['new'])).toBe(false);
  });
});
