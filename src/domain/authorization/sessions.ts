import { seconds, type InteractionDeps } from './deps';
import { handleMatches } from './handles';
import type { SessionRecord } from './model';

/**
 * Browser sessions: the cookie carries `{sid}.{secret}`; the record keeps the secret's keyed hash.
 * A session counts only while unexpired, in its own environment, with the right secret.
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
