import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevAdmin } from '../../local/dev-bootstrap';
import { store } from '../../src/adapters/from-environment';
import { LATCHKEY_RESOURCE_KEY, MANAGEMENT_PERMISSIONS } from '../../src/domain/builtin-resource';
import { parseClientId } from '../../src/domain/ids';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime';

/**
 * The local development administrator on a later start: it gets the built-in permissions added
 * since its data folder was made, and takes the secret `LATCHKEY_DEV_ADMIN_CLIENT_SECRET` names.
 */
describe('the local development administrator on a later start', () => {
  let runtime: TestRuntime;
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-dev-admin-'));

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    rmSync(dataDir, { recursive: true, force: true });
    await runtime?.stop();
  });

  it('holds every built-in permission again, also one its data folder predates, and takes the secret it is given', async () => {
    const { environmentId, principalId } = parseClientId(runtime.devAdmin.clientId)!;
    const before = (await store().getServiceAccount(environmentId, principalId))!;
    // As if made before the last two permissions existed.
    const older = MANAGEMENT_PERMISSIONS.slice(0, -2);
    await store().updateServiceAccount(environmentId, principalId, before.version, { grants: { ...before.grants, [LATCHKEY_RESOURCE_KEY]: older } });

    const secret = `lks_${'n'.repeat(40)}`;
    vi.stubEnv('LATCHKEY_DEV_ADMIN_CLIENT_ID', runtime.devAdmin.clientId);
    vi.stubEnv('LATCHKEY_DEV_ADMIN_CLIENT_SECRET', secret);
    const again = await ensureDevAdmin(dataDir);
    expect(again).toEqual({ tenantId: before.tenantId, environmentId, clientId: runtime.devAdmin.clientId, clientSecret: secret });

    expect((await requestToken(runtime.url, runtime.devAdmin)).status).toBe(401);
    const admin = api(runtime.url, await adminToken(runtime, { clientId: runtime.devAdmin.clientId, clientSecret: secret }));
    const shown = await admin.get(`/v1/service-accounts/${principalId}`);
    expect(shown.status).toBe(200);
    expect(shown.body.grants[LATCHKEY_RESOURCE_KEY]).toEqual([...MANAGEMENT_PERMISSIONS]);
    // A permission only the top-up gave back works.
    expect((await admin.get('/v1/audit-events?limit=1')).status).toBe(200);
  });
});
