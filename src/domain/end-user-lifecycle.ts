import type { ApplicationStore, StoredApplication } from './applications';
import { endSessionAndTell, type SessionEndDeps } from './authorization/back-channel-logout';
import type { SessionRecord } from './login/model';
import type { AuthorizationStore } from './authorization/ports';
import { requirePermission, type Caller } from './caller';
import type { ClientStore } from './clients/ports';
import { endUserView, type EndUser, type EndUserLifecycleStore } from './end-users';
import { NotFound } from './errors';
import { retryOnConcurrentUpdate } from './optimistic';
import type { IdpConnectionStore } from './idp-connections';
import { latestReset, revokingResetTime } from './revoking-resets';
import { loadEndUserStanding } from './token-origins';

/**
 * Taking an end user's access back: disable and enable, sign out of one session or of all, delete.
 *
 * Rules this module enforces:
 * - Reading a user's sessions needs `USERS_READ`; every change needs `USERS_EDIT`. End users hold no
 *   built-in permissions and no grants on customer resources (what they reach is what its clients
 *   were granted), so a caller holding `USERS_EDIT` holds everything an end user does, and nothing
 *   more is asked. The user is looked up in the caller's environment only: another environment's
 *   user ID is "not found".
 * - Disabling, and signing out everywhere, set the user's `tokensValidAfter` as a revoking secret
 *   reset sets an account's: later than anything an earlier token may carry (`revokingResetTime`,
 *   from the later of the user's and its IDP connection's resets, since a token issued in the second
 *   of either is dated after it), written only over the value read, so a later time is never replaced by an earlier one. Every
 *   token issued before it is refused from then on; enabling the user again clears `disabled`
 *   only, so nothing issued before comes back.
 * - Disabling, signing out and deleting end the user's sessions: each session record is deleted (so
 *   its cookie logs no one in) and the application of every OIDC client the session signed in to
 *   is sent a back-channel logout token, as RP-initiated logout does.
 * - Deleting starts by disabling, so a deletion cut short leaves a disabled user that a repeated
 *   DELETE finishes; then the sessions, the consents, the subject claim, the profiles and the user.
 * - Expired sessions count as gone, whatever the table's TTL has done.
 */

export interface EndUserLifecycleDeps extends SessionEndDeps {
  readonly users: EndUserLifecycleStore;
  readonly authorizations: Pick<AuthorizationStore, 'getSession' | 'deleteSession' | 'listUserSessions' | 'deleteConsents'>;
  readonly clients: Pick<ClientStore, 'getClient'>;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly connections: Pick<IdpConnectionStore, 'listIdpConnections'>;
}

/** A session as the management API shows it. */
export interface EndUserSession {
  readonly id: string;
  readonly userId: string;
  readonly profileId: string;
  readonly authenticatedAt: string;
  readonly expiresAt: string;
  readonly amr?: readonly string[];
  /** Registry IDs (`cl_…`) of the clients the session signed in to. */
  readonly clients: readonly string[];
}

export async function updateEndUser(deps: EndUserLifecycleDeps, caller: Caller, id: string, changes: { disabled: boolean }): Promise<EndUser> {
  requireMayActOnEndUser(caller);
  const user = changes.disabled ? await revokeAccess(deps, caller, id, { disabled: true }) : await enable(deps, caller, id);
  if (changes.disabled) await endSessions(deps, user);
  return endUserView(user);
}

export async function deleteEndUser(deps: EndUserLifecycleDeps, caller: Caller, id: string): Promise<void> {
  requireMayActOnEndUser(caller);
  const user = await revokeAccess(deps, caller, id, { disabled: true });
  await endSessions(deps, user);
  await deps.authorizations.deleteConsents(caller.environmentId, id);
  if (!(await deps.users.deleteUserRecords(user))) throw notFound(id);
}

export async function listEndUserSessions(deps: EndUserLifecycleDeps, caller: Caller, id: string): Promise<{ items: EndUserSession[] }> {
  requirePermission(caller, 'USERS_READ');
  await load(deps, caller, id);
  return { items: (await liveSessions(deps, caller.environmentId, id)).map(sessionView) };
}

