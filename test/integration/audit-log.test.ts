import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime';

/** Over HTTP: every change and every evaluated failed client authentication leaves one audit event. */
describe('audit log', () => {
  let runtime: TestRuntime;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  type Event = Record<string, any>;
  const events = async (client = admin, query = ''): Promise<Event[]> => {
    const answer = await client.get(`/v1/audit-events${query}`);
    expect(answer.status).toBe(200);
    return answer.body.items;
  };
  const eventsOf = async (targetId: string) => events(admin, `?targetId=${encodeURIComponent(targetId)}`);
  const table = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const itemKey = (environmentId: string, sequence: number) => ({ pk: `ENV#${environmentId}`, sk: `AUDIT#${String(sequence).padStart(12, '0')}` });

  const createAccount = async (client = admin, permissions?: string[]) => {
    const created = await client.post('/v1/service-accounts', { name: 'audited' });
    expect(created.status).toBe(201);
    if (permissions) {
      const granted = await client.put(`/v1/service-accounts/${created.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions }] });
      expect(granted.status).toBe(200);
    }
    return created.body as Credentials & { id: string };
  };

  it('a secret reset writes exactly one event: who, what, target, outcome, from where, the field names, and no secret', async () => {
    const account = await createAccount();
    const reset = await admin.post(`/v1/service-accounts/${account.id}/secret`, { revokeTokens: true });
    expect(reset.status).toBe(200);
    const secret = reset.body.clientSecret as string;

    const found = await events(admin, `?action=service_account.secret_reset&targetId=${account.id}`);
    expect(found).toHaveLength(1);
    const event = found[0]!;
    expect(event).toMatchObject({
      id: expect.stringMatching(/^aud_/),
      tenantId: runtime.devAdmin.tenantId,
      environmentId: runtime.devAdmin.environmentId,
      actor: { type: 'service_account', id: runtime.devAdmin.clientId.split('@')[0], clientId: runtime.devAdmin.clientId },
      action: 'service_account.secret_reset',
      target: { type: 'service_account', id: account.id },
      outcome: 'success',
      sourceIp: '127.0.0.1',
      requestId: expect.any(String),
      changedFields: ['revokeTokens'],
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Date.parse(event.time)).not.toBeNaN();
    expect(event).not.toHaveProperty('errorCode');
    // Neither the answer nor the stored item holds the secret, or the old one.
    const stored = await table().send(new GetCommand({ TableName: runtime.resources.tableName, Key: itemKey(runtime.devAdmin.environmentId, event.sequence) }));
    for (const text of [JSON.stringify(event), JSON.stringify(stored.Item)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(account.clientSecret);
      expect(text).not.toContain(secret.slice(4, 20));
    }
    expect(stored.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 399 * 86_400);

    // The create before it is on record too, with the new account's ID from the answer.
    const created = await eventsOf(account.id);
    expect(created.map((item) => item.action)).toEqual(['service_account.secret_reset', 'service_account.created']);
    expect(created[1]).toMatchObject({ action: 'service_account.created', changedFields: ['name'], target: { type: 'service_account', id: account.id } });
  });

  it('a refused change writes a failure event with the error code, and an authorised one none other', async () => {
    const missing = 'sa_aaaaaaaaaaaaaaaaaaaaaaaaaa';
    expect((await admin.delete(`/v1/service-accounts/${missing}`)).status).toBe(404);
    const refused = await admin.patch('/v1/environment', { colour: 'blue' });
    expect(refused.status).toBe(400);

    expect(await eventsOf(missing)).toEqual([
      expect.objectContaining({ action: 'service_account.deleted', outcome: 'failure', errorCode: 'not_found', target: { type: 'service_account', id: missing } }),
    ]);
    // A body refused by its schema sets no field; the event names the environment it tried to change.
    const [environmentEvent] = await events(admin, '?action=environment.updated&limit=1');
    expect(environmentEvent).toMatchObject({ outcome: 'failure', errorCode: 'invalid_request', target: { type: 'environment', id: runtime.devAdmin.environmentId } });
    expect(environmentEvent).not.toHaveProperty('changedFields');
  });

  it('a failed client authentication writes an event; a successful token request writes none', async () => {
    const account = await createAccount();
    const before = await eventsOf(account.id);
    expect((await requestToken(runtime.url, account)).status).toBe(200);
    expect(await eventsOf(account.id)).toEqual(before);

    const wrong = await requestToken(runtime.url, { clientId: account.clientId, clientSecret: `${account.clientSecret}x` });
    expect(wrong.status).toBe(401);
    const [failed, ...rest] = await eventsOf(account.id);
    expect(rest).toEqual(before);
    expect(failed).toMatchObject({
      action: 'service_account.authentication_failed',
      actor: { type: 'service_account', id: account.id, clientId: account.clientId },
      target: { type: 'service_account', id: account.id },
      outcome: 'failure',
      errorCode: 'invalid_client',
      sourceIp: '127.0.0.1',
    });
    expect(JSON.stringify(failed)).not.toContain(account.clientSecret);
  });

  it('lists newest first, a page at a time, by action, actor, target and time', async () => {
    const since = new Date().toISOString();
    const deputy = await createAccount(admin, ['RESOURCES_EDIT']);
    const asDeputy = api(runtime.url, await adminToken(runtime, deputy));
    const keys = ['audit-one', 'audit-two', 'audit-three'];
    for (const key of keys) expect((await asDeputy.post('/v1/resources', { key, name: key, audience: `https://${key}.example.com` })).status).toBe(201);

    const first = await admin.get(`/v1/audit-events?actorId=${deputy.id}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: Event) => item.target.id)).toEqual(['audit-three', 'audit-two']);
    const second = await admin.get(`/v1/audit-events?actorId=${deputy.id}&limit=2&cursor=${first.body.cursor}`);
    expect(second.body.items.map((item: Event) => item.target.id)).toEqual(['audit-one']);
    expect(second.body.cursor).toBeUndefined();

    expect((await events(admin, `?action=resource.created&since=${since}`)).map((item) => item.target.id)).toEqual(['audit-three', 'audit-two', 'audit-one']);
    expect(await events(admin, `?action=resource.created&until=${since}`)).toEqual([]);
    expect((await events(admin, '?targetId=audit-two')).map((item) => item.action)).toEqual(['resource.created']);

    const bad = await admin.get('/v1/audit-events?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toBe('since must be an ISO 8601 date or time, such as 2026-01-31T00:00:00Z');
  });

  it('needs AUDIT_READ, and shows an environment its own events only', async () => {
    const reader = await createAccount(admin, ['SERVICE_ACCOUNTS_READ']);
    const asReader = api(runtime.url, await adminToken(runtime, reader));
    for (const path of ['/v1/audit-events', '/v1/audit-events/verify']) {
      const refused = await asReader.get(path);
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toBe('this operation requires the permission AUDIT_READ on the resource latchkey');
    }

    const other = await startTestRuntime();
    const otherAdmin = api(other.url, await adminToken(other));
    const application = await otherAdmin.post('/v1/applications', { name: 'elsewhere' });
    expect(application.status).toBe(201);
    expect(await events(otherAdmin)).toEqual([
      expect.objectContaining({ action: 'application.created', environmentId: other.devAdmin.environmentId, target: { type: 'application', id: application.body.id } }),
    ]);
    expect(await eventsOf(application.body.id)).toEqual([]);
  });

  it('verify checks the hash chain and answers where an edited or removed event breaks it', async () => {
    // An environment of its own, so its chain can be tampered with.
    const other = await startTestRuntime();
    const otherAdmin = api(other.url, await adminToken(other));
    const environmentId = other.devAdmin.environmentId;
    for (const name of ['a', 'b', 'c', 'd']) expect((await otherAdmin.post('/v1/applications', { name })).status).toBe(201);
    const whole = await otherAdmin.get('/v1/audit-events/verify');
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ valid: true, checked: 4, first: { sequence: 1 }, last: { sequence: 4 } });

    // An auditor's view rewritten in the table: a failure made to look like a success.
    const third = (await events(otherAdmin, '?limit=2'))[1]!;
    await table().send(
      new UpdateCommand({
        TableName: other.resources.tableName,
        Key: itemKey(environmentId, third.sequence),
        UpdateExpression: 'SET #outcome = :failure',
        ExpressionAttributeNames: { '#outcome': 'outcome' },
        ExpressionAttributeValues: { ':failure': 'failure' },
      }),
    );
    const altered = await otherAdmin.get('/v1/audit-events/verify');
    expect(altered.body).toMatchObject({
      valid: false,
      brokenAt: { sequence: third.sequence, id: third.id, reason: 'the event was altered: its digest does not match its content' },
    });

    // The edit undone, the event removed instead: the gap is found.
    await table().send(new DeleteCommand({ TableName: other.resources.tableName, Key: itemKey(environmentId, third.sequence) }));
    const cut = await otherAdmin.get('/v1/audit-events/verify');
    expect(cut.body).toMatchObject({ valid: false, brokenAt: { sequence: third.sequence, reason: `events ${third.sequence} to ${third.sequence} are missing` } });
  });

  it('answers 503 for a change whose event cannot be stored: no change is answered without its event', async () => {
    const other = await startTestRuntime();
    const otherAdmin = api(other.url, await adminToken(other));
    const application = await otherAdmin.post('/v1/applications', { name: 'before' });
    expect(application.status).toBe(201);
    // A record planted in the table that always looks like the newest event, at a place already taken:
    // every writer loses the race for the end of the chain.
    await table().send(
      new PutCommand({ TableName: other.resources.tableName, Item: { pk: `ENV#${other.devAdmin.environmentId}`, sk: 'AUDIT#~', sequence: 0, digest: 'planted' } }),
    );
    const renamed = await otherAdmin.patch(`/v1/applications/${application.body.id}`, { name: 'after' });
    expect(renamed.status).toBe(503);
    expect(renamed.headers.get('retry-after')).toBe('5');
    expect(renamed.body).toMatchObject({ code: 'temporarily_unavailable' });
    await table().send(new DeleteCommand({ TableName: other.resources.tableName, Key: { pk: `ENV#${other.devAdmin.environmentId}`, sk: 'AUDIT#~' } }));
    expect((await events(otherAdmin)).map((event) => event.action)).toEqual(['application.created']);
  });

  it('verify finds events cut from either end of the chain: by its head, and by how long the first was to be kept', async () => {
    const other = await startTestRuntime();
    const otherAdmin = api(other.url, await adminToken(other));
    for (const name of ['x', 'y', 'z']) expect((await otherAdmin.post('/v1/applications', { name })).status).toBe(201);
    await table().send(new DeleteCommand({ TableName: other.resources.tableName, Key: itemKey(other.devAdmin.environmentId, 3) }));
    const cut = await otherAdmin.get('/v1/audit-events/verify');
    expect(cut.body).toMatchObject({ valid: false, brokenAt: { sequence: 3, reason: 'events from 3 to 3 are missing: the chain head names 3' } });

    const [second] = await events(otherAdmin, '?limit=1');
    await table().send(new DeleteCommand({ TableName: other.resources.tableName, Key: itemKey(other.devAdmin.environmentId, 1) }));
    const start = await otherAdmin.get('/v1/audit-events/verify');
    expect(start.body).toMatchObject({
      valid: false,
      brokenAt: { sequence: 1, reason: `events before 2 are missing, though they were to be kept until ${second!.previousRetainedUntil}` },
    });
  });
});
