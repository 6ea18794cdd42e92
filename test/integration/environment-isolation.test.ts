import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../lib/routes';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * An administrator of environment A tries every management route of the route table against the
 * records of environment B. Nothing of B may be read, changed or minted for; B checks afterwards.
 */

/** Bodies that would succeed on the caller's own records, so a refusal is about B, not about input. */
const BODIES: Record<string, unknown> = {
  'update-service-account': { name: 'taken over', disabled: true },
  'reset-service-account-secret': {},
  'set-service-account-permissions': { grants: [] },
  'mint-service-account-token': {},
  'update-resource': { name: 'taken over', permissions: [] },
  'update-environment': { name: 'renamed by A' },
  'create-resource': { key: 'a-orders', permissions: ['read'] },
  'create-service-account': { name: 'made by A' },
  'create-service-account-key': {},
  'update-user': { disabled: true },
};

describe('environment isolation', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let victim: { environmentId: string; tenantId: string; accountId: string; clientId: string; clientSecret: string };
  let asA: ReturnType<typeof api>;
  let asB: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const deps = bootstrapDeps();
    const b = await bootstrapEnvironment(deps, { tenantName: 'Other tenant', environmentName: 'prod' });
    asB = api(runtime.url, await adminToken(runtime, b.admin));
    asA = api(runtime.url, await adminToken(runtime));
    expect((await asB.post('/v1/resources', { key: 'b-orders', permissions: ['read'] })).status).toBe(201);
    const account = await asB.post('/v1/service-accounts', { name: 'victim' });
    await asB.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'b-orders', permissions: ['read'] }] });
    victim = { environmentId: b.environment.id, tenantId: b.tenant.id, accountId: account.body.id, clientId: account.body.clientId, clientSecret: account.body.clientSecret };
  });
  afterAll(() => runtime?.stop());

  it('gives A nothing of B on any management route', async () => {
    const parameters: Record<string, string> = { id: victim.accountId, key: 'b-orders' };
    const managementRoutes = operations.flatMap((operation) =>
      operation.routes.filter((route) => route.path.startsWith('/v1/')).map((route) => ({ operation: operation.name, ...route })),
    );
    expect(managementRoutes.length).toBeGreaterThan(10);
    for (const route of managementRoutes) {
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(parameters[name] ?? `${name}-of-b`));
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? (BODIES[route.operation] ?? { name: 'from A' }) : undefined;
      const answer = await (asA[route.method.toLowerCase() as 'post'] as (path: string, body?: unknown) => ReturnType<typeof asA.post>)(path, body);
      // A's audit log names the IDs A itself sent in its refused attempts above (their targets); nothing else of B.
      const shown =
        route.operation === 'list-audit-events'
          ? { items: (answer.body as { items: Record<string, unknown>[] }).items.map(({ target: _sentByA, ...event }) => event) }
          : answer.body;
      const text = JSON.stringify(shown ?? '');
      expect(answer.status, `${route.method} ${path}`).toBeLessThan(500);
      expect(text, `${route.method} ${path} leaked B`).not.toContain(victim.environmentId);
      // A 404 may echo the ID A itself sent; a success must not carry B's records.
      if (answer.status < 300) expect(text, `${route.method} ${path} leaked B`).not.toContain(victim.accountId);
      if (route.path.includes('{')) expect([400, 403, 404, 409], `${route.method} ${path}`).toContain(answer.status);
    }
  });

  it('left every record of B as it was', async () => {
    const account = await asB.get(`/v1/service-accounts/${victim.accountId}`);
    expect(account.body).toMatchObject({ name: 'victim', disabled: false });
    expect((await asB.get(`/v1/service-accounts/${victim.accountId}/permissions`)).body.grants).toEqual([{ resource: 'b-orders', permissions: ['read'] }]);
    expect((await asB.get('/v1/resources/b-orders')).body).toMatchObject({ name: 'b-orders', permissions: ['read'] });
    expect((await asB.get('/v1/environment')).body.name).toBe('prod');
    const token = await requestToken(runtime.url, victim);
    expect(token.status).toBe(200);
  });

  it('does not let A mint a token for B with a B client ID in an A request', async () => {
    const forged = `${victim.accountId}@${runtime.devAdmin.environmentId}`;
    expect((await requestToken(runtime.url, { clientId: forged, clientSecret: victim.clientSecret })).status).toBe(401);
  });
});
