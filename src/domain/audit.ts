import { createHash } from 'node:crypto';
import { requirePermission, type Caller } from './caller';
import { InvalidRequest, ServiceUnavailable } from './errors';
import { formatClientId, newId, parseClientId } from './ids';
import type { Page } from './model';
import { pageLimit } from './paging';
import type { Clock } from './primitives';
import type { EnvironmentStore } from './stores';

/**
 * The audit log: one event per management change, per signing-key rotation and per failed client
 * authentication that the failed-authentication throttle evaluated. Successful authentications are
 * not audited one by one (metrics count them), so a token costs no audit write.
 *
 * Rules:
 * 1. An event never holds a secret or a value that was set: it names the fields a change set
 *    (`changedFields`), the target by type and ID, and for a failure the error code only.
 * 2. Each environment has one chain: event `n` carries `previousDigest`, the digest of event `n-1`,
 *    and its own `digest` (SHA-256 of its canonical JSON without `digest`). An event is stored with
 *    a conditional write on its sequence number, so two writers can never both take the same place;
 *    the loser reads the new newest event and tries again.
 * 3. A head record per chain holds the newest sequence number and digest, moved forward only, so
 *    events cut from the end of the chain are found too.
 * 4. Events expire after the retention time (default 400 days); an expired event is gone for every
 *    read, whatever the table's TTL has done. Each event carries, sealed in its digest, until when it
 *    and the event before it are kept (`retainedUntil`, `previousRetainedUntil`), so the check of the
 *    chain starts at the oldest kept event and can tell an event that expired from one that was cut.
 */

/** Who acted: a service account (the management API), the client a failed authentication claimed to be, or Latchkey itself. */
export interface AuditActor {
  readonly type: 'service_account' | 'client' | 'system';
  readonly id?: string;
  readonly clientId?: string;
}

export interface AuditTarget {
  readonly type: string;
  readonly id?: string;
}

export interface AuditEvent {
  readonly id: string;
  /** Position in the environment's chain, from 1. */
  readonly sequence: number;
  readonly time: string;
  readonly tenantId: string;
  readonly environmentId: string;
  readonly actor: AuditActor;
  /** `<target type>.<what happened>`, e.g. `service_account.secret_reset`. */
  readonly action: string;
  readonly target?: AuditTarget;
  readonly outcome: 'success' | 'failure';
  /** The error code a failure was answered with. */
  readonly errorCode?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  /** The names of the fields the change set; never their values. */
  readonly changedFields?: readonly string[];
  /** When the event expires (ISO 8601): its time plus the retention then configured. */
  readonly retainedUntil: string;
  /** When the event before it expires; absent on the first event of a chain. */
  readonly previousRetainedUntil?: string;
  readonly previousDigest: string;
  readonly digest: string;
}

/** What a caller of `recordAuditEvent` knows; the chain fields are added when it is stored. */
export type AuditDraft = Omit<AuditEvent, 'id' | 'sequence' | 'time' | 'retainedUntil' | 'previousRetainedUntil' | 'previousDigest' | 'digest'>;

/** Where a chain stands: its newest event's sequence number and digest (and, for a writer, until when that event is kept). */
export interface ChainLink {
  readonly sequence: number;
  readonly digest: string;
  readonly retainedUntil?: string;
}

export interface AuditQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly action?: string;
  readonly actorId?: string;
  readonly targetId?: string;
  /** ISO 8601, inclusive. */
  readonly since?: string;
  /** ISO 8601, exclusive. */
  readonly until?: string;
}

/** The audit log's storage (`src/adapters/dynamodb/audit-log.ts`). `chain` is an environment ID, or `DEPLOYMENT_CHAIN`. */
export interface AuditLog {
  /** The newest stored event of the chain, expired or not. */
  newest(chain: string): Promise<ChainLink | undefined>;
  /** Stores the event at its sequence number unless that place is taken (expiring at `retainedUntil`); answers whether it did. */
  append(chain: string, event: AuditEvent): Promise<boolean>;
  /** Moves the head forward to `link`; a head already at or past it stays. */
  advanceHead(chain: string, link: ChainLink): Promise<void>;
  head(chain: string): Promise<ChainLink | undefined>;
  /** Unexpired events, newest first, filtered. */
  list(chain: string, query: AuditQuery, nowSeconds: number): Promise<Page<AuditEvent>>;
  /** Unexpired events, oldest first, from sequence `from` (inclusive) on; at most `limit`. */
  chainFrom(chain: string, from: number, limit: number, nowSeconds: number): Promise<AuditEvent[]>;
}

/** Signing keys serve the whole deployment: their rotations go to a chain of their own. */
export const DEPLOYMENT_CHAIN = 'deployment';

/** The digest before the first event of a chain. */
export const GENESIS_DIGEST = '0'.repeat(64);

export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export interface AuditDeps {
  readonly audit: AuditLog;
  readonly now: Clock;
  readonly retentionDays: number;
}

export interface AuditReadDeps {
  readonly audit: AuditLog;
  readonly now: Clock;
}