/** Sign out everywhere: every token issued until now is refused, and every session ends. */
export async function endEndUserSessions(deps: EndUserLifecycleDeps, caller: Caller, id: string): Promise<void> {
  requireMayActOnEndUser(caller);
  await endSessions(deps, await revokeAccess(deps, caller, id, {}));
}

/** One session ends, and the applications of its clients are told; tokens already issued keep working (sign out everywhere for those). */
export async function endEndUserSession(deps: EndUserLifecycleDeps, caller: Caller, id: string, sessionId: string): Promise<void> {
  requireMayActOnEndUser(caller);
  await load(deps, caller, id);
  const session = await deps.authorizations.getSession(caller.environmentId, sessionId);
  if (!session || session.userId !== id || session.expiresAt <= nowSeconds(deps)) throw new NotFound(`session "${sessionId}" of user "${id}"`);
  await endSessionAndTell(deps, session);
}

function requireMayActOnEndUser(caller: Caller): void {
  requirePermission(caller, 'USERS_EDIT');
}

async function load(deps: EndUserLifecycleDeps, caller: Caller, id: string): Promise<EndUser> {
  const user = await deps.users.getUser(caller.environmentId, id);
  if (!user) throw notFound(id);
  return user;
}

/** Sets `tokensValidAfter` (and `disabled` when asked), over the value read only. */
function revokeAccess(deps: EndUserLifecycleDeps, caller: Caller, id: string, changes: { disabled?: true }): Promise<EndUser> {
  return retryOnConcurrentUpdate(async () => {
    const { user, connections } = await loadEndUserStanding(deps, caller.environmentId, id);
    if (!user) throw notFound(id);
    const connection = connections.find((candidate) => candidate.id === user.idpConnectionId);
    const nowMs = deps.now();
    const updated = await deps.users.updateUserAccess(caller.environmentId, id, user.tokensValidAfter, {
      ...changes,
      tokensValidAfter: new Date(revokingResetTime(latestReset(user, connection), nowMs)).toISOString(),
      updatedAt: new Date(nowMs).toISOString(),
    });
    if (!updated) throw notFound(id);
    return updated;
  });
}

function enable(deps: EndUserLifecycleDeps, caller: Caller, id: string): Promise<EndUser> {
  return retryOnConcurrentUpdate(async () => {
    const user = await load(deps, caller, id);
    const updated = await deps.users.updateUserAccess(caller.environmentId, id, user.tokensValidAfter, { disabled: false, updatedAt: new Date(deps.now()).toISOString() });
    if (!updated) throw notFound(id);
    return updated;
  });
}

async function liveSessions(deps: EndUserLifecycleDeps, environmentId: string, userId: string): Promise<SessionRecord[]> {
  const now = nowSeconds(deps);
  return (await deps.authorizations.listUserSessions(environmentId, userId)).filter((session) => session.expiresAt > now);
}

/** Deletes every session record of the user, expired ones too; the applications hear of the live ones. */
async function endSessions(deps: EndUserLifecycleDeps, user: EndUser): Promise<void> {
  const applications = new Map<string, Promise<StoredApplication | undefined>>();
  const now = nowSeconds(deps);
  const sessions = await deps.authorizations.listUserSessions(user.environmentId, user.id);
  await Promise.all(sessions.map((session) => endSessionAndTell(deps, session, { applications, notify: session.expiresAt > now })));
}

function sessionView(session: SessionRecord): EndUserSession {
  return {
    id: session.id,
    userId: session.userId,
    profileId: session.profileId,
    authenticatedAt: new Date(session.authTime * 1000).toISOString(),
    expiresAt: new Date(session.expiresAt * 1000).toISOString(),
    ...(session.amr ? { amr: session.amr } : {}),
    clients: session.clientRefs ?? [],
  };
}

const nowSeconds = (deps: Pick<EndUserLifecycleDeps, 'now'>): number => Math.floor(deps.now() / 1000);

function notFound(id: string): NotFound {
  return new NotFound(`user "${id}"`);
}
