import type { Context } from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MANAGEMENT_PERMISSIONS } from '../../src/domain/builtin-resource';
import { api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

type Handler = typeof import('../../functions/ops/bootstrap-environment').handler;
type BootstrapResult = import('../../functions/ops/bootstrap-environment').BootstrapResult;
type GrantManagementResult = import('../../functions/ops/bootstrap-environment').GrantManagementResult;

/** What Lambda passes besides the event; the handler only logs its request ID. */
const lambdaContext = (): Context =>
  ({
    functionName: 'latchkey-test-bootstrap',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:latchkey-test-bootstrap',
    memoryLimitInMB: '512',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/latchkey-test-bootstrap',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
  }) as Context;

describe('the bootstrap function, invoked directly', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let handler: Handler;
  let logger: typeof import('../../src/http/observability').logger;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    // Imported once the runtime has set the environment the function reads at cold start.
    ({ handler } = await import('../../functions/ops/bootstrap-environment'));
    ({ logger } = await import('../../src/http/observability'));
  });
  afterAll(() => runtime?.stop());

  /** Invokes the handler with logging on, and answers its result and everything it logged. */
  const invoke = async <T = BootstrapResult>(event: unknown): Promise<{ result: T; logs: string }> => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    logger.setLogLevel('INFO');
    try {
      return { result: (await handler(event, lambdaContext())) as T, logs: written.join('') };
    } finally {
      logger.setLogLevel('SILENT');
      stdout.mockRestore();
      stderr.mockRestore();
    }
  };

  it('creates a tenant, an environment and an administrator who can get a token over HTTP', async () => {
    const { result, logs } = await invoke({ tenantName: 'Acme', environmentName: 'prod', adminName: 'Ops' });
    expect(result).toEqual({
      tenantId: expect.stringMatching(/^ten_[a-z2-7]{26}$/),
      environmentId: expect.stringMatching(/^env_[a-z2-7]{26}$/),
      clientId: expect.stringMatching(new RegExp(`^sa_[a-z2-7]{26}@${result.environmentId}$`)),
      clientSecret: expect.stringMatching(/^lks_/),
    });
    expect(logs).toContain('environment bootstrapped');
    expect(logs).toContain(result.environmentId);
    expect(logs).not.toContain(result.clientSecret);

    const answer = await requestToken(runtime.url, result);
    expect(answer.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(answer.body.access_token as string, jwks, { issuer: runtime.url });
    expect(payload).toMatchObject({ name: 'Ops', tenantId: result.tenantId, environmentId: result.environmentId });
    expect((payload.permissions as Record<string, string[]>).latchkey!.sort()).toEqual([...MANAGEMENT_PERMISSIONS].sort());

    const environment = await api(runtime.url, answer.body.access_token as string).get('/v1/environment');
    expect(environment.status).toBe(200);
    expect(environment.body).toMatchObject({ id: result.environmentId, name: 'prod', tenantId: result.tenantId, tenantName: 'Acme' });

    // The environment's audit log opens with its bootstrap.
    const audit = await api(runtime.url, answer.body.access_token as string).get('/v1/audit-events');
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        sequence: 1,
        actor: { type: 'system' },
        action: 'environment.bootstrapped',
        target: { type: 'environment', id: result.environmentId },
        outcome: 'success',
      }),
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(result.clientSecret);
  });

  it('adds an environment to an existing tenant, apart from its other environments', async () => {
    const { result: prod } = await invoke({ tenantName: 'Globex', environmentName: 'prod' });
    const { result: staging } = await invoke({ tenantName: 'Globex', tenantId: prod.tenantId, environmentName: 'staging' });
    expect(staging.tenantId).toBe(prod.tenantId);
    expect(staging.environmentId).not.toBe(prod.environmentId);

    const token = (await requestToken(runtime.url, staging)).body.access_token as string;
    const accounts = await api(runtime.url, token).get('/v1/service-accounts');
    expect(accounts.status).toBe(200);
    expect(JSON.stringify(accounts.body)).toContain(staging.clientId);
    expect(JSON.stringify(accounts.body)).not.toContain(prod.clientId);
  });

  it('gives an administrator made before a permission existed every built-in permission, which the escalation rule keeps it from taking itself', async () => {
    const { result: admin } = await invoke({ tenantName: 'Initech', environmentName: 'prod' });
    const management = api(runtime.url, (await requestToken(runtime.url, admin)).body.access_token as string);
    const accountId = admin.clientId.split('@')[0];
    // An environment bootstrapped before USERS_EDIT existed: its administrator holds everything else.
    const older = MANAGEMENT_PERMISSIONS.filter((permission) => permission !== 'USERS_EDIT');
    expect((await management.put(`/v1/service-accounts/${accountId}/permissions`, { grants: [{ resource: 'latchkey', permissions: older }] })).status).toBe(200);
    const missingUser = '/v1/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa';
    expect((await management.patch(missingUser, { disabled: true })).status).toBe(403);
    const selfGrant = await management.put(`/v1/service-accounts/${accountId}/permissions`, { grants: [{ resource: 'latchkey', permissions: [...MANAGEMENT_PERMISSIONS] }] });
    expect(selfGrant.status).toBe(403);

    const { result } = await invoke<GrantManagementResult>({ action: 'grant-management-permissions', clientId: admin.clientId });
    expect(result).toEqual({ environmentId: admin.environmentId, clientId: admin.clientId, added: ['USERS_EDIT'], permissions: [...MANAGEMENT_PERMISSIONS] });
    // The same token: calls read the account's permissions as stored.
    expect((await management.patch(missingUser, { disabled: true })).status).toBe(404);
    const granted = await management.get(`/v1/service-accounts/${accountId}/permissions`);
    expect(granted.body.grants).toEqual([{ resource: 'latchkey', permissions: [...MANAGEMENT_PERMISSIONS] }]);

    // Asked again, or for a named list it holds already, nothing changes.
    const again = await invoke<GrantManagementResult>({ action: 'grant-management-permissions', clientId: admin.clientId, permissions: ['USERS_EDIT'] });
    expect(again.result.added).toEqual([]);
    // Both calls are on record in the environment's audit log, the one that changed something naming the grants.
    const events = (await management.get('/v1/audit-events?action=service_account.management_permissions_granted')).body.items;
    expect(events).toEqual([
      expect.objectContaining({ actor: { type: 'system' }, target: { type: 'service_account', id: accountId }, outcome: 'success', changedFields: [] }),
      expect.objectContaining({ actor: { type: 'system' }, target: { type: 'service_account', id: accountId }, outcome: 'success', changedFields: ['grants'] }),
    ]);
  });

  it.each([
    ['an unknown permission', { permissions: ['USERS_EDIT', 'ROOT'] }, /permissions\.1: /],
    ['an empty list', { permissions: [] }, /permissions: must name at least one permission/],
    ['a malformed client ID', { clientId: 'sa_admin' }, /clientId: must be a service account client ID/],
    ['a field of the create action', { tenantName: 'Acme' }, /tenantName/],
  ])('refuses a grant with %s before any change', async (_what, change, message) => {
    const { result: admin } = await invoke({ tenantName: 'Umbrella', environmentName: 'prod' });
    const error = await invoke({ action: 'grant-management-permissions', clientId: admin.clientId, ...change }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequest', status: 400, message: expect.stringMatching(message) });
  });

  it('refuses a grant to an account that does not exist, and an unknown action', async () => {
    const { result: admin } = await invoke({ tenantName: 'Hooli', environmentName: 'prod' });
    const stranger = `sa_aaaaaaaaaaaaaaaaaaaaaaaaaa@${admin.environmentId}`;
    expect(await invoke({ action: 'grant-management-permissions', clientId: stranger }).catch((e: unknown) => e)).toMatchObject({ name: 'NotFound', status: 404 });
    expect(await invoke({ action: 'delete-tenant', clientId: admin.clientId }).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidRequest', status: 400 });
  });

  it.each([
    ['no environment name', { tenantName: 'Acme' }, /^invalid bootstrap input: environmentName: /],
    ['an empty tenant name', { tenantName: '  ', environmentName: 'prod' }, /tenantName: must not be empty/],
    ['a malformed tenant ID', { tenantName: 'Acme', tenantId: 'acme', environmentName: 'prod' }, /tenantId: must be a tenant ID/],
    ['an unknown field', { tenantName: 'Acme', environmentName: 'prod', clientSecret: 'mine' }, /clientSecret/],
    ['an event that is not an object', 'Acme/prod', /^invalid bootstrap input: /],
  ])('refuses %s with a clear InvalidRequest', async (_what, event, message) => {
    const error = await invoke(event).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequest', status: 400, message: expect.stringMatching(message) });
  });
});