/** Concurrent writers of one chain each retry; past this many lost races the write gives up (503). */
const MAX_APPEND_ATTEMPTS = 16;
/**
 * A failed client authentication's event gives up sooner: anyone can cause those, and a flood of
 * them must not keep an environment's administrators from winning their places in the chain.
 */
const FAILED_AUTHENTICATION_ATTEMPTS = 4;

/** The actor of a management caller: the service account and its OAuth client ID. */
export function auditActorOf(caller: Caller): AuditActor {
  return { type: 'service_account', id: caller.accountId, clientId: formatClientId(caller.accountId, caller.environmentId) };
}

/** Stores one event at the end of its chain (rules 2 and 3) and answers it as stored. */
export async function recordAuditEvent(deps: AuditDeps, draft: AuditDraft, chain: string = draft.environmentId, attempts = MAX_APPEND_ATTEMPTS): Promise<AuditEvent> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const newest = await deps.audit.newest(chain);
    const now = deps.now();
    const unsealed = {
      ...withoutUndefined(draft),
      id: newId('aud'),
      sequence: (newest?.sequence ?? 0) + 1,
      time: new Date(now).toISOString(),
      retainedUntil: new Date(now + deps.retentionDays * 86_400_000).toISOString(),
      ...(newest?.retainedUntil ? { previousRetainedUntil: newest.retainedUntil } : {}),
      previousDigest: newest?.digest ?? GENESIS_DIGEST,
    };
    const event = { ...unsealed, digest: digestOf(unsealed) } as AuditEvent;
    if (await deps.audit.append(chain, event)) {
      await deps.audit.advanceHead(chain, { sequence: event.sequence, digest: event.digest, retainedUntil: event.retainedUntil });
      return event;
    }
    // Another writer took this place: a short, random pause spreads the next attempts.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
  }
  throw new ServiceUnavailable(`audit event not written: lost ${attempts} races for the end of the chain of ${chain}`, 1);
}

export interface FailedClientAuthentication {
  readonly clientId: string;
  readonly errorCode: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
}

/**
 * The event of a failed client authentication, in the environment the client ID names; none when it
 * names no environment that exists (nothing to attach the event to, and no chain an unknown caller
 * could start). The actor and target are the client the caller claimed to be.
 */
export async function recordFailedClientAuthentication(
  deps: AuditDeps & { readonly environments: Pick<EnvironmentStore, 'getEnvironment'> },
  attempt: FailedClientAuthentication,
): Promise<AuditEvent | undefined> {
  const parsed = parseClientId(attempt.clientId);
  if (!parsed) return undefined;
  const environment = await deps.environments.getEnvironment(parsed.environmentId);
  if (!environment) return undefined;
  const type = parsed.principalId.startsWith('sa_') ? 'service_account' : 'client';
  return recordAuditEvent(
    deps,
    {
      tenantId: environment.tenantId,
      environmentId: environment.id,
      actor: { type, id: parsed.principalId, clientId: attempt.clientId },
      action: `${type}.authentication_failed`,
      target: { type, id: parsed.principalId },
      outcome: 'failure',
      errorCode: attempt.errorCode,
      ...(attempt.sourceIp ? { sourceIp: attempt.sourceIp } : {}),
      ...(attempt.userAgent ? { userAgent: attempt.userAgent } : {}),
      ...(attempt.requestId ? { requestId: attempt.requestId } : {}),
    },
    environment.id,
    FAILED_AUTHENTICATION_ATTEMPTS,
  );
}

/** `GET /v1/audit-events`: the caller's environment's events, newest first. */
export async function listAuditEvents(deps: AuditReadDeps, caller: Caller, query: Partial<AuditQuery>): Promise<Page<AuditEvent>> {
  requirePermission(caller, 'AUDIT_READ');
  const since = query.since === undefined ? undefined : isoTime(query.since, 'since');
  const until = query.until === undefined ? undefined : isoTime(query.until, 'until');
  return deps.audit.list(
    caller.environmentId,
    { ...withoutUndefined(query), limit: pageLimit(query.limit), ...(since ? { since } : {}), ...(until ? { until } : {}) },
    Math.floor(deps.now() / 1000),
  );
}

export interface ChainVerification {
  /** False when the chain is broken at `brokenAt`. */
  readonly valid: boolean;
  /** Events checked by this call. */
  readonly checked: number;
  readonly first?: { readonly sequence: number; readonly id: string; readonly time: string };
  readonly last?: { readonly sequence: number; readonly id: string; readonly time: string };
  readonly brokenAt?: { readonly sequence: number; readonly id?: string; readonly reason: string };
  /** Present when more events follow: pass it back as `?cursor=` to go on from the last one checked. */
  readonly cursor?: string;
}

/** Events checked per call, so a long chain is checked in calls that each finish well within the API's timeout. */
export const VERIFY_PAGE_SIZE = 1000;

/**
 * `GET /v1/audit-events/verify`: checks the chain from its oldest kept event (or from the cursor)
 * on: each event's digest is its content's, each links to the one before, no sequence number is
 * missing, and the head names the last event. Answers the first place where it breaks.
 */
