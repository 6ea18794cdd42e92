import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment, Page, Resource, StoredServiceAccount, Tenant } from '../../domain/model';
import type { Store, TokenContext } from '../../domain/ports';
import { Conflict } from '../../domain/errors';
import { keys, SK_PREFIX, toRecord, environmentPartition } from './items';
import { readThrough, RecordIo } from './record-io';
import { updateExisting } from './update';

/**
 * The DynamoDB implementation of the domain's core stores: tenants, environments, resources and
 * service accounts. Writes that create a record are conditional on the key being free, updates on
 * the record existing at the version the domain read (optimistic concurrency); reads that gate
 * authentication are strongly consistent, so a reset secret or a disabled account stops working at once.
 *
 * A resource's audience is claimed with a uniqueness record (`AUDIENCE#{aud}`) before the resource
 * is written; there are no transactions (dynalite has none), so the steps are ordered so that a
 * failure leaves at most a claim without its resource, never a resource without its claim: a failed
 * creation releases the claim, a deletion removes the resource first and then the claim, and a claim
 * whose resource is gone is taken over once it is older than any function can run. Both survive a
 * write whose answer was lost (see `RecordIo.putNewOnce`): a create's retry finds its own claim and
 * resource, a delete's finds the resource it read gone.
 */

/** Longer than any Latchkey function may run: a claim this old without its resource was left behind. */
const ABANDONED_CLAIM_MS = 15 * 60 * 1000;

interface AudienceClaim {
  readonly audience: string;
  readonly environmentId: string;
  readonly resourceKey: string;
  readonly incarnation: string;
  readonly claimedAt: number;
}
export class DynamoDbStore implements Store {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  // ---- tenants and environments ----

  async createTenant(tenant: Tenant): Promise<Tenant> {
    // An existing tenant of that ID is kept as it is: bootstrap may add an environment to it.
    if (await this.io.putIfAbsent(keys.tenant(tenant.id), 'tenant', tenant)) return tenant;
    return (await this.io.get<Tenant>(keys.tenant(tenant.id)))!;
  }

  createEnvironment(environment: Environment): Promise<void> {
    return this.io.putNew(keys.environment(environment.id), 'environment', environment);
  }

  getEnvironment(environmentId: string): Promise<Environment | undefined> {
    return this.io.get<Environment>(keys.environment(environmentId));
  }

  async updateEnvironment(environmentId: string, expectedVersion: number | undefined, changes: Partial<Environment>): Promise<Environment | undefined> {
    const versioned = { expected: expectedVersion, what: 'the environment' };
    return toRecord<Environment>(await updateExisting(this.client, this.tableName, keys.environment(environmentId), changes, versioned));
  }

  // ---- resources ----

  listResources(environmentId: string): Promise<Resource[]> {
    return this.io.all<Resource>(environmentPartition(environmentId), SK_PREFIX.resource);
  }

  async getResources(environmentId: string, resourceKeys: readonly string[]): Promise<Resource[]> {
    const items = await this.io.batchGet([...new Set(resourceKeys)].map((key) => keys.resource(environmentId, key)));
    return items.map((item) => toRecord<Resource>(item)!);
  }

  async createResource(environmentId: string, resource: Resource): Promise<void> {
    if (resource.incarnation === undefined) throw new TypeError('a new resource needs an incarnation');
    const claimKey = keys.audience(resource.audience);
    const claim: AudienceClaim = {
      audience: resource.audience,
      environmentId,
      resourceKey: resource.key,
      incarnation: resource.incarnation,
      claimedAt: Date.now(),
    };
    // Both items carry the new incarnation, so a retried write that finds its own item has succeeded.
    if (!(await this.io.putIfAbsentOnce(claimKey, 'audience-claim', claim)) && !(await this.takeOverAbandoned(claim))) {
      throw new Conflict(`audience "${resource.audience}" is already used by another resource; choose another`);
    }
    try {
      await this.io.putNewOnce(keys.resource(environmentId, resource.key), 'resource', resource, `resource "${resource.key}" already exists`);
    } catch (error) {
      await this.io.deleteIf(claimKey, 'incarnation', resource.incarnation);
      throw error;
    }
  }

  async updateResource(environmentId: string, key: string, expectedVersion: number | undefined, changes: Partial<Resource>): Promise<Resource | undefined> {
    const versioned = { expected: expectedVersion, what: `resource "${key}"` };
    return toRecord<Resource>(await updateExisting(this.client, this.tableName, keys.resource(environmentId, key), changes, versioned));
  }

