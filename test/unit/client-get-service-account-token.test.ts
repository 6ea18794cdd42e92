import { describe, expect, it } from 'vitest';
import { getServiceAccountToken, LatchkeyClientError } from '../../src/client';

interface Sent {
  readonly url: string;
  readonly init: RequestInit;
}

/** A fetch that records what it was sent and answers `answer`. */
function fakeFetch(answer: () => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(url), init: init ?? {} });
    return answer();
  }) as typeof fetch;
  return { fetch: fn, sent };
}

const tokenAnswer = (body: Record<string, unknown> = {}) => Response.json({ access_token: 'eyJ.token', token_type: 'Bearer', expires_in: 3600, ...body });

describe('getServiceAccountToken', () => {
  it('posts the client credentials grant with HTTP Basic to {baseUrl}/oauth/v2/token', async () => {
    const { fetch, sent } = fakeFetch(() => tokenAnswer());
    await getServiceAccountToken('https://id.example.com/', 'sa_x@env_y', 'p+ss:w/rd', { fetch });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://id.example.com/oauth/v2/token');
    expect(sent[0]!.init.method).toBe('POST');
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    // RFC 6749 §2.3.1: form-encoded, then joined with ":", then base64.
    const basic = Buffer.from(headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
    expect(basic).toBe('sa_x%40env_y:p%2Bss%3Aw%2Frd');
    expect(Object.fromEntries(new URLSearchParams(String(sent[0]!.init.body)))).toEqual({ grant_type: 'client_credentials' });
  });

  it('keeps a base path and sends scope and every resource when asked', async () => {
    const { fetch, sent } = fakeFetch(() => tokenAnswer({ scope: 'openid' }));
    const token = await getServiceAccountToken('https://example.com/latchkey', 'id', 'secret', {
      fetch,
      scope: 'openid',
      resource: ['orders', 'https://api.example.com/billing'],
    });
    expect(sent[0]!.url).toBe('https://example.com/latchkey/oauth/v2/token');
    const form = new URLSearchParams(String(sent[0]!.init.body));
    expect(form.get('scope')).toBe('openid');
    expect(form.getAll('resource')).toEqual(['orders', 'https://api.example.com/billing']);
    expect(token.scope).toBe('openid');
  });

  it('answers accessToken, expiresInSeconds and tokenType', async () => {
    const { fetch } = fakeFetch(() => tokenAnswer({ expires_in: 120 }));
    await expect(getServiceAccountToken('https://id.example.com', 'id', 'secret', { fetch })).resolves.toEqual({
      accessToken: 'eyJ.token',
      expiresInSeconds: 120,
      tokenType: 'Bearer',
    });
  });

  it('throws a LatchkeyClientError with the OAuth error code and status, without the secret', async () => {
    const { fetch } = fakeFetch(() => Response.json({ error: 'invalid_client', error_description: 'client authentication failed' }, { status: 401 }));
    const error = await getServiceAccountToken('https://id.example.com', 'id', 'super-secret-value', { fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyClientError);
    expect(error).toMatchObject({ code: 'invalid_client', status: 401, name: 'LatchkeyClientError' });
    expect((error as Error).message).toContain('client authentication failed');
    expect((error as Error).message).not.toContain('super-secret-value');
  });

  it('reports an answer that is not a token response as invalid_response', async () => {
    const gateway = fakeFetch(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    await expect(getServiceAccountToken('https://id.example.com', 'id', 'secret', { fetch: gateway.fetch })).rejects.toMatchObject({
      code: 'invalid_response',
      status: 502,
    });
    const wrongPage = fakeFetch(() => Response.json({ hello: 'world' }));
    await expect(getServiceAccountToken('https://id.example.com', 'id', 'secret', { fetch: wrongPage.fetch })).rejects.toMatchObject({
      code: 'invalid_response',
      status: 200,
    });
  });

  it('reports a failed connection as network_error with no status', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    const error = await getServiceAccountToken('https://id.example.com', 'id', 'secret', { fetch }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network_error', status: undefined });
    expect((error as Error).message).toMatch(/could not reach https:\/\/id\.example\.com\/oauth\/v2\/token: fetch failed/);
  });

  it('refuses a base URL that is not an absolute http(s) URL, and empty credentials', async () => {
    const { fetch, sent } = fakeFetch(() => tokenAnswer());
    await expect(getServiceAccountToken('id.example.com', 'id', 'secret', { fetch })).rejects.toThrow(TypeError);
    await expect(getServiceAccountToken('ftp://id.example.com', 'id', 'secret', { fetch })).rejects.toThrow(/http\(s\)/);
    await expect(getServiceAccountToken('https://id.example.com', 'id', '', { fetch })).rejects.toThrow(/clientSecret/);
    expect(sent).toHaveLength(0);
  });
});