export async function verifyAuditChain(deps: AuditReadDeps, caller: Caller, options: { cursor?: string } = {}): Promise<ChainVerification> {
  requirePermission(caller, 'AUDIT_READ');
  const from = options.cursor === undefined ? 1 : verifyCursor(options.cursor);
  const nowSeconds = Math.floor(deps.now() / 1000);
  const events = await deps.audit.chainFrom(caller.environmentId, from, VERIFY_PAGE_SIZE + 1, nowSeconds);
  const page = events.slice(0, VERIFY_PAGE_SIZE);
  const summary = (event: AuditEvent) => ({ sequence: event.sequence, id: event.id, time: event.time });
  // On from a cursor, the first event is the last one the previous call checked: read again to link to, not counted twice.
  const counted = (checked: number) => Math.max(0, checked - (options.cursor === undefined ? 0 : 1));
  const broken = (checked: number, at: { sequence: number; id?: string; reason: string }): ChainVerification => ({
    valid: false,
    checked: counted(checked),
    ...(page[0] ? { first: summary(page[0]) } : {}),
    brokenAt: at,
  });
  if (options.cursor !== undefined && page[0]?.sequence !== from) {
    return broken(0, { sequence: from, reason: 'the event this check was to go on from is missing' });
  }
  let previous: AuditEvent | undefined;
  for (const [index, event] of page.entries()) {
    if (digestOf(withoutDigest(event)) !== event.digest) {
      return broken(index, { sequence: event.sequence, id: event.id, reason: 'the event was altered: its digest does not match its content' });
    }
    if (!previous && options.cursor === undefined && event.sequence > 1) {
      // The oldest kept event: the one before it may only be missing because it expired.
      const kept = event.previousRetainedUntil === undefined ? undefined : Date.parse(event.previousRetainedUntil);
      if (kept === undefined || Number.isNaN(kept) || kept > deps.now()) {
        return broken(index, {
          sequence: event.sequence - 1,
          reason: `events before ${event.sequence} are missing, though they were to be kept until ${event.previousRetainedUntil ?? 'later'}`,
        });
      }
    }
    if (previous) {
      if (event.sequence !== previous.sequence + 1) {
        return broken(index, { sequence: previous.sequence + 1, reason: `events ${previous.sequence + 1} to ${event.sequence - 1} are missing` });
      }
      if (event.previousDigest !== previous.digest) {
        return broken(index, { sequence: event.sequence, id: event.id, reason: 'the event does not link to the event before it' });
      }
    }
    previous = event;
  }
  const last = page.at(-1);
  const range = { ...(page[0] ? { first: summary(page[0]) } : {}), ...(last ? { last: summary(last) } : {}) };
  if (events.length > VERIFY_PAGE_SIZE && last) return { valid: true, checked: counted(page.length), ...range, cursor: encodeVerifyCursor(last.sequence) };
  const head = await deps.audit.head(caller.environmentId);
  // Every event expired (an environment without changes for the whole retention time): nothing is missing.
  const allExpired = !last && head?.retainedUntil !== undefined && Date.parse(head.retainedUntil) <= deps.now();
  if (head && !allExpired && (!last || head.sequence > last.sequence)) {
    return broken(page.length, {
      sequence: (last?.sequence ?? 0) + 1,
      reason: `events from ${(last?.sequence ?? 0) + 1} to ${head.sequence} are missing: the chain head names ${head.sequence}`,
    });
  }
  if (head && last && head.sequence === last.sequence && head.digest !== last.digest) {
    return broken(page.length, { sequence: last.sequence, id: last.id, reason: 'the last event does not match the chain head' });
  }
  return { valid: true, checked: counted(page.length), ...range };
}

/** SHA-256 of the canonical JSON (keys sorted at every level) of an event without its digest. */
export function digestOf(event: Omit<AuditEvent, 'digest'>): string {
  return createHash('sha256').update(canonicalJson(event), 'utf8').digest('hex');
}

function withoutDigest(event: AuditEvent): Omit<AuditEvent, 'digest'> {
  const { digest: _digest, ...rest } = event;
  return rest;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function isoTime(value: string, name: string): string {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(time)) {
    throw new InvalidRequest(`${name} must be an ISO 8601 date or time, such as 2026-01-31T00:00:00Z`, { fields: [{ path: name, message: 'must be an ISO 8601 date or time' }] });
  }
  return new Date(time).toISOString();
}

function encodeVerifyCursor(sequence: number): string {
  return Buffer.from(JSON.stringify({ sequence }), 'utf8').toString('base64url');
}

function verifyCursor(cursor: string): number {
  try {
    const { sequence } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sequence?: unknown };
    if (typeof sequence === 'number' && Number.isSafeInteger(sequence) && sequence >= 1) return sequence;
  } catch {
    // fall through
  }
  throw new InvalidRequest('cursor is not valid; use the cursor of the previous check as it was returned', {
    fields: [{ path: 'cursor', message: 'not a cursor this check returned' }],
  });
}
