import { createRemoteJWKSet, customFetch, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { OutboundHttp } from './outbound-http';

/**
 * Clients' `jwksUri` key sets, fetched on first use and cached per container (jose refetches on an
 * unknown `kid`, at most every 30 s). Timeouts are short: a token request waits on this fetch.
 * At most MAX_SETS are kept; the oldest is dropped first.
 *
 * Every fetch goes through the outbound policy (src/adapters/outbound-http.ts): https to public
 * addresses only in a deployed stage, checked on the address actually connected to, no redirects.
 * A refusal fails the client's authentication like a fetch error; its detail reaches the log only.
 */
const MAX_SETS = 200;
/** A key set is a few keys; a few hundred KiB is far more than any real one. */
const MAX_JWKS_BYTES = 256 * 1024;
/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const sets = new Map<string, JWTVerifyGetKey>();

/** A fetch for jose that sends every request through the outbound policy. */
export function policyFetch(outbound: OutboundHttp): FetchImplementation {
  return async (url, options) => {
    const headers: Record<string, string> = {};
    options.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const answer = await outbound.request(url, {
      method: 'GET',
      headers,
      signal: options.signal,
      maxBytes: MAX_JWKS_BYTES,
    });
    return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  };
}

const defaultFetch = policyFetch(new OutboundHttp());

export function remoteJwks(uri: string): JWTVerifyGetKey {
  let set = sets.get(uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000, [customFetch]: defaultFetch });
    if (sets.size >= MAX_SETS) sets.delete(sets.keys().next().value!);
    sets.set(uri, set);
  }
  return set;
}
