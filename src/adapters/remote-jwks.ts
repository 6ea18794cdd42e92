import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

/**
 * Clients' `jwksUri` key sets, fetched on first use and cached per container (jose refetches on an
 * unknown `kid`, at most every 30 s). Timeouts are short: a token request waits on this fetch.
 * At most MAX_SETS are kept; the oldest is dropped first.
 */
const MAX_SETS = 200;
const sets = new Map<string, JWTVerifyGetKey>();

export function remoteJwks(uri: string): JWTVerifyGetKey {
  let set = sets.get(uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    if (sets.size >= MAX_SETS) sets.delete(sets.keys().next().value!);
    sets.set(uri, set);
  }
  return set;
}
