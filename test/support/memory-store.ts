import { ConcurrentUpdate, Conflict } from '../../src/domain/errors';
import type { Environment, Page, Resource, StoredServiceAccount, Tenant } from '../../src/domain/model';
import type { SecretHasher, Store, TokenContext } from '../../src/domain/ports';
import { createHash } from 'node:crypto';

/**
 * The domain's stores in memory, for domain tests that need no emulator. It keeps the contract of
 * the DynamoDB store: versioned updates and deletes throw `ConcurrentUpdate` when the version read
 * is no longer current, and audiences are unique across every environment.
 */
export class MemoryStore implements Store {
  readonly tenants = new Map<string, Tenant>();
  readonly environments = new Map<string, Environment>();
  readonly resources = new Map<string, Resource>();
  readonly accounts = new Map<string, StoredServiceAccount>();
  /** Audience → `{environmentId}/{key}` of the resource holding it. */
  readonly audiences = new Map<string, string>();
  /** How many reads `loadTokenContext` made, to check the one-read design in the domain's terms. */
  tokenContextReads = 0;
  /** Runs before each versioned write, e.g. to let a test change the record in between (a race). */
  beforeVersionedWrite: (() => Promise<void>) | undefined;

  async createTenant(tenant: Tenant) {
    if (!this.tenants.has(tenant.id)) this.tenants.set(tenant.id, tenant);
    return this.tenants.get(tenant.id)!;
  }
  async createEnvironment(environment: Environment) {
    if (this.environments.has(environment.id)) throw new Conflict('taken');
    this.environments.set(environment.id, environment);
  }
  async getEnvironment(id: string) {
    return this.environments.get(id);
  }
  async updateEnvironment(id: string, expectedVersion: number | undefined, changes: Partial<Environment>) {
    return this.versioned(this.environments, id, expectedVersion, changes, 'the environment');
  }
  async listResources(environmentId: string) {
    return [...this.resources.entries()].filter(([key]) => key.startsWith(`${environmentId}/`)).map(([, resource]) => resource);
  }
  async getResources(environmentId: string, keys: readonly string[]) {
    return keys.map((key) => this.resources.get(`${environmentId}/${key}`)).filter((resource): resource is Resource => !!resource);
  }
  async createResource(environmentId: string, resource: Resource) {
    if (this.audiences.has(resource.audience)) throw new Conflict(`audience "${resource.audience}" is already used by another resource; choose another`);
    if (this.resources.has(`${environmentId}/${resource.key}`)) throw new Conflict(`resource "${resource.key}" already exists`);
    this.audiences.set(resource.audience, `${environmentId}/${resource.key}`);
    this.resources.set(`${environmentId}/${resource.key}`, resource);
  }
  async updateResource(environmentId: string, key: string, expectedVersion: number | undefined, changes: Partial<Resource>) {
    return this.versioned(this.resources, `${environmentId}/${key}`, expectedVersion, changes, `resource "${key}"`);
  }
  async deleteResource(environmentId: string, key: string) {
    const resource = this.resources.get(`${environmentId}/${key}`);
    if (!resource) return false;
    this.resources.delete(`${environmentId}/${key}`);
    this.audiences.delete(resource.audience);
    return true;
  }
  async createServiceAccount(account: StoredServiceAccount) {
    if (this.accounts.has(`${account.environmentId}/${account.id}`)) throw new Conflict('taken');
    this.accounts.set(`${account.environmentId}/${account.id}`, account);
  }
  async getServiceAccount(environmentId: string, id: string) {
    return this.accounts.get(`${environmentId}/${id}`);
  }
  async listServiceAccounts(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredServiceAccount>> {
    const all = [...this.accounts.values()].filter((account) => account.environmentId === environmentId).sort((a, b) => a.id.localeCompare(b.id));
    const start = cursor ? all.findIndex((account) => account.id === cursor) + 1 : 0;
    const items = all.slice(start, start + limit);
    return { items, ...(start + limit < all.length ? { cursor: items.at(-1)!.id } : {}) };
  }
  async updateServiceAccount(environmentId: string, id: string, expectedVersion: number | undefined, changes: Partial<StoredServiceAccount>) {
    return this.versioned(this.accounts, `${environmentId}/${id}`, expectedVersion, changes, `service account "${id}"`);
  }
  async deleteServiceAccount(environmentId: string, id: string, expectedVersion: number | undefined) {
    await this.beforeVersionedWrite?.();
    const current = this.accounts.get(`${environmentId}/${id}`);
    if (!current) return false;
    if (current.version !== expectedVersion) throw new ConcurrentUpdate(`service account "${id}"`);
    return this.accounts.delete(`${environmentId}/${id}`);
  }
  async markFailedAuthentication(environmentId: string, accountId: string, atSeconds: number) {
    const key = `${environmentId}/${accountId}`;
    const current = this.accounts.get(key);
    if (current) this.accounts.set(key, { ...current, lastFailedAuthenticationAt: atSeconds });
  }
  async loadTokenContext(environmentId: string, accountId: string, keys: readonly string[]): Promise<TokenContext> {
    this.tokenContextReads++;
    return {
      environment: this.environments.get(environmentId),
      account: this.accounts.get(`${environmentId}/${accountId}`),
      resources: await this.getResources(environmentId, keys),
    };
  }

  private async versioned<T extends { readonly version?: number }>(
    records: Map<string, T>,
    key: string,
    expectedVersion: number | undefined,
    changes: Partial<T>,
    what: string,
  ): Promise<T | undefined> {
    await this.beforeVersionedWrite?.();
    const current = records.get(key);
    if (!current) return undefined;
    if (current.version !== expectedVersion) throw new ConcurrentUpdate(what);
    const updated = { ...current, ...defined(changes), version: (expectedVersion ?? 0) + 1 };
    records.set(key, updated);
    return updated;
  }
}

function defined<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A deterministic stand-in for the pepper hasher. */
export const plainHasher: SecretHasher = {
  async hash(secret: string) {
    return createHash('sha256').update(`test-pepper:${secret}`).digest('base64url');
  },
};
