import { createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/domain/caller';
import { authenticateClient } from '../../src/domain/clients/authentication';
import type { StoredClient, StoredOidcClient } from '../../src/domain/clients/model';
import { createOidcClient, getOidcClient, rotateOidcClientSecret, updateOidcClient } from '../../src/domain/clients/oidc-clients';
import type { ClientRegistryDeps } from '../../src/domain/clients/registry';
import { CLIENT_DEFAULTS, resolveSettings } from '../../src/domain/clients/settings';
import { issueClientCredentialsToken } from '../../src/domain/clients/tokens';
import { ConcurrentUpdate, InvalidClient, InvalidRequest, InvalidScope, InvalidTarget, NotAuthorized, NotFound, UnauthorizedClient } from '../../src/domain/errors';
import { newId } from '../../src/domain/ids';
import type { Environment, Resource } from '../../src/domain/model';
import type { ClientStore, EnvironmentStore, OpaqueTokenStore, ResourceStore, SecretHasher, TokenSigner } from '../../src/domain/ports';
import { MemoryStore } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';

/**
 * The client registry's domain with in-memory stores, no emulator: how settings are merged and
 * checked, how a client authenticates at the token endpoint, and what its client-credentials
 * tokens hold. The HTTP behaviour is in test/integration/oidc-clients.test.ts.
 */

const T0 = Date.UTC(2026, 0, 1);

class MemoryClients implements ClientStore {
  readonly records = new Map<string, StoredClient>();
  async createClient(client: StoredClient) {
    this.records.set(client.id, { ...client, version: 1 } as StoredClient);
  }
  async getClient(_environmentId: string, id: string) {
    const client = this.records.get(id);
    return client && client.environmentId === _environmentId ? client : undefined;
  }
  async listClients(environmentId: string, applicationId: string, protocol: StoredClient['protocol']) {
    return [...this.records.values()].filter((c) => c.environmentId === environmentId && c.applicationId === applicationId && c.protocol === protocol);
  }
  async updateClient(environmentId: string, id: string, changes: Readonly<Record<string, unknown>>, versioned?: { readonly expectedVersion: number | undefined }) {
    const current = await this.getClient(environmentId, id);
    if (!current) return undefined;
    const version = (current as StoredOidcClient).version;
    if (versioned && version !== versioned.expectedVersion) throw new ConcurrentUpdate('the client');
    const next: Record<string, unknown> = { ...current, version: (version ?? 0) + 1 };
    for (const [field, value] of Object.entries(changes)) {
      if (value === null) delete next[field];
      else next[field] = value;
    }
    this.records.set(id, next as unknown as StoredClient);
    return next as unknown as StoredClient;
  }
  async deleteClient(_environmentId: string, id: string) {
    return this.records.delete(id);
  }
  async recordAssertionId() {
    return true;
  }
  readonly entityIds = new Map<string, string>();
  async claimSamlEntityId(environmentId: string, spEntityId: string, clientRef: string, replacing?: string) {
    const holder = this.entityIds.get(`${environmentId} ${spEntityId}`);
    if (holder !== undefined && holder !== clientRef && holder !== replacing) return false;
    this.entityIds.set(`${environmentId} ${spEntityId}`, clientRef);
    return true;
  }
  async samlEntityIdHolder(environmentId: string, spEntityId: string) {
    return this.entityIds.get(`${environmentId} ${spEntityId}`);
  }
  async releaseSamlEntityId(environmentId: string, spEntityId: string, clientRef: string) {
    if (this.entityIds.get(`${environmentId} ${spEntityId}`) === clientRef) this.entityIds.delete(`${environmentId} ${spEntityId}`);
  }
}

const hasher: SecretHasher = { hash: async (secret) => createHmac('sha256', 'test pepper').update(secret).digest('base64url') };

function resource(key: string, overrides: Partial<Resource> = {}): Resource {
  return { key, name: key, audience: `https://${key}.example.com`, permissions: [], builtIn: false, ...overrides };
}

describe('the client registry with in-memory stores', () => {
  const environment: Environment = {
    id: newId('env'),
    tenantId: newId('ten'),
    tenantName: 'Acme',
    name: 'prod',
    serviceAccountTokenTtlSeconds: 3600,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
  };
  const applicationId = newId('app');
  let now: number;
  let clients: MemoryClients;
  let resources: Resource[];
  let applicationExists: boolean;
  let deps: ClientRegistryDeps & { environments: EnvironmentStore; remoteJwks: never; replay: MemoryClients; signer: TokenSigner; opaqueTokens: OpaqueTokenStore };
  const owner: Caller = {
    tenantId: environment.tenantId,
    environmentId: environment.id,
    accountId: newId('sa'),
    // PERMISSIONS_GRANT too: naming customer resources in a client's resources needs it.
    permissions: { latchkey: ['APPLICATIONS_EDIT', 'APPLICATIONS_READ', 'PERMISSIONS_GRANT'] },
  };

  beforeEach(() => {
    now = T0;
    clients = new MemoryClients();
    resources = [resource('orders', { accessTokenTtlSeconds: 600 }), resource('billing')];
    applicationExists = true;
    const resourceStore: Pick<ResourceStore, 'getResources'> = {
      getResources: async (environmentId, keys) => (environmentId === environment.id ? resources.filter((r) => keys.includes(r.key)) : []),
    };
    deps = {
      clients,
      replay: clients,
      resources: resourceStore as ResourceStore,
      applications: { getApplication: async (environmentId, id) => (applicationExists && environmentId === environment.id && id === applicationId ? { id } : undefined) },
      environments: { getEnvironment: async (id: string) => (id === environment.id ? environment : undefined) } as EnvironmentStore,
      hasher,
      now: () => now,
      issuer: 'https://id.example.com',
      remoteJwks: undefined as never,
      // A signer that only encodes: the claims are what these tests look at.
      signer: { sign: async (claims) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig` },
      opaqueTokens: new MemoryTokenStore(new MemoryStore()),
    };
  });

  const create = (input: Record<string, unknown> = {}) => createOidcClient(deps, owner, applicationId, { name: 'Storefront', ...input });

  describe('settings', () => {
    it('fills every setting the owner leaves out with the documented default', async () => {
      const settings = await resolveSettings(deps, environment.id, undefined, { name: 'Minimal' });
      expect(settings).toEqual({ ...CLIENT_DEFAULTS, name: 'Minimal' });
    });

    it('merges a change into the current settings: omitted fields stay, null clears, unknown fields are ignored', async () => {
      const current = await resolveSettings(deps, environment.id, undefined, { name: 'App', description: 'first', scopes: ['read'] });
      const changed = await resolveSettings(deps, environment.id, current, { description: null, accessTokenTtlSeconds: 120, id: 'cl_forged' } as never);
      expect(changed).toMatchObject({ name: 'App', scopes: ['read'], accessTokenTtlSeconds: 120 });
      expect(changed).not.toHaveProperty('description');
      expect(changed).not.toHaveProperty('id');
    });

    it('reports every problem at once, each under its field', async () => {
      const refused = resolveSettings(deps, environment.id, undefined, {
        name: ' ',
        redirectUris: ['http://app.example.com/cb', 'https://app.example.com/cb', 'https://app.example.com/cb'],
        refreshTokenTtlSeconds: 7200,
        maxRefreshSeconds: 3600,
        idTokenClaims: ['password'],
        scopes: ['has space'],
        resources: [{ resource: 'latchkey' }, { resource: 'nowhere' }, { resource: 'orders' }, { resource: 'orders' }],
      });
      await expect(refused).rejects.toBeInstanceOf(InvalidRequest);
      const fields = ((await refused.catch((error: InvalidRequest) => error)) as InvalidRequest & { fields: { path: string }[] }).fields.map((f) => f.path);
      expect(fields).toEqual([
        'name',
        'redirectUris.0',
        'redirectUris.2',
        'maxRefreshSeconds',
        'idTokenClaims.0',
        'scopes.0',
        'resources.0.resource',
        'resources.1.resource',
        'resources.3.resource',
      ]);
    });

    it("drops the old method's settings when only the method changes, and refuses them sent with another method", async () => {
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] };
      const keyed = await resolveSettings(deps, environment.id, undefined, { name: 'Keyed', authMethod: 'private_key_jwt', jwks });
      expect(keyed.jwks).toEqual(jwks);
      const switched = await resolveSettings(deps, environment.id, keyed, { authMethod: 'client_secret_post' });
      expect(switched).not.toHaveProperty('jwks');
      await expect(resolveSettings(deps, environment.id, undefined, { name: 'Wrong', jwks })).rejects.toMatchObject({
        fields: [{ path: 'jwks', message: 'is used only with authMethod private_key_jwt' }],
      });
    });

    it('refuses private or symmetric key material in a registered JWKS', async () => {
      const refused = resolveSettings(deps, environment.id, undefined, { name: 'Leaky', authMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } });
      await expect(refused).rejects.toMatchObject({ fields: [{ path: 'jwks.keys.0', message: expect.stringContaining('private or symmetric key material (k)') }] });
    });
  });

  describe('client management', () => {
    it('shows the secret once and stores only its keyed hash', async () => {
      const created = await create();
      expect(created.clientSecret).toEqual(expect.any(String));
      const stored = clients.records.get(created.id) as StoredOidcClient;
      expect(JSON.stringify(stored)).not.toContain(created.clientSecret);
      expect(stored.secret.current).toBe(await hasher.hash(created.clientSecret));
      expect(await getOidcClient(deps, owner, applicationId, created.clientId)).not.toHaveProperty('secret');
    });

    it('refuses a caller without APPLICATIONS_EDIT and an application that does not exist, writing nothing', async () => {
      const reader: Caller = { ...owner, permissions: { latchkey: ['APPLICATIONS_READ'] } };
      await expect(createOidcClient(deps, reader, applicationId, { name: 'x' })).rejects.toBeInstanceOf(NotAuthorized);
      applicationExists = false;
      await expect(create()).rejects.toBeInstanceOf(NotFound);
      expect(clients.records.size).toBe(0);
    });

    it('refuses a caller without PERMISSIONS_GRANT naming a customer resource, or changing or rotating a client that names one, writing nothing', async () => {
      const editor: Caller = { ...owner, permissions: { latchkey: ['APPLICATIONS_EDIT', 'APPLICATIONS_READ'] } };
      await expect(createOidcClient(deps, editor, applicationId, { name: 'x', resources: [{ resource: 'orders' }] })).rejects.toThrow(/naming them needs PERMISSIONS_GRANT/);
      expect(clients.records.size).toBe(0);
      const plain = await createOidcClient(deps, editor, applicationId, { name: 'plain' });
      await expect(updateOidcClient(deps, editor, applicationId, plain.id, { resources: [{ resource: 'orders' }] })).rejects.toBeInstanceOf(NotAuthorized);
      const named = await create({ resources: [{ resource: 'orders' }] });
      const before = clients.records.get(named.id);
      await expect(updateOidcClient(deps, editor, applicationId, named.id, { resources: [] })).rejects.toThrow(/this client gets tokens for "orders"/);
      await expect(rotateOidcClientSecret(deps, editor, applicationId, named.id, {})).rejects.toBeInstanceOf(NotAuthorized);
      expect(clients.records.get(named.id)).toEqual(before);
      expect((await updateOidcClient(deps, owner, applicationId, named.id, { name: 'renamed' })).name).toBe('renamed');
    });

    it('does not find a client through another application or another environment', async () => {
      const created = await create();
      await expect(getOidcClient(deps, owner, newId('app'), created.id)).rejects.toBeInstanceOf(NotFound);
      const stranger: Caller = { ...owner, environmentId: newId('env') };
      await expect(getOidcClient(deps, stranger, applicationId, created.clientId)).rejects.toBeInstanceOf(NotFound);
      await expect(updateOidcClient(deps, stranger, applicationId, created.id, { name: 'taken over' })).rejects.toBeInstanceOf(NotFound);
    });
  });

  describe('authentication at the token endpoint', () => {
    it('accepts the current secret and refuses a wrong one, or the right one by another method', async () => {
      const { clientId, clientSecret } = await create();
      expect((await authenticateClient(deps, { method: 'client_secret_basic', clientId, clientSecret })).client.clientId).toBe(clientId);
      await expect(authenticateClient(deps, { method: 'client_secret_basic', clientId, clientSecret: `${clientSecret}x` })).rejects.toBeInstanceOf(InvalidClient);
      await expect(authenticateClient(deps, { method: 'client_secret_post', clientId, clientSecret })).rejects.toMatchObject({
        code: 'invalid_client',
        message: 'the client is registered for the client_secret_basic authentication method',
        internalDetail: expect.stringContaining('authenticates with client_secret_basic, not client_secret_post'),
      });
    });

    it('keeps the old secret during the grace period of a rotation, and not after', async () => {
      const { clientId, clientSecret: old } = await create();
      const { clientSecret: fresh } = await rotateOidcClientSecret(deps, owner, applicationId, clientId, { gracePeriodSeconds: 300 });
      const withSecret = (clientSecret: string) => authenticateClient(deps, { method: 'client_secret_basic', clientId, clientSecret });
      await expect(withSecret(old)).resolves.toBeDefined();
      await expect(withSecret(fresh)).resolves.toBeDefined();
      now += 301_000;
      await expect(withSecret(old)).rejects.toBeInstanceOf(InvalidClient);
      await expect(withSecret(fresh)).resolves.toBeDefined();
    });

    it('refuses every client of an application that was deleted, and IDs that are not registry clients', async () => {
      const { clientId, clientSecret } = await create();
      applicationExists = false;
      await expect(authenticateClient(deps, { method: 'client_secret_basic', clientId, clientSecret })).rejects.toMatchObject({
        code: 'invalid_client',
        internalDetail: expect.stringContaining('no longer exists'),
      });
      await expect(authenticateClient(deps, { method: 'client_secret_basic', clientId: `${newId('sa')}@${environment.id}`, clientSecret })).rejects.toBeInstanceOf(InvalidClient);
    });

    it('authenticates a PKCE public client by its client_id alone, as public', async () => {
      const { clientId } = await create({ pkce: 'enforce_instead_of_secret' });
      const authenticated = await authenticateClient(deps, { method: 'self_signed_tls_client_auth', clientId });
      expect(authenticated.publicClient).toBe(true);
    });
  });

  describe('client credentials tokens', () => {
    const secretOf = async (input: Record<string, unknown> = {}) => {
      const { clientId, clientSecret } = await create(input);
      return { method: 'client_secret_basic' as const, clientId, clientSecret };
    };

    it('without a resource: the client itself is the audience, with no permissions', async () => {
      const presented = await secretOf({ accessTokenTtlSeconds: 900 });
      const token = await issueClientCredentialsToken(deps, presented, {});
      expect(token.expiresInSeconds).toBe(900);
      expect(decodeJwt(token.accessToken)).toMatchObject({ aud: presented.clientId, sub: expect.stringMatching(/^cl_/), subjectType: 'Client', exp: T0 / 1000 + 900 });
      expect(token.claims).not.toHaveProperty('permissions');
    });

    it("for an allowed resource: its audience, and the shorter of the client's and the resource's lifetimes", async () => {
      const presented = await secretOf({ accessTokenTtlSeconds: 900, resources: [{ resource: 'orders' }, { resource: 'billing', accessTokenTtlSeconds: 120 }] });
      const orders = await issueClientCredentialsToken(deps, presented, { resources: ['https://orders.example.com'] });
      expect([orders.claims.aud, orders.expiresInSeconds]).toEqual(['https://orders.example.com', 600]);
      const billing = await issueClientCredentialsToken(deps, presented, { resources: ['billing'] });
      expect([billing.claims.aud, billing.expiresInSeconds]).toEqual(['https://billing.example.com', 120]);
    });

    it('refuses a resource the client may not ask for, one deleted since, and two at once', async () => {
      const presented = await secretOf({ resources: [{ resource: 'orders' }] });
      await expect(issueClientCredentialsToken(deps, presented, { resources: ['billing'] })).rejects.toBeInstanceOf(InvalidTarget);
      await expect(issueClientCredentialsToken(deps, presented, { resources: ['orders', 'orders'] })).rejects.toThrow(/one resource per token request/);
      resources = resources.filter((r) => r.key !== 'orders');
      await expect(issueClientCredentialsToken(deps, presented, { resources: ['orders'] })).rejects.toBeInstanceOf(InvalidTarget);
    });

    it('grants only registered scopes', async () => {
      const presented = await secretOf({ scopes: ['orders:read'] });
      expect((await issueClientCredentialsToken(deps, presented, { scope: 'orders:read orders:read' })).scope).toBe('orders:read');
      await expect(issueClientCredentialsToken(deps, presented, { scope: 'orders:read orders:write' })).rejects.toBeInstanceOf(InvalidScope);
    });

    it('refuses client credentials to a client that obtains user tokens only', async () => {
      const { clientId, clientSecret } = await create({ pkce: 'enforce_instead_of_secret' });
      await expect(issueClientCredentialsToken(deps, { method: 'client_secret_basic', clientId, clientSecret }, {})).rejects.toBeInstanceOf(UnauthorizedClient);
    });
  });
});
