import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EndUser, EndUserLifecycleStore, Profile } from '../../domain/end-users';
import type { Page } from '../../domain/model';
import { keys, SK_PREFIX, toRecord, environmentPartition } from './items';
import { RecordIo } from './record-io';
import { updateExisting } from './update';

/**
 * End users, the subject claims that find them, and their profiles. dynalite has no transactions,
 * so every first write is a conditional put on a deterministic key, and losing one means reading
 * the record that won (with a strongly consistent read, so it is there to be read).
 */
export class DynamoDbEndUserStore implements EndUserLifecycleStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  async findSubject(environmentId: string, idpConnectionId: string, subjectId: string): Promise<string | undefined> {
    return (await this.io.get<{ userId: string }>(keys.userSubject(environmentId, idpConnectionId, subjectId)))?.userId;
  }

  async claimSubject(environmentId: string, idpConnectionId: string, subjectId: string, userId: string): Promise<string> {
    const key = keys.userSubject(environmentId, idpConnectionId, subjectId);
    if (await this.io.putIfAbsent(key, 'user-subject', { userId, idpConnectionId, subjectId })) return userId;
    const winner = await this.io.get<{ userId: string }>(key);
    if (!winner) throw new Error('a subject claim was refused but cannot be read');
    return winner.userId;
  }

  async getUserAndProfile(environmentId: string, userId: string, uniqueProfileIdentifier?: string): Promise<{ user?: EndUser; profile?: Profile }> {
    const userKey = keys.user(environmentId, userId);
    const profileKey = keys.profile(environmentId, userId, uniqueProfileIdentifier);
    const { Responses } = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: [userKey, profileKey], ConsistentRead: true } } }));
    // Two small keys are never left unprocessed in practice; a leftover simply reads as "absent"
    // and the conditional create that follows then reads the record that is there.
    const items = Responses?.[this.tableName] ?? [];
    return {
      user: toRecord<EndUser>(items.find((item) => item.sk === userKey.sk)),
      profile: toRecord<Profile>(items.find((item) => item.sk === profileKey.sk)),
    };
  }

  async createUserIfAbsent(user: EndUser): Promise<EndUser> {
    const key = keys.user(user.environmentId, user.id);
    if (await this.io.putIfAbsent(key, 'user', user)) return user;
    return (await this.io.get<EndUser>(key))!;
  }

  async updateUser(
    environmentId: string,
    userId: string,
    changes: Partial<Pick<EndUser, 'email' | 'emailVerified' | 'name'>> & { updatedAt: string },
  ): Promise<EndUser | undefined> {
    return toRecord<EndUser>(await updateExisting(this.client, this.tableName, keys.user(environmentId, userId), changes));
  }

  async createProfileIfAbsent(profile: Profile): Promise<Profile> {
    const key = keys.profile(profile.environmentId, profile.userId, profile.uniqueProfileIdentifier);
    if (await this.io.putIfAbsent(key, 'profile', profile)) return profile;
    return (await this.io.get<Profile>(key))!;
  }

  getUser(environmentId: string, userId: string): Promise<EndUser | undefined> {
    return this.io.get<EndUser>(keys.user(environmentId, userId));
  }

  listUsers(environmentId: string, limit: number, cursor?: string): Promise<Page<EndUser>> {
    return this.io.page<EndUser>(environmentPartition(environmentId), SK_PREFIX.user, limit, cursor);
  }

  listProfiles(environmentId: string, userId: string): Promise<Profile[]> {
    return this.io.all<Profile>(environmentPartition(environmentId), SK_PREFIX.profilesOf(userId));
  }

  async updateUserAccess(
    environmentId: string,
    userId: string,
    expectedTokensValidAfter: string | undefined,
    changes: Partial<Pick<EndUser, 'disabled' | 'tokensValidAfter'>> & { updatedAt: string },
  ): Promise<EndUser | undefined> {
    const guarded = { attribute: 'tokensValidAfter', value: expectedTokensValidAfter, what: `user "${userId}"` };
    return toRecord<EndUser>(await updateExisting(this.client, this.tableName, keys.user(environmentId, userId), changes, undefined, guarded));
  }

  async deleteUserRecords(user: EndUser): Promise<boolean> {
    const { environmentId, id } = user;
    // The claim first: from here on the subject's next sign-in makes a new user, never this one.
    await this.io.deleteIf(keys.userSubject(environmentId, user.idpConnectionId, user.subjectId), 'userId', id);
    for (const profile of await this.listProfiles(environmentId, id)) {
      await this.io.deleteExisting(keys.profile(environmentId, id, profile.uniqueProfileIdentifier));
    }
    return this.io.deleteExisting(keys.user(environmentId, id));
  }
}
