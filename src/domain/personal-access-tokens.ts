import { InvalidRequest, InvalidToken, NotFound } from './errors';
import { isId, newId } from './ids';
import { requireCovers, requirePermission, type Caller } from './caller';
import { createdBeforeReset, earliestCreatedAt } from './revoking-resets';
import { managementGrants } from './service-account-grants';
import { expirySeconds, hasExpired, newReferenceToken, parseReferenceToken, referenceTokenMatches } from './reference-tokens';
import { pageLimit } from './paging';
import { DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS, personalAccessTokenMaxLifetime } from './environments';
import type { Page } from './model';
import type { Clock, SecretHasher } from './primitives';
import { requireServiceAccount } from './service-accounts';
import type { ServiceAccountStore, StoredPersonalAccessToken, TokenRecordStore } from './stores';

/**
 * Personal access tokens: bearer secrets owned by a service account that work on Latchkey's
 * management API with the owner's permissions.
 *
 * Rules this module enforces:
 * - Creating, listing, reading and revoking need SERVICE_ACCOUNTS_EDIT / SERVICE_ACCOUNTS_READ, and
 *   only ever reach accounts of the caller's environment. Creating and revoking act as the account,
 *   so they also need every built-in permission the account holds, and PERMISSIONS_GRANT when it
 *   holds customer grants (see caller.ts): nobody gets a PAT for an account more privileged than themselves.
 * - The token is answered once, at creation; only a keyed hash of it is stored, and no read
 *   answers the hash.
 * - Every PAT expires: at the `expiresAt` asked for, which must lie in the future and at most the
 *   environment's maximum lifetime away (one year unless the environment says less), or, without
 *   one, at that maximum. A PAT stored before this rule without an expiry ends one year after its
 *   creation. From that moment the token is gone, whether or not TTL has deleted the record yet.
 * - A presented PAT works only while its record exists, has not expired, matches in constant time,
 *   and its owner exists and is enabled. It carries the owner's CURRENT management permissions
 *   (on the built-in `latchkey` resource) — a grant removed from the owner is gone from its PATs too.
 * - A secret reset with `revokeTokens` ends every PAT created before it.
 * - Every refusal of a presented PAT is the same `invalid_token`; the log gets the reason.
 *
 * Not kept: a "last used" time. It would turn every management read into a write (and give every
 * read-only function write access to the table) for a convenience the issue does not ask for.
 */

export interface PersonalAccessTokenDeps {
  readonly store: ServiceAccountStore;
  readonly tokens: TokenRecordStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
}

/** What callers see of a PAT. */
export interface PersonalAccessToken {
  readonly id: string;
  readonly serviceAccountId: string;
  readonly name?: string;
  readonly createdAt: string;
  /** ISO 8601: when the token stops working. */
  readonly expiresAt: string;
}

export interface CreatePersonalAccessTokenInput {
  readonly name?: string;
  /** ISO 8601 date-time in the future, at most the environment's maximum lifetime away; that maximum when absent. */
  readonly expiresAt?: string;
}

export async function createPersonalAccessToken(
  deps: PersonalAccessTokenDeps,
  caller: Caller,
  accountId: string,
  input: CreatePersonalAccessTokenInput,
): Promise<PersonalAccessToken & { token: string }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  const requested = input.expiresAt === undefined ? undefined : expirySeconds(input.expiresAt, deps.now());
  const { account: owner, environment } = isId(accountId, 'sa') ? await deps.store.loadTokenContext(caller.environmentId, accountId, []) : {};
  if (!owner || !environment) throw new NotFound(`service account "${accountId}"`);
  requireCovers(caller, owner);
  const expiresAt = withinMaxLifetime(requested, personalAccessTokenMaxLifetime(environment), deps.now());
  const nowMs = earliestCreatedAt(owner, deps.now());
  const id = newId('pat');
  const { token, hash } = await newReferenceToken(deps.hasher, 'lkp', caller.environmentId, accountId, id);
  const record: StoredPersonalAccessToken = {
    id,
    environmentId: caller.environmentId,
    serviceAccountId: accountId,
    ...(input.name !== undefined ? { name: input.name } : {}),
    createdAt: new Date(nowMs).toISOString(),
    expiresAt,
    tokenHash: hash,
  };
  await deps.tokens.createPersonalAccessToken(record);
  return { ...publicView(record), token };
}

