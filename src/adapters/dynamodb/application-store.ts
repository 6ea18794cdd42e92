import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApplicationStore, StoredApplication } from '../../domain/applications';
import type { Page } from '../../domain/model';
import { keys, SK_PREFIX, toRecord, environmentPartition } from './items';
import { RecordIo } from './record-io';
import { updateExisting } from './update';

/** Applications, one item each under `APPLICATION#{id}` in their environment's partition. */
export class DynamoDbApplicationStore implements ApplicationStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  createApplication(application: StoredApplication): Promise<void> {
    return this.io.putNewOnce(keys.application(application.environmentId, application.id), 'application', application);
  }

  getApplication(environmentId: string, applicationId: string): Promise<StoredApplication | undefined> {
    return this.io.get<StoredApplication>(keys.application(environmentId, applicationId));
  }

  listApplications(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredApplication>> {
    return this.io.page<StoredApplication>(environmentPartition(environmentId), SK_PREFIX.application, limit, cursor);
  }

  async updateApplication(
    environmentId: string,
    applicationId: string,
    changes: Parameters<ApplicationStore['updateApplication']>[2],
    versioned?: { readonly expectedVersion: number | undefined },
  ): Promise<StoredApplication | undefined> {
    const condition = versioned ? { expected: versioned.expectedVersion, what: `application "${applicationId}"` } : undefined;
    return toRecord<StoredApplication>(await updateExisting(this.client, this.tableName, keys.application(environmentId, applicationId), changes, condition));
  }

  deleteApplication(environmentId: string, applicationId: string): Promise<boolean> {
    return this.io.deleteExisting(keys.application(environmentId, applicationId));
  }
}
