import { getServiceAccountToken, type ServiceAccountToken } from './token';

/** Options of {@link createTokenProvider}. */
export interface TokenProviderOptions {
  /** The Latchkey base URL (the issuer), e.g. `https://id.example.com`. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Get a new token this many seconds before the cached one expires (default 60). For tokens that
   * live less than twice this long, the provider renews halfway through their life instead.
   */
  readonly refreshBeforeSeconds?: number;
  /** Space-separated scopes to ask for (see {@link getServiceAccountToken}). */
  readonly scope?: string;
  /** RFC 8707 resource indicators to ask for. */
  readonly resource?: string | readonly string[];
  /** Milliseconds since the epoch; defaults to `Date.now` (tests pass a fake clock). */
  readonly now?: () => number;
  /** The `fetch` to use; defaults to the global one. */
  readonly fetch?: typeof fetch;
}

/** A cached source of service-account access tokens. */
export interface TokenProvider {
  /**
   * Answers a valid access token: the cached one while it is fresh, else a new one. Concurrent
   * calls share one request. A failed request is not remembered: the next call tries again.
   * @throws {LatchkeyClientError} when no token could be obtained
   */
  getToken(): Promise<string>;
  /**
   * Forgets the cached token, e.g. after a resource server refused it because the account's
   * permissions changed; the next `getToken()` asks for a new one.
   */
  invalidate(): void;
}

interface Cached {
  readonly accessToken: string;
  /** When to stop answering this token and renew it (ms since the epoch). */
  readonly renewAt: number;
}

/**
 * Creates a token provider that caches a service account's access token and renews it shortly
 * before it expires.
 *
 * ```ts
 * const tokens = createTokenProvider({ baseUrl: 'https://id.example.com', clientId, clientSecret });
 * await fetch(url, { headers: { authorization: `Bearer ${await tokens.getToken()}` } });
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const refreshBeforeSeconds = options.refreshBeforeSeconds ?? 60;
  if (!(refreshBeforeSeconds >= 0)) throw new TypeError('refreshBeforeSeconds must be zero or more');
  const now = options.now ?? Date.now;
  const request = {
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };

  let cached: Cached | undefined;
  let inFlight: Promise<Cached> | undefined;
  // Bumped by invalidate(), so a request started before it cannot refill the cache with its answer.
  let generation = 0;

  const renew = (): Promise<Cached> => {
    const started = now();
    const startedGeneration = generation;
    const attempt = getServiceAccountToken(options.baseUrl, options.clientId, options.clientSecret, request).then((token) => {
      const fresh: Cached = { accessToken: token.accessToken, renewAt: renewAt(started, token, refreshBeforeSeconds) };
      if (generation === startedGeneration) cached = fresh;
      return fresh;
    });
    inFlight = attempt;
    // Whatever the outcome, the next caller after it starts from the cache (or a new request).
    const clear = () => {
      if (inFlight === attempt) inFlight = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  };

  return {
    async getToken() {
      if (cached && now() < cached.renewAt) return cached.accessToken;
      return (await (inFlight ?? renew())).accessToken;
    },
    invalidate() {
      generation += 1;
      cached = undefined;
      inFlight = undefined;
    },
  };
}

/**
 * Lifetime is counted from when the request was sent (the token may have been issued a little
 * later, never earlier), so the cache never outlives the token.
 */
function renewAt(startedAt: number, token: ServiceAccountToken, refreshBeforeSeconds: number): number {
  const lifetimeMs = token.expiresInSeconds * 1000;
  const marginMs = Math.min(refreshBeforeSeconds * 1000, lifetimeMs / 2);
  return startedAt + lifetimeMs - marginMs;
}
