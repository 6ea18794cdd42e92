import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredApplication } from '../../domain/applications';
import type { DelegationRead, DelegationReads } from '../../domain/delegated-tokens';
import type { EndUser, Profile } from '../../domain/end-users';
import { fromItem, type StoredConnection } from './idp-connection-store';
import { keys, toRecord, type Key } from './items';
import { RecordIo } from './record-io';

/** How many subjects a container remembers the user of; past it, it starts over. */
const REMEMBERED_SUBJECTS = 10_000;

/**
 * What a delegated token reads, in one strongly consistent `BatchGetItem` for a subject this container
 * has seen: the environment's delegated connection, the application, the subject's claim, its user
 * and its profile. The claim's key needs the connection's ID and the user's and profile's keys the
 * user's ID, which only those records tell; so the container remembers both as guesses, and reads
 * the records they name in the same batch as the records that confirm them. A guess is used only
 * when the batch confirms it (the connection read has that ID, the claim read names that user); a
 * wrong or missing guess costs one more read per missing step, never a stale answer.
 */
export class DynamoDbDelegationReads implements DelegationReads {
  private readonly io: RecordIo;
  private readonly connectionIds = new Map<string, string>();
  private readonly userIds = new Map<string, string>();

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.io = new RecordIo(client, tableName);
  }

  async readDelegation(environmentId: string, applicationId: string, subjectId: string, uniqueProfileIdentifier?: string): Promise<DelegationRead> {
    const connectionKey = keys.idpConnection(environmentId, 'delegated');
    const applicationKey = keys.application(environmentId, applicationId);
    const guessedConnection = this.connectionIds.get(environmentId);
    const subjectOf = (connectionId: string) => `${environmentId} ${connectionId} ${subjectId}`;
    const guessedUser = guessedConnection === undefined ? undefined : this.userIds.get(subjectOf(guessedConnection));
    const claimKey = (connectionId: string) => keys.userSubject(environmentId, connectionId, subjectId);
    const userKeys = (userId: string) => [keys.user(environmentId, userId), keys.profile(environmentId, userId, uniqueProfileIdentifier)] as const;

    const items = await this.io.batchGet([
      connectionKey,
      applicationKey,
      ...(guessedConnection === undefined ? [] : [claimKey(guessedConnection)]),
      ...(guessedUser === undefined ? [] : userKeys(guessedUser)),
    ]);
    const found = (key: Key, among = items) => among.find((item) => item.pk === key.pk && item.sk === key.sk);
    const stored = toRecord<StoredConnection>(found(connectionKey));
    const application = toRecord<StoredApplication>(found(applicationKey));
    const readSoFar = application ? { application } : {};
    if (!stored) {
      this.connectionIds.delete(environmentId);
      return readSoFar;
    }
    const connection = fromItem(stored);
    this.connectionIds.set(environmentId, connection.id);

    const claim =
      connection.id === guessedConnection ? toRecord<{ userId: string }>(found(claimKey(connection.id))) : await this.io.get<{ userId: string }>(claimKey(connection.id));
    if (!claim) return { ...readSoFar, connection };
    if (this.userIds.size >= REMEMBERED_SUBJECTS) this.userIds.clear();
    this.userIds.set(subjectOf(connection.id), claim.userId);

    const [userKey, profileKey] = userKeys(claim.userId);
    const confirmed = connection.id === guessedConnection && claim.userId === guessedUser;
    const records = confirmed ? items : await this.io.batchGet([userKey, profileKey]);
    const user = toRecord<EndUser>(found(userKey, records));
    const profile = toRecord<Profile>(found(profileKey, records));
    return { ...readSoFar, connection, subject: { userId: claim.userId, ...(user ? { user } : {}), ...(profile ? { profile } : {}) } };
  }
}
