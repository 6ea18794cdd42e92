import { EndUserDisabled, NotFound } from './errors';
import { newId } from './ids';
import { requirePermission, type Caller } from './caller';
import type { Clock } from './primitives';
import type { Page } from './model';
import { pageLimit } from './paging';

/**
 * End users and their profiles, created on the first delegated token for a subject.
 *
 * Rules this module enforces:
 * - A user is found by (IDP connection, subject ID). The store claims that pair with a conditional
 *   put of a deterministic key; concurrent first calls all claim it, one wins, the others read the
 *   winner's user ID, so one subject is always one user.
 * - A profile is found by (user, unique profile identifier), or is the user's one default profile;
 *   created the same way, so concurrent calls share one profile.
 * - A half-finished first call (the claim written, the user record not yet) is completed by
 *   whichever call comes next: every create is "put if absent, else read the one there".
 * - A disabled user is refused (`user_disabled`) before anything is written.
 */

export interface EndUser {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly idpConnectionId: string;
  readonly subjectId: string;
  readonly email?: string;
  /**
   * Whether the identity provider said it verified `email` (OpenID Connect Core §5.1), as of the
   * last login that gave an email; absent where no provider said either way (delegated tokens).
   */
  readonly emailVerified?: boolean;
  readonly name?: string;
  /** Set by a management call: the user gets no token by any grant while it is true. */
  readonly disabled?: boolean;
  /**
   * ISO 8601 with milliseconds, as `ServiceAccount.tokensValidAfter`: every token of the user issued
   * at or before it is refused (set by disabling the user and by signing it out everywhere; enabling
   * it again leaves it, so nothing issued before comes back).
   */
  readonly tokensValidAfter?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Profile {
  readonly id: string;
  readonly userId: string;
  readonly environmentId: string;
  /** Absent on the user's default profile. */
  readonly uniqueProfileIdentifier?: string;
  readonly isDefault: boolean;
  readonly createdAt: string;
}

export interface EndUserStore {
  /** The user ID claimed for a subject, if any. */
  findSubject(environmentId: string, idpConnectionId: string, subjectId: string): Promise<string | undefined>;
  /** Claims the subject for `userId` unless someone has; answers the user ID that holds it. */
  claimSubject(environmentId: string, idpConnectionId: string, subjectId: string, userId: string): Promise<string>;
  /** Reads a user and one of its profiles in one round trip. */
  getUserAndProfile(environmentId: string, userId: string, uniqueProfileIdentifier?: string): Promise<{ user?: EndUser; profile?: Profile }>;
  /** Creates the user unless it exists; answers the stored one either way. */
  createUserIfAbsent(user: EndUser): Promise<EndUser>;
  updateUser(environmentId: string, userId: string, changes: Partial<Pick<EndUser, 'email' | 'emailVerified' | 'name'>> & { updatedAt: string }): Promise<EndUser | undefined>;
  /** Creates the profile unless its key is taken; answers the stored one either way. */
  createProfileIfAbsent(profile: Profile): Promise<Profile>;
  getUser(environmentId: string, userId: string): Promise<EndUser | undefined>;
  listUsers(environmentId: string, limit: number, cursor?: string): Promise<Page<EndUser>>;
  listProfiles(environmentId: string, userId: string): Promise<Profile[]>;
}

/** The writes of the management side besides: taking a user's access back, and deleting it. */
export interface EndUserLifecycleStore extends EndUserStore {
  /**
   * Sets `disabled` and `tokensValidAfter` on an existing user, only if its `tokensValidAfter` is
   * still `expectedTokensValidAfter` (undefined: none), so a later revocation time is never replaced
   * by an earlier one. Answers the user as it is now, undefined when there is none; throws
   * `ConcurrentUpdate` when the condition failed on a user that exists.
   */
  updateUserAccess(
    environmentId: string,
    userId: string,
    expectedTokensValidAfter: string | undefined,
    changes: Partial<Pick<EndUser, 'disabled' | 'tokensValidAfter'>> & { updatedAt: string },
  ): Promise<EndUser | undefined>;
  /**
   * Deletes the user's subject claim (only while it still names this user), its profiles, and the
   * user record last, so a deletion cut short leaves a user that can be deleted again. Answers
   * whether the user record was there to delete.
   */
  deleteUserRecords(user: EndUser): Promise<boolean>;
}

export interface EndUserDeps {
  readonly users: EndUserStore;
  readonly now: Clock;
}

export interface Subject {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly idpConnectionId: string;
  readonly subjectId: string;
  readonly uniqueProfileIdentifier?: string;
  readonly email?: string;
  /** Said only by an upstream login; goes with `email`. */
  readonly emailVerified?: boolean;
  readonly name?: string;
}

/**
 * What a login's email makes of the stored `emailVerified`: the provider's word when it gave one; a
 * changed email nobody vouched for is no longer verified; otherwise unchanged.
 */
function emailVerifiedAfter(user: Pick<EndUser, 'email' | 'emailVerified'> | undefined, subject: Subject): boolean | undefined {
  if (subject.email === undefined) return user?.emailVerified;
  if (subject.emailVerified !== undefined) return subject.emailVerified;
  return user?.emailVerified !== undefined && subject.email !== user.email ? false : user?.emailVerified;
}

/** Finds or creates the user of a subject and the profile asked for; records a new email (and whether it is verified) or name. */
export async function findOrCreateEndUser(
  deps: EndUserDeps,
  subject: Subject,
  /** The subject's claim, user and profile as the caller already read them (`read` undefined: not claimed). */
  known?: { readonly read: { readonly userId: string; readonly user?: EndUser; readonly profile?: Profile } | undefined },
): Promise<{ user: EndUser; profile: Profile; created: boolean }> {
  const { environmentId } = subject;
  const now = new Date(deps.now()).toISOString();
  let userId = known ? known.read?.userId : await deps.users.findSubject(environmentId, subject.idpConnectionId, subject.subjectId);
  let found: { user?: EndUser; profile?: Profile } = {};
  let created = false;
  if (!userId) {
    const candidate = newId('usr');
    userId = await deps.users.claimSubject(environmentId, subject.idpConnectionId, subject.subjectId, candidate);
    created = userId === candidate;
  }
  // The winner of a claim knows there is nothing to read yet.
  if (!created) found = known?.read?.userId === userId ? known.read : await deps.users.getUserAndProfile(environmentId, userId, subject.uniqueProfileIdentifier);
  // Refused before anything is written: a disabled user's email, name and profiles stay as they are.
  if (found.user?.disabled) throw new EndUserDisabled(userId);

  let user =
    found.user ??
    (await deps.users.createUserIfAbsent({
      id: userId,
      environmentId,
      tenantId: subject.tenantId,
      idpConnectionId: subject.idpConnectionId,
      subjectId: subject.subjectId,
      ...(subject.email !== undefined ? { email: subject.email } : {}),
      ...(subject.email !== undefined && subject.emailVerified !== undefined ? { emailVerified: subject.emailVerified } : {}),
      ...(subject.name !== undefined ? { name: subject.name } : {}),
      createdAt: now,
      updatedAt: now,
    }));
  const emailVerified = emailVerifiedAfter(user, subject);
  const changes = {
    ...(subject.email !== undefined && subject.email !== user.email ? { email: subject.email } : {}),
    ...(emailVerified !== undefined && emailVerified !== user.emailVerified ? { emailVerified } : {}),
    ...(subject.name !== undefined && subject.name !== user.name ? { name: subject.name } : {}),
  };
  if (Object.keys(changes).length > 0) user = (await deps.users.updateUser(environmentId, userId, { ...changes, updatedAt: now })) ?? user;

  const profile =
    found.profile ??
    (await deps.users.createProfileIfAbsent({
      id: newId('prf'),
      userId,
      environmentId,
      ...(subject.uniqueProfileIdentifier !== undefined ? { uniqueProfileIdentifier: subject.uniqueProfileIdentifier } : {}),
      isDefault: subject.uniqueProfileIdentifier === undefined,
      createdAt: now,
    }));
  return { user, profile, created };
}

/** What callers see of a user: `disabled` always present (false for a user never disabled). */
export function endUserView(user: EndUser): EndUser & { disabled: boolean } {
  return { ...user, disabled: user.disabled === true };
}

export async function listEndUsers(deps: Pick<EndUserDeps, 'users'>, caller: Caller, options: { limit?: number; cursor?: string }): Promise<Page<EndUser>> {
  requirePermission(caller, 'USERS_READ');
  const limit = pageLimit(options.limit);
  const page = await deps.users.listUsers(caller.environmentId, limit, options.cursor);
  return { ...page, items: page.items.map(endUserView) };
}

export async function getEndUser(deps: Pick<EndUserDeps, 'users'>, caller: Caller, id: string): Promise<EndUser & { profiles: Profile[] }> {
  requirePermission(caller, 'USERS_READ');
  const [user, profiles] = await Promise.all([deps.users.getUser(caller.environmentId, id), deps.users.listProfiles(caller.environmentId, id)]);
  if (!user) throw new NotFound(`user "${id}"`);
  // The default profile first, then by creation.
  profiles.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.createdAt.localeCompare(b.createdAt));
  return { ...endUserView(user), profiles };
}
