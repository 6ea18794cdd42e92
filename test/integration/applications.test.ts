import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

describe('applications over the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  it('creates, reads, lists, changes and deletes an application', async () => {
    const created = await admin.post('/v1/applications', { name: 'Shop', webhook: { target: 'https://hooks.example.com/enrich' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^app_[a-z2-7]{26}$/),
      name: 'Shop',
      environmentId: runtime.devAdmin.environmentId,
      endUserTokenTtlSeconds: 3600,
      webhook: { target: 'https://hooks.example.com/enrich', failurePolicy: 'fail', timeoutMs: 2000 },
      webhookSecretConfigured: false,
    });
    const id = created.body.id as string;

    expect((await admin.get(`/v1/applications/${id}`)).body).toEqual(created.body);
    const listed = await admin.get('/v1/applications');
    expect(listed.body.items.map((a: { id: string }) => a.id)).toContain(id);

    const changed = await admin.patch(`/v1/applications/${id}`, {
      endUserTokenTtlSeconds: 600,
      webhook: { target: 'http://127.0.0.1:9/x', failurePolicy: 'omit', timeoutMs: 300 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ endUserTokenTtlSeconds: 600, webhook: { target: 'http://127.0.0.1:9/x', failurePolicy: 'omit', timeoutMs: 300 } });
    const removed = await admin.patch(`/v1/applications/${id}`, { webhook: null });
    expect(removed.body.webhook).toBeUndefined();

    expect((await admin.delete(`/v1/applications/${id}`)).status).toBe(204);
    expect((await admin.get(`/v1/applications/${id}`)).body).toMatchObject({ status: 404, code: 'not_found' });
  });

  it.each([
    [{ target: 'http://hooks.example.com/enrich' }, 'webhook.target must use https://'],
    [{ target: 'ftp://hooks.example.com' }, 'webhook.target must use https://'],
    [{ target: 'https://user:pw@hooks.example.com' }, 'must not carry credentials'],
    [{ target: 'arn:aws:lambda:us-east-1:123:function:x' }, 'is not a Lambda function ARN'],
    [{ target: 'https://hooks.example.com', timeoutMs: 60_000 }, 'webhook.timeoutMs must be a whole number of milliseconds from 100 to 5000'],
    [{ target: 'https://hooks.example.com', failurePolicy: 'retry' }, 'webhook.failurePolicy'],
  ])('refuses the webhook %j', async (webhook, message) => {
    const answer = await admin.post('/v1/applications', { name: 'Bad', webhook });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
    expect(answer.body.detail).toContain(message);
  });

  it('accepts a Lambda ARN and loopback HTTP targets', async () => {
    for (const target of ['arn:aws:lambda:eu-west-1:123456789012:function:enrich', 'http://localhost:8080/hook', 'http://[::1]:8080/hook']) {
      expect((await admin.post('/v1/applications', { name: 'Ok', webhook: { target } })).status).toBe(201);
    }
  });

  it('keeps the webhook secret in Secrets Manager only, shows it once, and clears it', async () => {
    const { body: app } = await admin.post('/v1/applications', { name: 'Signed' });
    const generated = await admin.post(`/v1/applications/${app.id}/webhook-secret`);
    expect(generated.status).toBe(200);
    expect(generated.body.webhookSecret).toMatch(/^lkw_[A-Za-z0-9_-]{43}$/);
    expect(generated.body.webhookSecretConfigured).toBe(true);

    const read = await admin.get(`/v1/applications/${app.id}`);
    expect(JSON.stringify(read.body)).not.toContain(generated.body.webhookSecret);
    expect(read.body.webhookSecretConfigured).toBe(true);

    // The table holds only where the secret is; Secrets Manager holds the value.
    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { Item } = await table.send(
      new GetCommand({ TableName: runtime.resources.tableName, Key: { pk: `ENV#${runtime.devAdmin.environmentId}`, sk: `APPLICATION#${app.id}` } }),
    );
    expect(JSON.stringify(Item)).not.toContain(generated.body.webhookSecret);
    const secrets = new SecretsManagerClient({});
    const name = `latchkey/local/webhook/${runtime.devAdmin.environmentId}/${app.id}`;
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(generated.body.webhookSecret);

    // A second secret replaces the first.
    const again = await admin.post(`/v1/applications/${app.id}/webhook-secret`);
    expect(again.body.webhookSecret).not.toBe(generated.body.webhookSecret);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(again.body.webhookSecret);

    expect((await admin.delete(`/v1/applications/${app.id}/webhook-secret`)).status).toBe(204);
    expect((await admin.get(`/v1/applications/${app.id}`)).body.webhookSecretConfigured).toBe(false);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await admin.delete(`/v1/applications/${app.id}/webhook-secret`)).status).toBe(404);

    // A new one can be made after a delete, and deleting the application deletes it.
    expect((await admin.post(`/v1/applications/${app.id}/webhook-secret`)).status).toBe(200);
    expect((await admin.delete(`/v1/applications/${app.id}`)).status).toBe(204);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('keeps login, consent and logout URLs to https or a local host, and removes them with null', async () => {
    const created = await admin.post('/v1/applications', { name: 'Portal', loginUrl: 'https://portal.example.com/login', consentUrl: 'http://localhost:3000/consent' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ loginUrl: 'https://portal.example.com/login', consentUrl: 'http://localhost:3000/consent' });
    const refused = await admin.patch(`/v1/applications/${created.body.id}`, { logoutUrl: 'http://portal.example.com/logout' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'logoutUrl', message: expect.stringContaining('must use https') }]);
    expect((await admin.post('/v1/applications', { name: 'Bad', loginUrl: 'https://portal.example.com/login#x' })).body.detail).toContain('has a fragment');
    const cleared = await admin.patch(`/v1/applications/${created.body.id}`, { consentUrl: null });
    expect(cleared.body).not.toHaveProperty('consentUrl');
    expect(cleared.body.loginUrl).toBe('https://portal.example.com/login');
  });

  it('answers 404 for an unknown application', async () => {
    expect((await admin.post('/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa/webhook-secret')).status).toBe(404);
    expect((await admin.patch('/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa', { name: 'x' })).status).toBe(404);
  });
});
