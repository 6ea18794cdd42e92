import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, createServiceAccount, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * No escalation on the management API (after Kubernetes RBAC's escalation prevention): a caller
 * gives only built-in permissions it holds, acts only on accounts whose built-in permissions it
 * holds all of, its own included, and changes customer grants only with PERMISSIONS_GRANT.
 */
describe('privilege escalation over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  type Account = Credentials & { id: string };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    expect((await admin.post('/v1/resources', { key: 'orders', permissions: ['orders.read', 'orders.write'] })).status).toBe(201);
  });
  afterAll(() => runtime?.stop());

  const createAccount = (name: string, grants: { resource: string; permissions: string[] }[]) => createServiceAccount<Account>(admin, { name }, grants);
  const builtIn = (...permissions: string[]) => ({ resource: 'latchkey', permissions });
  const as = async (account: Account) => api(runtime.url, await adminToken(runtime, account));
  const expectRefused = (answer: { status: number; body: any; headers: Headers }, ...missing: string[]) => {
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body.code).toBe('not_authorized');
    for (const permission of missing) expect(answer.body.detail).toContain(permission);
  };

  /** An account manager: may edit and read accounts, nothing else. */
  const editorGrants = () => [builtIn('SERVICE_ACCOUNTS_EDIT', 'SERVICE_ACCOUNTS_READ')];

  it('refuses an account manager giving itself more built-in permissions, so it never reaches the environment', async () => {
    const editor = await createAccount('editor-self', editorGrants());
    const asEditor = await as(editor);
    const escalate = await asEditor.put(`/v1/service-accounts/${editor.id}/permissions`, {
      grants: [builtIn('SERVICE_ACCOUNTS_EDIT', 'SERVICE_ACCOUNTS_READ', 'ENVIRONMENT_EDIT', 'ENVIRONMENT_READ')],
    });
    expectRefused(escalate, 'ENVIRONMENT_EDIT', 'ENVIRONMENT_READ');
    // Nothing was written, and a new token is no stronger.
    expect((await admin.get(`/v1/service-accounts/${editor.id}/permissions`)).body.grants).toEqual(editorGrants());
    const again = await as(editor);
    expectRefused(await again.patch('/v1/environment', { serviceAccountTokenTtlSeconds: 600 }), 'ENVIRONMENT_EDIT');
    // Keeping or dropping its own permissions is no escalation.
    expect((await asEditor.put(`/v1/service-accounts/${editor.id}/permissions`, { grants: editorGrants() })).status).toBe(200);
  });

  it('refuses giving another account built-in permissions the caller lacks, and allows those it holds', async () => {
    const editor = await createAccount('editor-other', editorGrants());
    const target = await createAccount('target', []);
    const asEditor = await as(editor);
    expectRefused(await asEditor.put(`/v1/service-accounts/${target.id}/permissions`, { grants: [builtIn('RESOURCES_EDIT')] }), 'RESOURCES_EDIT');
    expect((await asEditor.put(`/v1/service-accounts/${target.id}/permissions`, { grants: [builtIn('SERVICE_ACCOUNTS_READ')] })).status).toBe(200);
  });

  it('needs PERMISSIONS_GRANT to change grants on customer resources', async () => {
    const editor = await createAccount('editor-customer', editorGrants());
    const grantor = await createAccount('grantor', [builtIn('SERVICE_ACCOUNTS_EDIT', 'PERMISSIONS_GRANT')]);
    const target = await createAccount('orders-client', [{ resource: 'orders', permissions: ['orders.read'] }]);
    const wider = { grants: [{ resource: 'orders', permissions: ['orders.read', 'orders.write'] }] };

    expectRefused(await (await as(editor)).put(`/v1/service-accounts/${target.id}/permissions`, wider), 'PERMISSIONS_GRANT');
    expectRefused(await (await as(editor)).put(`/v1/service-accounts/${editor.id}/permissions`, { grants: [...editorGrants(), ...wider.grants] }), 'PERMISSIONS_GRANT');
    // Revoking a customer grant is a change too.
    expectRefused(await (await as(editor)).put(`/v1/service-accounts/${target.id}/permissions`, { grants: [] }), 'PERMISSIONS_GRANT');
    expect((await admin.get(`/v1/service-accounts/${target.id}/permissions`)).body.grants).toEqual([{ resource: 'orders', permissions: ['orders.read'] }]);

    expect((await (await as(grantor)).put(`/v1/service-accounts/${target.id}/permissions`, wider)).status).toBe(200);
    expect((await admin.get(`/v1/service-accounts/${target.id}/permissions`)).body.grants).toEqual(wider.grants);
  });

  describe('acting on an account that holds more than the caller', () => {
    let editor: Account;
    let asEditor: ReturnType<typeof api>;
    let stronger: Account;
    let weaker: Account;

    beforeAll(async () => {
      editor = await createAccount('editor-acting', editorGrants());
      asEditor = await as(editor);
      stronger = await createAccount('stronger', [builtIn('SERVICE_ACCOUNTS_READ', 'ENVIRONMENT_EDIT')]);
      weaker = await createAccount('weaker', [builtIn('SERVICE_ACCOUNTS_READ')]);
    });

    it('refuses minting a token for it, and allows it for an account it covers and for itself', async () => {
      expectRefused(await asEditor.post(`/v1/service-accounts/${stronger.id}/access-tokens`, {}), 'ENVIRONMENT_EDIT');
      expect((await asEditor.post(`/v1/service-accounts/${weaker.id}/access-tokens`, {})).status).toBe(201);
      expect((await asEditor.post(`/v1/service-accounts/${editor.id}/access-tokens`, {})).status).toBe(201);
    });

    it('refuses resetting its secret, which keeps working', async () => {
      expectRefused(await asEditor.post(`/v1/service-accounts/${stronger.id}/secret`, {}), 'ENVIRONMENT_EDIT');
      expect((await adminToken(runtime, stronger)).length).toBeGreaterThan(0);
      expect((await asEditor.post(`/v1/service-accounts/${weaker.id}/secret`, {})).status).toBe(200);
      // Its own secret: no escalation, and the new secret gets it no more than it holds.
      const own = await asEditor.post(`/v1/service-accounts/${editor.id}/secret`, {});
      expect(own.status).toBe(200);
      const renewed = await as({ clientId: editor.clientId, clientSecret: own.body.clientSecret, id: editor.id });
      expectRefused(await renewed.patch('/v1/environment', { name: 'mine' }), 'ENVIRONMENT_EDIT');
      asEditor = renewed;
      editor = { ...editor, clientSecret: own.body.clientSecret };
    });

    it('refuses creating or deleting its personal access tokens', async () => {
      expectRefused(await asEditor.post(`/v1/service-accounts/${stronger.id}/personal-access-tokens`, { name: 'mine now' }), 'ENVIRONMENT_EDIT');
      const pat = await admin.post(`/v1/service-accounts/${stronger.id}/personal-access-tokens`, { name: 'ops' });
      expect(pat.status).toBe(201);
      expectRefused(await asEditor.delete(`/v1/service-accounts/${stronger.id}/personal-access-tokens/${pat.body.id}`), 'ENVIRONMENT_EDIT');
      expect((await api(runtime.url, pat.body.token).get('/v1/service-accounts')).status).toBe(200);
      const own = await asEditor.post(`/v1/service-accounts/${editor.id}/personal-access-tokens`, {});
      expect(own.status).toBe(201);
      expect((await asEditor.delete(`/v1/service-accounts/${editor.id}/personal-access-tokens/${own.body.id}`)).status).toBe(204);
    });

    it('refuses updating, disabling, re-granting and deleting it', async () => {
      expectRefused(await asEditor.patch(`/v1/service-accounts/${stronger.id}`, { name: 'renamed' }), 'ENVIRONMENT_EDIT');
      expectRefused(await asEditor.patch(`/v1/service-accounts/${stronger.id}`, { disabled: true }), 'ENVIRONMENT_EDIT');
      expectRefused(await asEditor.put(`/v1/service-accounts/${stronger.id}/permissions`, { grants: [] }), 'ENVIRONMENT_EDIT');
      expectRefused(await asEditor.delete(`/v1/service-accounts/${stronger.id}`), 'ENVIRONMENT_EDIT');
      const unchanged = await admin.get(`/v1/service-accounts/${stronger.id}`);
      expect(unchanged.body).toMatchObject({ name: 'stronger', disabled: false });

      expect((await asEditor.patch(`/v1/service-accounts/${editor.id}`, { description: 'edits accounts' })).status).toBe(200);
      expect((await asEditor.patch(`/v1/service-accounts/${weaker.id}`, { disabled: true })).status).toBe(200);
      expect((await asEditor.delete(`/v1/service-accounts/${weaker.id}`)).status).toBe(204);
      expect((await asEditor.delete(`/v1/service-accounts/${editor.id}`)).status).toBe(409);
    });
  });

  describe('acting on an account that holds grants on a customer resource (separation of duties)', () => {
    let editor: Account;
    let asEditor: ReturnType<typeof api>;
    let transferBot: Account;
    let steward: ReturnType<typeof api>;

    beforeAll(async () => {
      expect((await admin.post('/v1/resources', { key: 'bank', permissions: ['transfer'] })).status).toBe(201);
      editor = await createAccount('editor-duties', editorGrants());
      asEditor = await as(editor);
      transferBot = await createAccount('transfer-bot', [{ resource: 'bank', permissions: ['transfer'] }]);
      steward = await as(await createAccount('steward', [builtIn('SERVICE_ACCOUNTS_EDIT', 'SERVICE_ACCOUNTS_READ', 'PERMISSIONS_GRANT')]));
    });

    it('refuses an account manager without PERMISSIONS_GRANT a token, a secret or a PAT that acts as it', async () => {
      // The grant itself is out of reach…
      expectRefused(
        await asEditor.put(`/v1/service-accounts/${editor.id}/permissions`, { grants: [...editorGrants(), { resource: 'bank', permissions: ['transfer'] }] }),
        'PERMISSIONS_GRANT',
      );
      // …and so is every way of acting as the account that holds it.
      const minted = await asEditor.post(`/v1/service-accounts/${transferBot.id}/access-tokens`, { resource: 'bank' });
      expectRefused(minted, 'PERMISSIONS_GRANT');
      expect(minted.body.detail).toContain('"bank"');
      expect(minted.body).not.toHaveProperty('accessToken');
      expectRefused(await asEditor.post(`/v1/service-accounts/${transferBot.id}/secret`, {}), 'PERMISSIONS_GRANT');
      expectRefused(await asEditor.post(`/v1/service-accounts/${transferBot.id}/personal-access-tokens`, { name: 'mine now' }), 'PERMISSIONS_GRANT');
      // The account's own secret still works: nothing was reset.
      const token = await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: transferBot.clientId, client_secret: transferBot.clientSecret, resource: 'bank' }),
      });
      expect(token.status).toBe(200);
    });

    it('refuses updating, disabling, re-granting and deleting it, and leaves it as it was', async () => {
      expectRefused(await asEditor.patch(`/v1/service-accounts/${transferBot.id}`, { name: 'renamed' }), 'PERMISSIONS_GRANT');
      expectRefused(await asEditor.patch(`/v1/service-accounts/${transferBot.id}`, { disabled: true }), 'PERMISSIONS_GRANT');
      expectRefused(await asEditor.put(`/v1/service-accounts/${transferBot.id}/permissions`, { grants: [{ resource: 'bank', permissions: ['transfer'] }] }), 'PERMISSIONS_GRANT');
      expectRefused(await asEditor.delete(`/v1/service-accounts/${transferBot.id}`), 'PERMISSIONS_GRANT');
      expect((await admin.get(`/v1/service-accounts/${transferBot.id}`)).body).toMatchObject({ name: 'transfer-bot', disabled: false });
    });

    it('lets a caller holding PERMISSIONS_GRANT act on it', async () => {
      const minted = await steward.post(`/v1/service-accounts/${transferBot.id}/access-tokens`, { resource: 'bank' });
      expect(minted.status).toBe(201);
      expect(decodeJwt(minted.body.accessToken).permissions).toEqual({ bank: ['transfer'] });
      expect((await steward.post(`/v1/service-accounts/${transferBot.id}/personal-access-tokens`, {})).status).toBe(201);
      expect((await steward.patch(`/v1/service-accounts/${transferBot.id}`, { description: 'moves money' })).status).toBe(200);
    });
  });

  describe('OIDC clients that get tokens for a customer resource (separation of duties)', () => {
    let appId: string;
    let asAppEditor: ReturnType<typeof api>;
    let asAppSteward: ReturnType<typeof api>;
    let payments: { id: string; clientId: string; clientSecret: string };

    beforeAll(async () => {
      expect((await admin.post('/v1/resources', { key: 'vault', permissions: ['open'] })).status).toBe(201);
      const app = await admin.post('/v1/applications', { name: 'Vault app' });
      appId = app.body.id;
      asAppEditor = await as(await createAccount('app-editor', [builtIn('APPLICATIONS_EDIT', 'APPLICATIONS_READ')]));
      asAppSteward = await as(await createAccount('app-steward', [builtIn('APPLICATIONS_EDIT', 'APPLICATIONS_READ', 'PERMISSIONS_GRANT')]));
      payments = (await admin.post(`/v1/applications/${appId}/clients`, { name: 'payments', resources: [{ resource: 'vault' }] })).body;
    });

    /** A client-credentials token for the resource, the client authenticating with HTTP Basic (its default). */
    const tokenFor = (credentials: Credentials, resource: string) => requestToken(runtime.url, credentials, { resource });

    it('refuses an application editor without PERMISSIONS_GRANT naming a customer resource in a client, on create and on update', async () => {
      const created = await asAppEditor.post(`/v1/applications/${appId}/clients`, { name: 'mine', resources: [{ resource: 'vault' }] });
      expectRefused(created, 'PERMISSIONS_GRANT');
      expect(created.body.detail).toContain('"vault"');
      expect((await admin.get(`/v1/applications/${appId}/clients`)).body.items.map((client: { name: string }) => client.name)).not.toContain('mine');

      const plain = await asAppEditor.post(`/v1/applications/${appId}/clients`, { name: 'plain' });
      expect(plain.status).toBe(201);
      expectRefused(await asAppEditor.patch(`/v1/applications/${appId}/clients/${plain.body.id}`, { resources: [{ resource: 'vault' }] }), 'PERMISSIONS_GRANT');
      expect((await tokenFor(plain.body, 'vault')).status).toBe(400);
    });

    it('refuses it changing or rotating the secret of a client that gets tokens for one, which keeps its settings and secret', async () => {
      expectRefused(await asAppEditor.post(`/v1/applications/${appId}/clients/${payments.id}/secret`, {}), 'PERMISSIONS_GRANT');
      expectRefused(await asAppEditor.patch(`/v1/applications/${appId}/clients/${payments.id}`, { name: 'renamed' }), 'PERMISSIONS_GRANT');
      expectRefused(await asAppEditor.patch(`/v1/applications/${appId}/clients/${payments.id}`, { resources: [] }), 'PERMISSIONS_GRANT');
      expect((await admin.get(`/v1/applications/${appId}/clients/${payments.id}`)).body).toMatchObject({ name: 'payments', resources: [{ resource: 'vault' }] });
      expect((await tokenFor(payments, 'vault')).status).toBe(200);
    });

    it('lets a caller holding PERMISSIONS_GRANT name one and act on such a client', async () => {
      const created = await asAppSteward.post(`/v1/applications/${appId}/clients`, { name: 'stewarded', resources: [{ resource: 'vault' }] });
      expect(created.status).toBe(201);
      const token = await tokenFor(created.body, 'vault');
      expect(token.status).toBe(200);
      expect(decodeJwt(token.body.access_token as string).aud).toBe((await admin.get('/v1/resources/vault')).body.audience);
      expect((await asAppSteward.patch(`/v1/applications/${appId}/clients/${created.body.id}`, { description: 'opens the vault' })).status).toBe(200);
      expect((await asAppSteward.post(`/v1/applications/${appId}/clients/${created.body.id}/secret`, {})).status).toBe(200);
    });
  });

  it('gives the bootstrap administrator every built-in permission, PERMISSIONS_GRANT included', async () => {
    const resource = await admin.get('/v1/resources/latchkey');
    expect(resource.body.permissions).toContain('PERMISSIONS_GRANT');
    const adminId = runtime.devAdmin.clientId.split('@')[0];
    const own = await admin.get(`/v1/service-accounts/${adminId}/permissions`);
    expect(own.body.grants).toEqual([{ resource: 'latchkey', permissions: resource.body.permissions }]);
  });
});
