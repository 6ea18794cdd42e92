import { newId, newSecret } from '../ids';
import { endUserStands, loadEndUserStanding } from '../token-origins';
import { DEFAULT_SESSION_SECONDS, seconds, type InteractionDeps } from './deps';
import { handleMatches } from './handles';
import type { AuthorizationRequestRecord, LoginResult, SessionRecord } from './model';
import type { SessionCookie } from './outcome';

/**
 * Browser sessions: the cookie carries `{sid}.{secret}`; the record keeps the secret's keyed hash.
 * A session counts only while unexpired, in its own environment, with the right secret; it logs an
 * end user in only while that user stands (`token-origins.ts`: not disabled or deleted, no sign-out
 * everywhere since the session's login, IDP connection enabled).
 */
export async function findSession(
  deps: Pick<InteractionDeps, 'authorizations' | 'hasher' | 'now'>,
  environmentId: string,
  cookie: string | undefined,
): Promise<SessionRecord | undefined> {
  const match = cookie ? /^(ses_[a-z2-7]{26})\.(lkb_[A-Za-z0-9_-]{43})$/.exec(cookie) : null;
  if (!match) return undefined;
  const session = await deps.authorizations.getSession(environmentId, match[1]!);
  if (!session || session.expiresAt <= seconds(deps.now)) return undefined;
  return (await handleMatches(deps.hasher, match[2]!, session.secretHash)) ? session : undefined;
}

/** The browser's session, if it is one whose end user still stands. */
export async function liveSession(deps: InteractionDeps, environmentId: string, cookie: string | undefined): Promise<SessionRecord | undefined> {
  const session = await findSession(deps, environmentId, cookie);
  if (!session) return undefined;
  return endUserStands(await loadEndUserStanding(deps, environmentId, session.userId), session.authTime) ? session : undefined;
}

/** A login answered by an existing session rather than by the application's login page. */
export function sessionLogin(session: SessionRecord): LoginResult {
  return {
    userId: session.userId,
    profileId: session.profileId,
    subjectId: session.subjectId,
    authTime: session.authTime,
    remember: true,
    sessionId: session.id,
    ...(session.amr ? { amr: session.amr } : {}),
  };
}

/** The login's browser session: the existing one, or a new one (with a cookie when remembered); it records the client, to be told when the session ends. */
export async function rememberSession(deps: InteractionDeps, record: AuthorizationRequestRecord, login: LoginResult): Promise<{ sessionId: string; session?: SessionCookie }> {
  if (login.sessionId) {
    await deps.authorizations.addSessionClient(record.environmentId, login.sessionId, record.clientRef);
    return { sessionId: login.sessionId };
  }
  const now = seconds(deps.now);
  const sessionId = newId('ses');
  const secret = newSecret('lkb');
  const lifetime = login.remember ? (login.rememberForSeconds ?? DEFAULT_SESSION_SECONDS) : DEFAULT_SESSION_SECONDS;
  await deps.authorizations.putSession({
    id: sessionId,
    environmentId: record.environmentId,
    secretHash: await deps.hasher.hash(secret),
    userId: login.userId,
    profileId: login.profileId,
    subjectId: login.subjectId,
    authTime: login.authTime,
    ...(login.amr ? { amr: login.amr } : {}),
    ...(login.upstream ? { upstream: login.upstream } : {}),
    clientRefs: [record.clientRef],
    expiresAt: now + lifetime,
  });
  // Not remembered: the session names the login (`sid`, logout) but the browser keeps no cookie,
  // so the next authorization request logs in again.
  return { sessionId, ...(login.remember ? { session: { environmentId: record.environmentId, value: `${sessionId}.${secret}`, maxAgeSeconds: lifetime } } : {}) };
}
