import type { Context } from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MANAGEMENT_PERMISSIONS } from '../../src/domain/builtin-resource';
import { api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

type Handler = typeof import('../../functions/ops/bootstrap-environment').handler;

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
  const invoke = async (event: unknown) => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    logger.setLogLevel('INFO');
    try {
      return { result: await handler(event, lambdaContext()), logs: written.join('') };
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
