import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { checkAgainstModel, steps, type ManagementCheck, type PermissionHarness } from '../support/permission-model';

/**
 * The property of test/unit/current-permissions-property.test.ts over HTTP, on the local runtime
 * with its real clock, stores and signing keys: random sequences of grants, revocations, resource
 * changes and resets, and after each step every earlier JWT and PAT works on the management API
 * only with the permissions the account holds now.
 */
describe('permissions on the management API follow the account as it is now (HTTP, property)', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let run = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  const paths: Record<ManagementCheck, string> = { SERVICE_ACCOUNTS_READ: '/v1/service-accounts?limit=1', RESOURCES_READ: '/v1/resources' };

  const ok = <T extends { status: number; body: unknown }>(answer: T, ...statuses: number[]) => {
    expect(statuses, JSON.stringify(answer.body)).toContain(answer.status);
    return answer;
  };

  /** A fresh resource and account per run, in the one runtime. */
  async function httpHarness(): Promise<PermissionHarness<string>> {
    const key = `property-${++run}`;
    ok(await admin.post('/v1/resources', { key, permissions: ['r', 'w', 'x'] }), 201);
    const account = ok(await admin.post('/v1/service-accounts', { name: key }), 201).body as Credentials & { id: string };
    let credentials: Credentials = account;
    return {
      setGrants: async (management, customer) => {
        const grants = [{ resource: 'latchkey', permissions: management }, ...(customer.length > 0 ? [{ resource: key, permissions: customer }] : [])];
        ok(await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants }), 200);
      },
      redefineResource: async (permissions) => void ok(await admin.patch(`/v1/resources/${key}`, { permissions }), 200),
      deleteResource: async () => void ok(await admin.delete(`/v1/resources/${key}`), 204),
      createResource: async (permissions) => void ok(await admin.post('/v1/resources', { key, permissions }), 201),
      resetSecret: async (revokeTokens) => {
        const reset = ok(await admin.post(`/v1/service-accounts/${account.id}/secret`, { revokeTokens }), 200);
        credentials = { clientId: account.clientId, clientSecret: reset.body.clientSecret };
      },
      issueJwt: async () => ok(await requestToken(runtime.url, credentials, { resource: 'latchkey' }), 200).body.access_token as string,
      issuePat: async () => ok(await admin.post(`/v1/service-accounts/${account.id}/personal-access-tokens`, {}), 201).body.token as string,
      mayCall: async (token, permission) => ok(await api(runtime.url, token).get(paths[permission]), 200, 401, 403).status === 200,
      newTokenPermissions: async () => {
        const answer = ok(await requestToken(runtime.url, credentials, { resource: key }), 200, 400);
        if (answer.status === 400) {
          expect(answer.body.error).toBe('invalid_target');
          return undefined;
        }
        return (decodeJwt(answer.body.access_token as string).permissions as Record<string, string[]>)[key] ?? [];
      },
      wait: () => undefined,
    };
  }

  it('after any sequence of grants, revocations, resource changes and resets, an earlier token works only with the permissions held now', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (sequence) => checkAgainstModel(await httpHarness(), sequence)),
      { numRuns: 20 },
    );
  }, 120_000);
});
