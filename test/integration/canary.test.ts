import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCanaryAccount } from '../../bin/create-canary-account';
import { runCanary as probe, type CanaryResult } from '../../src/canary/probe';
import { ENV } from '../../src/config';
import { adminToken, api, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * The canary function on the local runtime, invoked as the schedule invokes it (Lambda Invoke): it
 * fetches the JWKS and gets and verifies a token over HTTP with the credentials in its secret.
 */
describe('the canary', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let lambda: LambdaClient;
  let secrets: SecretsManagerClient;
  let account: Credentials;
  const secretId = () => process.env[ENV.canarySecretId]!;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    lambda = new LambdaClient({});
    secrets = new SecretsManagerClient({});
    const admin = api(runtime.url, await adminToken(runtime));
    const created = await admin.post('/v1/service-accounts', { name: 'canary' });
    expect(created.status).toBe(201);
    account = created.body as Credentials;
  });
  afterAll(async () => {
    await secrets?.send(new DeleteSecretCommand({ SecretId: secretId(), ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    lambda?.destroy();
    secrets?.destroy();
    await runtime?.stop();
  });

  async function runCanary(): Promise<CanaryResult> {
    const response = await lambda.send(new InvokeCommand({ FunctionName: runtime.functionArns['run-canary'], Payload: new TextEncoder().encode('{}') }));
    expect(response.FunctionError).toBeUndefined();
    return JSON.parse(new TextDecoder().decode(response.Payload));
  }

  it('fails at the credentials step while the operator has not created its secret', async () => {
    expect(await runCanary()).toMatchObject({ ok: false, failedStep: 'credentials', reason: 'not configured' });
  });

  it('passes with a service account’s credentials in its secret: JWKS fetched, token issued and verified', async () => {
    await secrets.send(new CreateSecretCommand({ Name: secretId(), SecretString: JSON.stringify({ clientId: account.clientId, clientSecret: account.clientSecret }) }));
    const result = await runCanary();
    expect(result).toMatchObject({ ok: true });
    expect(result.failedStep).toBeUndefined();
    expect(result.latencyMs).toEqual(expect.any(Number));
  });

  it('fails at the token step, naming the OAuth error and never the secret, when the secret is stale', async () => {
    const stale = `${account.clientSecret.slice(0, -4)}xxxx`;
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId(), SecretString: JSON.stringify({ clientId: account.clientId, clientSecret: stale }) }));
    const result = await runCanary();
    expect(result).toMatchObject({ ok: false, failedStep: 'token', reason: 'HTTP 401 invalid_client' });
    expect(JSON.stringify(result)).not.toContain(stale);
  });

  it('passes once npm run create-canary-account has made an account and stored it, and again after it replaced it', async () => {
    const command = { issuer: runtime.url, secretName: secretId(), accountName: 'canary', admin: runtime.devAdmin };
    const first = await createCanaryAccount(command, secrets);
    expect(await runCanary()).toMatchObject({ ok: true });
    const second = await createCanaryAccount(command, secrets);
    expect(second.clientId).not.toBe(first.clientId);
    expect(await runCanary()).toMatchObject({ ok: true });
    await expect(createCanaryAccount({ ...command, admin: { clientId: runtime.devAdmin.clientId, clientSecret: 'wrong' } }, secrets)).rejects.toThrow(
      /the administrator's credentials were refused \(HTTP 401 invalid_client\)/,
    );
  });

  it('names the JWKS step when the API is not where the issuer says, and the verify step when the token names another issuer', async () => {
    const credentials = { read: async () => ({ clientId: account.clientId, clientSecret: account.clientSecret }) };
    const deps = { credentials, fetch, now: () => performance.now() };
    expect(await probe({ ...deps, issuer: `${runtime.url}/elsewhere` })).toMatchObject({ ok: false, failedStep: 'jwks', reason: 'HTTP 404' });
    // The same API under another name: the token's iss is the configured issuer, not this one.
    const sameApi = runtime.url.replace('localhost', '127.0.0.1');
    expect(await probe({ ...deps, issuer: sameApi })).toMatchObject({ ok: false, failedStep: 'verify', reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });

  it('reads a secret without both fields as not configured', async () => {
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId(), SecretString: JSON.stringify({ clientId: account.clientId }) }));
    expect(await runCanary()).toMatchObject({ ok: false, failedStep: 'credentials', reason: 'not configured' });
  });
});
