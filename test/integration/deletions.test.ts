import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Deleting a resource and an IDP connection over HTTP on the local runtime: what is gone afterwards
 * (the record, and what it stood for in tokens), and who may not delete.
 */

type Api = ReturnType<typeof api>;

describe('deleting resources and IDP connections', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: Api;

  async function accountWith(grants: { resource: string; permissions: string[] }[]): Promise<Credentials & { id: string }> {
    const account = (await admin.post('/v1/service-accounts', { name: `holds ${JSON.stringify(grants)}`.slice(0, 100) })).body;
    expect((await admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants })).status).toBe(200);
    return account;
  }
  const as = async (credentials: Credentials) => api(runtime.url, await adminToken(runtime, credentials));

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${runtime.url}/oauth/v2/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  describe('DELETE /v1/resources/{key}', () => {
    it('deletes the resource: 204, then 404 on read and on a second delete', async () => {
      expect((await admin.post('/v1/resources', { key: 'archive', permissions: ['archive.read'] })).status).toBe(201);
      const deleted = await admin.delete('/v1/resources/archive');
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();

      const read = await admin.get('/v1/resources/archive');
      expect(read.status).toBe(404);
      expect(read.body).toMatchObject({ code: 'not_found', detail: 'resource "archive" was not found' });
      expect((await admin.get('/v1/resources')).body.items.map((resource: { key: string }) => resource.key)).not.toContain('archive');
      const again = await admin.delete('/v1/resources/archive');
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('not_found');
    });

    it('takes its grants out of every later token, and refuses it as an audience', async () => {
      expect((await admin.post('/v1/resources', { key: 'billing', permissions: ['billing.read', 'billing.write'] })).status).toBe(201);
      expect((await admin.post('/v1/resources', { key: 'shipping', permissions: ['shipping.read'] })).status).toBe(201);
      const account = await accountWith([
        { resource: 'billing', permissions: ['billing.read'] },
        { resource: 'shipping', permissions: ['shipping.read'] },
      ]);
      const before = decodeJwt((await requestToken(runtime.url, account)).body.access_token as string);
      expect(before.permissions).toEqual({ billing: ['billing.read'], shipping: ['shipping.read'] });

      expect((await admin.delete('/v1/resources/billing')).status).toBe(204);

      const after = decodeJwt((await requestToken(runtime.url, account)).body.access_token as string);
      expect(after.permissions).toEqual({ shipping: ['shipping.read'] });
      const asAudience = await requestToken(runtime.url, account, { resource: 'billing' });
      expect(asAudience.status).toBe(400);
      expect(asAudience.body.error).toBe('invalid_target');
      expect((await admin.get(`/v1/service-accounts/${account.id}/permissions`)).body.grants).toEqual([{ resource: 'shipping', permissions: ['shipping.read'] }]);
    });

    it('refuses a caller without RESOURCES_EDIT, and the resource stays', async () => {
      expect((await admin.post('/v1/resources', { key: 'reports', permissions: ['reports.read'] })).status).toBe(201);
      const reader = await as(await accountWith([{ resource: 'latchkey', permissions: ['RESOURCES_READ'] }]));
      const refused = await reader.delete('/v1/resources/reports');
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'not_authorized', detail: expect.stringContaining('RESOURCES_EDIT') });
      expect((await admin.get('/v1/resources/reports')).status).toBe(200);

      const anonymous = await fetch(`${runtime.url}/v1/resources/reports`, { method: 'DELETE' });
      expect(anonymous.status).toBe(401);
      expect((await admin.get('/v1/resources/reports')).status).toBe(200);
    });

    it('refuses to delete the built-in management resource', async () => {
      const answer = await admin.delete('/v1/resources/latchkey');
      expect(answer.status).toBe(400);
      expect(answer.body.detail).toContain('built in');
      expect((await admin.get('/v1/resources/latchkey')).status).toBe(200);
    });

    it("cannot reach another environment's resource: 404 there, and it stays", async () => {
      expect((await admin.post('/v1/resources', { key: 'ledger', permissions: ['ledger.read'] })).status).toBe(201);
      const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Other tenant', environmentName: 'prod' });
      const asOther = await as(other.admin);
      expect((await asOther.delete('/v1/resources/ledger')).status).toBe(404);
      expect((await admin.get('/v1/resources/ledger')).status).toBe(200);
    });
  });

  describe('DELETE /v1/idp-connections/{id}', () => {
    it('deletes the connection: 204, then 404; delegated tokens are refused and those issued stop being active', async () => {
      const applicationId = (await admin.post('/v1/applications', { name: 'Portal' })).body.id as string;
      const connection = (await admin.post('/v1/idp-connections', { type: 'delegated', applicationIds: [applicationId] })).body;
      expect(connection.id).toMatch(/^idp_/);
      const vouching = await as(await accountWith([{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }]));
      const issued = await vouching.post('/v1/delegated-access-tokens', { applicationId, subjectId: 'ext-42' });
      expect(issued.status).toBe(200);
      expect(await introspect(issued.body.accessToken)).toMatchObject({ active: true, subjectType: 'EndUserAccount' });

      expect((await admin.delete(`/v1/idp-connections/${connection.id}`)).status).toBe(204);

      const read = await admin.get(`/v1/idp-connections/${connection.id}`);
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('not_found');
      expect((await admin.get('/v1/idp-connections')).body.items).toEqual([]);
      expect((await admin.delete(`/v1/idp-connections/${connection.id}`)).status).toBe(404);

      const refused = await vouching.post('/v1/delegated-access-tokens', { applicationId, subjectId: 'ext-42' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'idp_connection_missing', detail: expect.stringContaining('no delegated IDP connection') });
      expect(await introspect(issued.body.accessToken)).toEqual({ active: false });
    });

    it('refuses a caller without IDP_CONNECTIONS_EDIT, and the connection stays', async () => {
      const connection = (await admin.post('/v1/idp-connections', { type: 'delegated' })).body;
      const reader = await as(await accountWith([{ resource: 'latchkey', permissions: ['IDP_CONNECTIONS_READ'] }]));
      const refused = await reader.delete(`/v1/idp-connections/${connection.id}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'not_authorized', detail: expect.stringContaining('IDP_CONNECTIONS_EDIT') });
      expect((await admin.get(`/v1/idp-connections/${connection.id}`)).status).toBe(200);

      const other = await bootstrapEnvironment(bootstrapDeps(), { tenantName: 'Third tenant', environmentName: 'prod' });
      expect((await (await as(other.admin)).delete(`/v1/idp-connections/${connection.id}`)).status).toBe(404);
      expect((await admin.get(`/v1/idp-connections/${connection.id}`)).body.enabled).toBe(true);
    });
  });
});
