import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment, Page, Resource, StoredServiceAccount, Tenant } from '../../domain/model';
import type { Store, TokenContext } from '../../domain/ports';
import { keys, SK_PREFIX, toRecord } from './items';
import { RecordIo } from './record-io';
import { updateExisting } from './update';

/**
 * The DynamoDB implementation of the domain's core stores: tenants, environments, resources and
 * service accounts. Writes that create a record are conditional on the key being free, updates on
 * the record existing; reads that gate authentication are strongly consistent, so a reset secret or
 * a disabled account stops working at once.
 */
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

  async updateEnvironment(environmentId: string, changes: Partial<Environment>): Promise<Environment | undefined> {
    return toRecord<Environment>(await updateExisting(this.client, this.tableName, keys.environment(environmentId), changes));
  }

  // ---- resources ----

  listResources(environmentId: string): Promise<Resource[]> {
    return this.io.all<Resource>(`ENV#${environmentId}`, SK_PREFIX.resource);
  }

  async getResources(environmentId: string, resourceKeys: readonly string[]): Promise<Resource[]> {
    const items = await this.io.batchGet([...new Set(resourceKeys)].map((key) => keys.resource(environmentId, key)));
    return items.map((item) => toRecord<Resource>(item)!);
  }

  createResource(environmentId: string, resource: Resource): Promise<void> {
    return this.io.putNew(keys.resource(environmentId, resource.key), 'resource', resource, `resource "${resource.key}" already exists`);
  }

  async updateResource(environmentId: string, key: string, changes: Partial<Resource>): Promise<Resource | undefined> {
    return toRecord<Resource>(await updateExisting(this.client, this.tableName, keys.resource(environmentId, key), changes));
  }

  deleteResource(environmentId: string, key: string): Promise<boolean> {
    return this.io.deleteExisting(keys.resource(environmentId, key));
  }

  // ---- service accounts ----

  createServiceAccount(account: StoredServiceAccount): Promise<void> {
    return this.io.putNew(keys.serviceAccount(account.environmentId, account.id), 'service-account', account);
  }

  getServiceAccount(environmentId: string, id: string): Promise<StoredServiceAccount | undefined> {
    return this.io.get<StoredServiceAccount>(keys.serviceAccount(environmentId, id));
  }

  listServiceAccounts(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredServiceAccount>> {
    return this.io.page<StoredServiceAccount>(`ENV#${environmentId}`, SK_PREFIX.serviceAccount, limit, cursor);
  }

  async updateServiceAccount(environmentId: string, id: string, changes: Partial<StoredServiceAccount>): Promise<StoredServiceAccount | undefined> {
    return toRecord<StoredServiceAccount>(await updateExisting(this.client, this.tableName, keys.serviceAccount(environmentId, id), changes));
  }

  deleteServiceAccount(environmentId: string, id: string): Promise<boolean> {
    return this.io.deleteExisting(keys.serviceAccount(environmentId, id));
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

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
