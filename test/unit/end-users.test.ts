import { describe, expect, it } from 'vitest';
import { findOrCreateEndUser, type EndUser, type EndUserStore, type Profile } from '../../src/domain/end-users';
import type { Page } from '../../src/domain/model';

/**
 * End users created on first use and found again, with an in-memory store that behaves like the table (conditional puts on deterministic keys)
 * and yields between every call, so concurrent first calls really interleave.
 */
class MemoryEndUsers implements EndUserStore {
  readonly items = new Map<string, unknown>();
  writes = 0;
  private readonly tick = () => new Promise((resolve) => setImmediate(resolve));
  private profileKey = (userId: string, upi?: string) => `PROFILE#${userId}#${upi === undefined ? 'DEFAULT' : `ID#${upi}`}`;

  private async putIfAbsent<T>(key: string, value: T): Promise<T> {
    await this.tick();
    if (this.items.has(key)) return this.items.get(key) as T;
    this.writes++;
    this.items.set(key, value);
    return value;
  }

  async findSubject(_env: string, connection: string, subject: string) {
    await this.tick();
    return this.items.get(`SUBJECT#${connection}#${subject}`) as string | undefined;
  }
  claimSubject(_env: string, connection: string, subject: string, userId: string) {
    return this.putIfAbsent(`SUBJECT#${connection}#${subject}`, userId);
  }
  async getUserAndProfile(_env: string, userId: string, upi?: string) {
    await this.tick();
    return { user: this.items.get(`USER#${userId}`) as EndUser | undefined, profile: this.items.get(this.profileKey(userId, upi)) as Profile | undefined };
  }
  createUserIfAbsent(user: EndUser) {
    return this.putIfAbsent(`USER#${user.id}`, user);
  }
  async updateUser(_env: string, userId: string, changes: Partial<EndUser>) {
    await this.tick();
    const user = { ...(this.items.get(`USER#${userId}`) as EndUser), ...changes };
    this.items.set(`USER#${userId}`, user);
    return user;
  }
  createProfileIfAbsent(profile: Profile) {
    return this.putIfAbsent(this.profileKey(profile.userId, profile.uniqueProfileIdentifier), profile);
  }
  async getUser(_env: string, userId: string) {
    return this.items.get(`USER#${userId}`) as EndUser | undefined;
  }
  async listUsers(): Promise<Page<EndUser>> {
    return { items: [...this.items.entries()].filter(([key]) => key.startsWith('USER#')).map(([, user]) => user as EndUser) };
  }
  async listProfiles(_env: string, userId: string) {
    return [...this.items.entries()].filter(([key]) => key.startsWith(`PROFILE#${userId}#`)).map(([, profile]) => profile as Profile);
  }
}

const subject = { tenantId: 'ten_a', environmentId: 'env_a', idpConnectionId: 'idp_a', subjectId: 'ext-1' };

describe('findOrCreateEndUser', () => {
  it('creates a user and its default profile once, and finds them again', async () => {
    const users = new MemoryEndUsers();
    const deps = { users, now: () => 0 };
    const first = await findOrCreateEndUser(deps, { ...subject, email: 'a@example.com' });
    expect(first).toMatchObject({ created: true, user: { subjectId: 'ext-1', email: 'a@example.com' }, profile: { isDefault: true } });
    const writes = users.writes;
    const again = await findOrCreateEndUser(deps, subject);
    expect(again).toMatchObject({ created: false, user: { id: first.user.id, email: 'a@example.com' }, profile: { id: first.profile.id } });
    expect(users.writes).toBe(writes);
  });

  it('creates one user and one profile when first calls race', async () => {
    const users = new MemoryEndUsers();
    const results = await Promise.all(Array.from({ length: 8 }, () => findOrCreateEndUser({ users, now: () => 0 }, { ...subject, uniqueProfileIdentifier: 'tv' })));
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.profile.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await users.listUsers()).items).toHaveLength(1);
    expect(await users.listProfiles('env_a', results[0]!.user.id)).toHaveLength(1);
  });

  it('completes a first call that stopped after claiming the subject', async () => {
    const users = new MemoryEndUsers();
    await users.claimSubject('env_a', 'idp_a', 'ext-1', 'usr_orphan');
    const { user, profile } = await findOrCreateEndUser({ users, now: () => 0 }, subject);
    expect(user.id).toBe('usr_orphan');
    expect(profile.userId).toBe('usr_orphan');
  });

  it('keeps subjects of different connections apart, and records a changed email', async () => {
    const users = new MemoryEndUsers();
    const deps = { users, now: () => 0 };
    const one = await findOrCreateEndUser(deps, subject);
    const other = await findOrCreateEndUser(deps, { ...subject, idpConnectionId: 'idp_b' });
    expect(other.user.id).not.toBe(one.user.id);
    const changed = await findOrCreateEndUser(deps, { ...subject, email: 'new@example.com' });
    expect(changed.user).toMatchObject({ id: one.user.id, email: 'new@example.com' });
  });

  it('keeps the provider’s word on the email, and no longer calls a changed email verified unless it says so', async () => {
    const deps = { users: new MemoryEndUsers(), now: () => 0 };
    const first = await findOrCreateEndUser(deps, { ...subject, email: 'a@example.com', emailVerified: true });
    expect(first.user.emailVerified).toBe(true);
    expect((await findOrCreateEndUser(deps, subject)).user.emailVerified).toBe(true);
    expect((await findOrCreateEndUser(deps, { ...subject, email: 'b@example.com' })).user).toMatchObject({ email: 'b@example.com', emailVerified: false });
    const delegated = await findOrCreateEndUser(deps, { ...subject, subjectId: 'ext-2', email: 'c@example.com' });
    expect(delegated.user.emailVerified).toBeUndefined();
  });
});
