import { describe, expect, it } from 'vitest';
import { createTokenProvider, LatchkeyClientError } from '../../src/client';

/**
 * The provider with a fake clock and a fake fetch whose answers the test releases one by one, so
 * caching, renewal and sharing of in-flight requests are observable exactly.
 */
function setup(options: { refreshBeforeSeconds?: number } = {}) {
  let time = 1_000_000;
  const pending: { resolve: (response: Response) => void; reject: (error: unknown) => void }[] = [];
  let requests = 0;
  const fetch = (() => {
    requests += 1;
    return new Promise<Response>((resolve, reject) => pending.push({ resolve, reject }));
  }) as typeof globalThis.fetch;
  const provider = createTokenProvider({
    baseUrl: 'https://id.example.com',
    clientId: 'sa_x@env_y',
    clientSecret: 'secret',
    now: () => time,
    fetch,
    ...options,
  });
  /** Answers the oldest pending request with a token. */
  const issue = async (accessToken: string, expiresIn = 3600) => {
    await settle();
    pending.shift()!.resolve(Response.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn }));
  };
  const refuse = async (status = 503) => {
    await settle();
    pending.shift()!.resolve(Response.json({ error: 'temporarily_unavailable' }, { status }));
  };
  return {
    provider,
    issue,
    refuse,
    advance: (seconds: number) => {
      time += seconds * 1000;
    },
    requests: () => requests,
  };
}

/** Lets the provider reach its fetch call. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createTokenProvider', () => {
  it('reuses the token until refreshBeforeSeconds before it expires, then renews it', async () => {
    const { provider, issue, advance, requests } = setup();
    const first = provider.getToken();
    await issue('token-1', 3600);
    expect(await first).toBe('token-1');

    advance(3600 - 60 - 1);
    expect(await provider.getToken()).toBe('token-1');
    expect(requests()).toBe(1);

    advance(1);
    const renewed = provider.getToken();
    await issue('token-2', 3600);
    expect(await renewed).toBe('token-2');
    expect(requests()).toBe(2);
  });

  it('honours a custom refreshBeforeSeconds', async () => {
    const { provider, issue, advance, requests } = setup({ refreshBeforeSeconds: 300 });
    const first = provider.getToken();
    await issue('token-1', 3600);
    await first;
    advance(3600 - 301);
    expect(await provider.getToken()).toBe('token-1');
    advance(1);
    void provider.getToken();
    await settle();
    expect(requests()).toBe(2);
  });

  it('renews a token that lives less than twice the margin halfway through its life', async () => {
    const { provider, issue, advance, requests } = setup();
    const first = provider.getToken();
    await issue('short', 30);
    await first;
    advance(14);
    expect(await provider.getToken()).toBe('short');
    expect(requests()).toBe(1);
    advance(1);
    void provider.getToken();
    await settle();
    expect(requests()).toBe(2);
  });

  it('counts the lifetime from when the request was sent', async () => {
    const { provider, issue, advance, requests } = setup();
    const first = provider.getToken();
    advance(100); // a slow answer
    await issue('token-1', 3600);
    await first;
    advance(3600 - 60 - 100 - 1);
    expect(await provider.getToken()).toBe('token-1');
    advance(1);
    void provider.getToken();
    await settle();
    expect(requests()).toBe(2);
  });

  it('shares one request among concurrent callers', async () => {
    const { provider, issue, requests } = setup();
    const calls = [provider.getToken(), provider.getToken(), provider.getToken()];
    await issue('shared');
    expect(await Promise.all(calls)).toEqual(['shared', 'shared', 'shared']);
    expect(requests()).toBe(1);
  });

  it('does not cache a failed request: every waiting caller gets the error, the next call tries again', async () => {
    const { provider, issue, refuse, requests } = setup();
    const calls = [provider.getToken(), provider.getToken()];
    await refuse(503);
    for (const call of calls) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LatchkeyClientError);
      expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    }
    expect(requests()).toBe(1);

    const retry = provider.getToken();
    await issue('after-failure');
    expect(await retry).toBe('after-failure');
    expect(requests()).toBe(2);
  });

  it('does not fall back to the old token when a renewal fails', async () => {
    const { provider, issue, refuse, advance } = setup();
    const first = provider.getToken();
    await issue('token-1', 3600);
    await first;
    advance(3600 - 30);
    const renewal = provider.getToken();
    await refuse(500);
    await expect(renewal).rejects.toMatchObject({ status: 500 });
  });

  it('invalidate() forgets the token, and a request started before it does not refill the cache', async () => {
    const { provider, issue, requests } = setup();
    const first = provider.getToken();
    await issue('token-1');
    await first;

    provider.invalidate();
    const second = provider.getToken();
    provider.invalidate(); // while the second request is in flight
    await issue('token-2');
    expect(await second).toBe('token-2');

    const third = provider.getToken();
    await issue('token-3');
    expect(await third).toBe('token-3');
    expect(requests()).toBe(3);
  });

  it('refuses a negative refreshBeforeSeconds', () => {
    expect(() => createTokenProvider({ baseUrl: 'https://id.example.com', clientId: 'a', clientSecret: 'b', refreshBeforeSeconds: -1 })).toThrow(/refreshBeforeSeconds/);
  });
});