export async function listPersonalAccessTokens(
  deps: PersonalAccessTokenDeps,
  caller: Caller,
  accountId: string,
  options: { limit?: number; cursor?: string },
): Promise<Page<PersonalAccessToken>> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  const limit = pageLimit(options.limit);
  await requireServiceAccount(deps.store, caller, accountId);
  const page = await deps.tokens.listPersonalAccessTokens(caller.environmentId, accountId, limit, options.cursor);
  // Expired tokens TTL has not removed yet are left out, so a page may hold fewer than `limit`.
  const live = page.items.filter((token) => !hasExpired(personalAccessTokenExpiry(token), deps.now()));
  return { items: live.map(publicView), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export async function getPersonalAccessToken(deps: PersonalAccessTokenDeps, caller: Caller, accountId: string, id: string): Promise<PersonalAccessToken> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  if (!isId(accountId, 'sa') || !isId(id, 'pat')) throw notFound(id);
  const token = await deps.tokens.getPersonalAccessToken(caller.environmentId, accountId, id);
  if (!token || hasExpired(personalAccessTokenExpiry(token), deps.now())) throw notFound(id);
  return publicView(token);
}

/** Revokes a PAT at once (the record is deleted). */
export async function deletePersonalAccessToken(deps: PersonalAccessTokenDeps, caller: Caller, accountId: string, id: string): Promise<void> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (!isId(accountId, 'sa') || !isId(id, 'pat')) throw notFound(id);
  const owner = await deps.store.getServiceAccount(caller.environmentId, accountId);
  if (owner) requireCovers(caller, owner);
  if (!(await deps.tokens.getPersonalAccessToken(caller.environmentId, accountId, id))) throw notFound(id);
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // token is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.tokens.deletePersonalAccessToken(caller.environmentId, accountId, id);
}

/** Whether an `Authorization` value carries a PAT rather than a JWT: the `lkp_` prefix decides. */
export function presentedPersonalAccessToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(lkp_\S*)$/i.exec(authorization?.trim() ?? '');
  return match?.[1];
}

/** The management caller a presented PAT stands for, or `invalid_token`. */
export async function authenticatePersonalAccessToken(deps: Omit<PersonalAccessTokenDeps, 'store'>, presented: string): Promise<Caller> {
  const parsed = parseReferenceToken(presented);
  if (parsed?.kind !== 'lkp') throw refused('not a personal access token');
  const { token, owner } = await deps.tokens.loadPersonalAccessToken(parsed.environmentId, parsed.accountId, parsed.id);
  if (!token) throw refused(`no personal access token ${parsed.id}`);
  if (hasExpired(personalAccessTokenExpiry(token), deps.now())) throw refused(`personal access token ${parsed.id} has expired`);
  if (!(await referenceTokenMatches(deps.hasher, presented, token.tokenHash))) throw refused(`wrong secret for ${parsed.id}`);
  if (!owner || owner.disabled) {
    throw new InvalidToken('the service account this token belongs to is disabled or deleted', { internalDetail: parsed.id });
  }
  if (createdBeforeReset(owner, Date.parse(token.createdAt))) throw refused(`${parsed.id} was created before a secret reset that revoked tokens`);
  return {
    tenantId: owner.tenantId,
    environmentId: owner.environmentId,
    accountId: owner.id,
    permissions: managementGrants(owner),
  };
}

export function publicView(token: StoredPersonalAccessToken): PersonalAccessToken {
  return {
    id: token.id,
    serviceAccountId: token.serviceAccountId,
    ...(token.name !== undefined ? { name: token.name } : {}),
    createdAt: token.createdAt,
    expiresAt: new Date(personalAccessTokenExpiry(token) * 1000).toISOString(),
  };
}

/** The expiry asked for, or the maximum lifetime from now; one beyond the maximum is refused, naming it. */
function withinMaxLifetime(requested: number | undefined, maxLifetimeSeconds: number, nowMs: number): number {
  const latest = Math.floor(nowMs / 1000) + maxLifetimeSeconds;
  if (requested === undefined) return latest;
  if (requested > latest) {
    const message = `must be at most ${maxLifetimeSeconds} seconds (${Math.floor(maxLifetimeSeconds / 86_400)} days) from now, the environment's personalAccessTokenMaxLifetimeSeconds: ${new Date(latest * 1000).toISOString()} at the latest`;
    throw new InvalidRequest(`expiresAt ${message}`, { fields: [{ path: 'expiresAt', message }] });
  }
  return requested;
}

/** When a PAT stops working, in epoch seconds: its expiry, or, for one stored without expiry, a year after its creation. */
export function personalAccessTokenExpiry(token: Pick<StoredPersonalAccessToken, 'expiresAt' | 'createdAt'>): number {
  return token.expiresAt ?? Math.ceil(Date.parse(token.createdAt) / 1000) + DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS;
}

/** IDs from the path become sort keys: anything but a well-formed account ID is simply not found. */
function refused(reason: string): InvalidToken {
  return new InvalidToken('the personal access token is not valid', { internalDetail: reason });
}

function notFound(id: string): NotFound {
  return new NotFound(`personal access token "${id}"`);
}