  async deleteResource(environmentId: string, key: string): Promise<boolean> {
    const resource = await this.io.get<Resource>(keys.resource(environmentId, key));
    if (!resource) return false;
    if (resource.incarnation === undefined) return this.io.deleteExisting(keys.resource(environmentId, key));
    // The incarnation read, and only it: nothing there now means this call's own delete whose answer
    // was lost (the SDK retried it) or a concurrent delete; either way it is gone, and its claim goes.
    await this.io.deleteIf(keys.resource(environmentId, key), 'incarnation', resource.incarnation);
    await this.io.deleteIf(keys.audience(resource.audience), 'incarnation', resource.incarnation);
    return true;
  }

  /** A claim left by a creation or deletion that stopped half way: old, and its resource is not there as claimed. */
  private async takeOverAbandoned(claim: AudienceClaim): Promise<boolean> {
    const held = await this.io.get<AudienceClaim>(keys.audience(claim.audience));
    if (!held || claim.claimedAt - held.claimedAt < ABANDONED_CLAIM_MS) return false;
    const owner = await this.io.get<Resource>(keys.resource(held.environmentId, held.resourceKey));
    if (owner && owner.incarnation === held.incarnation) return false;
    return this.io.replaceIf(keys.audience(claim.audience), 'audience-claim', claim, 'incarnation', held.incarnation);
  }

  // ---- service accounts ----

  createServiceAccount(account: StoredServiceAccount): Promise<void> {
    return this.io.putNewOnce(keys.serviceAccount(account.environmentId, account.id), 'service-account', account);
  }

  getServiceAccount(environmentId: string, id: string): Promise<StoredServiceAccount | undefined> {
    return this.io.get<StoredServiceAccount>(keys.serviceAccount(environmentId, id));
  }

  listServiceAccounts(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredServiceAccount>> {
    return this.io.page<StoredServiceAccount>(environmentPartition(environmentId), SK_PREFIX.serviceAccount, limit, cursor);
  }

  async updateServiceAccount(
    environmentId: string,
    id: string,
    expectedVersion: number | undefined,
    changes: Partial<StoredServiceAccount>,
  ): Promise<StoredServiceAccount | undefined> {
    const versioned = { expected: expectedVersion, what: `service account "${id}"` };
    return toRecord<StoredServiceAccount>(await updateExisting(this.client, this.tableName, keys.serviceAccount(environmentId, id), changes, versioned));
  }

  async deleteServiceAccount(environmentId: string, id: string, expectedVersion: number | undefined): Promise<boolean> {
    const deleted = await this.io.deleteVersioned(keys.serviceAccount(environmentId, id), expectedVersion, `service account "${id}"`);
    // Its keys go with it, also on the retry of a delete whose answer was lost (then `deleted` is false).
    const accountKeys = await this.io.all<{ id: string }>(environmentPartition(environmentId), SK_PREFIX.serviceAccountKeysOf(id));
    await Promise.all(accountKeys.map((key) => this.io.deleteExisting(keys.serviceAccountKey(environmentId, id, key.id))));
    return deleted;
  }

  async markFailedAuthentication(environmentId: string, accountId: string, atSeconds: number): Promise<void> {
    await updateExisting(this.client, this.tableName, keys.serviceAccount(environmentId, accountId), { lastFailedAuthenticationAt: atSeconds });
  }

  async loadTokenContext(environmentId: string, accountId: string, resourceKeys: readonly string[]): Promise<TokenContext> {
    const items = await this.io.batchGet([
      keys.environment(environmentId),
      keys.serviceAccount(environmentId, accountId),
      ...[...new Set(resourceKeys)].map((key) => keys.resource(environmentId, key)),
    ]);
    const bySk = new Map(items.map((item) => [String(item.sk), item]));
    return {
      environment: toRecord<Environment>(bySk.get('ENVIRONMENT')),
      account: toRecord<StoredServiceAccount>(bySk.get(`${SK_PREFIX.serviceAccount}${accountId}`)),
      resources: items.filter((item) => String(item.sk).startsWith(SK_PREFIX.resource)).map((item) => toRecord<Resource>(item)!),
    };
  }
}

/**
 * A plain DynamoDB client for requests made on every token (attribute values written out): the SDK
 * resolves each command's middleware once per container (`cacheMiddleware`, which the document
 * client refuses), and without the unused logger middleware (see `documentClient`).
 */
export function hotPathClient(config: DynamoDBClientConfig): DynamoDBClient {
  const client = new DynamoDBClient({ ...config, cacheMiddleware: true });
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * The document client of the stores. Their reads go through `reader` (a `hotPathClient` on the token
 * path; by default the plain client the document client wraps), their writes through the document client.
 */
export function documentClient(client: DynamoDBClient, reader: DynamoDBClient = client): DynamoDBDocumentClient {
  // No SDK logger is configured, yet its middleware copies every input and answer (sensitive fields
  // masked) for it on each request: work on every item read, for nothing.
  client.middlewareStack.remove('loggerMiddleware');
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  readThrough(document, reader);
  return document;
}
