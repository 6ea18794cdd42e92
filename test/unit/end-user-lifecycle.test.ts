import { beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/domain/caller';
import { deleteEndUser, endEndUserSessions, listEndUserSessions, updateEndUser, type EndUserLifecycleDeps } from '../../src/domain/end-user-lifecycle';
import type { EndUser, EndUserLifecycleStore } from '../../src/domain/end-users';
import type { IdpConnection } from '../../src/domain/idp-connections';
import { ConcurrentUpdate, NotAuthorized } from '../../src/domain/errors';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';

/**
 * The end-user lifecycle against in-memory stores: tokens-valid-after only ever moves forward, even
 * past a concurrent writer and within one millisecond; expired sessions are listed as gone and told
 * to no one, yet deleted with the user; nothing is written for a caller without USERS_EDIT.
 */

const ENV = 'env_a';
const START = Date.parse('2026-12-01T10:00:00.250Z');

/** Users by ID; `updateUserAccess` is conditional on the tokens-valid-after read, as in the table. */
class MemoryUsers implements Pick<EndUserLifecycleStore, 'getUser' | 'updateUserAccess' | 'deleteUserRecords'> {
  readonly users = new Map<string, EndUser>();
  /** Runs once before the next conditional write, as a concurrent writer would. */
  interleave?: () => void;

  async getUser(_env: string, id: string) {
    return this.users.get(id);
  }
  async updateUserAccess(_env: string, id: string, expected: string | undefined, changes: Partial<EndUser>) {
    this.interleave?.();
    this.interleave = undefined;
    const user = this.users.get(id);
    if (!user) return undefined;
    if (user.tokensValidAfter !== expected) throw new ConcurrentUpdate(`user "${id}"`);
    const updated = { ...user, ...changes };
    this.users.set(id, updated);
    return updated;
  }
  async deleteUserRecords(user: EndUser) {
    return this.users.delete(user.id);
  }
}

describe('end-user lifecycle', () => {
  let now: number;
  let users: MemoryUsers;
  let authorizations: MemoryAuthorizationStore;
  let told: string[];
  let connections: IdpConnection[];
  let deps: EndUserLifecycleDeps;
  const editor: Caller = { tenantId: 'ten_a', environmentId: ENV, accountId: 'sa_e', permissions: { latchkey: ['USERS_READ', 'USERS_EDIT'] } };
  const client = { id: 'cl_a', clientId: 'cl_a@env_a', protocol: 'oidc', applicationId: 'app_a', environmentId: ENV };

  beforeEach(() => {
    now = START;
    users = new MemoryUsers();
    users.users.set('usr_a', { id: 'usr_a', environmentId: ENV, tenantId: 'ten_a', idpConnectionId: 'idp_a', subjectId: 'alice', createdAt: '', updatedAt: '' });
    authorizations = new MemoryAuthorizationStore();
    told = [];
    connections = [];
    deps = {
      users: users as unknown as EndUserLifecycleStore,
      authorizations,
      clients: { getClient: async (_env, id) => (id === client.id ? (client as never) : undefined) },
      applications: { getApplication: async () => ({ id: 'app_a', logoutUrl: 'https://app.example.com/logout' }) as never },
      connections: { listIdpConnections: async () => connections },
      signer: { sign: async (claims: Record<string, unknown>) => `logout-token-for-${claims.sid}` } as never,
      notifyLogout: async (_url, token) => void told.push(token),
      now: () => now,
      issuer: 'https://id.example.com',
    };
  });

  const session = (id: string, expiresAt: number) =>
    authorizations.putSession({
      id,
      environmentId: ENV,
      secretHash: 'h',
      userId: 'usr_a',
      profileId: 'prf_a',
      subjectId: 'alice',
      authTime: 1,
      clientRefs: [client.id],
      expiresAt,
    });

  it('moves tokensValidAfter forward on every sign-out, past the second of the last one', async () => {
    await endEndUserSessions(deps, editor, 'usr_a');
    expect(users.users.get('usr_a')!.tokensValidAfter).toBe('2026-12-01T10:00:00.250Z');
    // The same millisecond again: a JWT issued just after the first carries its second, so the next one is past it.
    await endEndUserSessions(deps, editor, 'usr_a');
    expect(users.users.get('usr_a')!.tokensValidAfter).toBe('2026-12-01T10:00:01.000Z');
  });

  it('signs out past the second of the user’s IDP connection’s last disabling, whose tokens are dated after it', async () => {
    connections = [{ id: 'idp_a', tokensValidAfter: '2026-12-01T10:00:00.100Z' } as IdpConnection];
    await endEndUserSessions(deps, editor, 'usr_a');
    expect(users.users.get('usr_a')!.tokensValidAfter).toBe('2026-12-01T10:00:01.000Z');
  });

  it('reads again when another writer set a later time meanwhile, and never puts an earlier one back', async () => {
    users.interleave = () => users.users.set('usr_a', { ...users.users.get('usr_a')!, tokensValidAfter: '2026-12-01T10:05:00.000Z' });
    const disabled = await updateEndUser(deps, editor, 'usr_a', { disabled: true });
    expect(disabled).toMatchObject({ disabled: true, tokensValidAfter: '2026-12-01T10:05:01.000Z' });
    const enabled = await updateEndUser(deps, editor, 'usr_a', { disabled: false });
    expect(enabled).toMatchObject({ disabled: false, tokensValidAfter: '2026-12-01T10:05:01.000Z' });
  });

  it('counts an expired session as gone: not listed, no logout sent, but deleted with the user', async () => {
    const nowSeconds = Math.floor(START / 1000);
    await session('ses_live', nowSeconds + 60);
    await session('ses_expired', nowSeconds);
    expect((await listEndUserSessions(deps, editor, 'usr_a')).items.map((listed) => listed.id)).toEqual(['ses_live']);
    await deleteEndUser(deps, editor, 'usr_a');
    expect(told).toEqual(['logout-token-for-ses_live']);
    expect(authorizations.sessions.size).toBe(0);
    expect(users.users.size).toBe(0);
  });

  it('writes nothing for a caller without USERS_EDIT', async () => {
    await session('ses_live', Math.floor(START / 1000) + 60);
    const reader: Caller = { ...editor, permissions: { latchkey: ['USERS_READ'] } };
    for (const attempt of [
      () => updateEndUser(deps, reader, 'usr_a', { disabled: true }),
      () => endEndUserSessions(deps, reader, 'usr_a'),
      () => deleteEndUser(deps, reader, 'usr_a'),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(NotAuthorized);
    }
    expect(users.users.get('usr_a')).not.toHaveProperty('tokensValidAfter');
    expect(authorizations.sessions.size).toBe(1);
    expect(told).toEqual([]);
  });
});
