import { describe, expect, it } from 'vitest';
import { checkRedirectUris, redirectUriProblem, redirectUriRegistered } from '../../src/domain/clients/redirect-uris';

describe('redirect URI rules', () => {
  it.each([
    ['https://app.example.com/callback', 'web'],
    ['https://app.example.com:8443/cb?x=1', 'web'],
    ['http://localhost/cb', 'web'],
    ['http://localhost:3000/cb', 'web'],
    ['http://127.0.0.1:9000/cb', 'native'],
    ['http://[::1]:9000/cb', 'native'],
    ['com.example.app:/oauth2redirect', 'native'],
    ['io.example.mobile-app://callback', 'native'],
  ] as const)('accepts %s for a %s client', (uri, type) => {
    expect(redirectUriProblem(uri, type)).toBeUndefined();
  });

  it.each([
    ['http://app.example.com/cb', 'web', 'must use https'],
    ['http://localhost.example.com/cb', 'web', 'must use https'],
    ['http://127.0.0.2/cb', 'native', 'must use https'],
    ['https://app.example.com/*', 'web', 'contains a wildcard'],
    ['https://app.example.com/cb#', 'web', 'has a fragment'],
    ['app.example.com/cb', 'web', 'not an absolute URI'],
    ['https://app.example.com/c b', 'web', 'not an absolute URI'],
    ['https://a:b@app.example.com/cb', 'web', 'user name or password'],
    ['com.example.app:/cb', 'web', 'must use https (web clients'],
    ['myapp:/cb', 'native', 'only reverse-domain schemes'],
    ['data:text/html,hi', 'native', 'only reverse-domain schemes'],
    ['file:///etc/passwd', 'native', 'only reverse-domain schemes'],
  ] as const)('refuses %s for a %s client: %s', (uri, type, rule) => {
    const problem = redirectUriProblem(uri, type);
    expect(problem).toContain(`"${uri}"`);
    expect(problem).toContain(rule);
  });

  it('reports each problem under its index, and a URI listed twice', () => {
    expect(checkRedirectUris('redirectUris', ['https://a.example.com/cb', 'http://b.example.com', 'https://a.example.com/cb'], 'web')).toEqual([
      { path: 'redirectUris.1', message: expect.stringContaining('must use https') },
      { path: 'redirectUris.2', message: '"https://a.example.com/cb" is listed twice' },
    ]);
  });

  it.each([
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb'],
    ['http://127.0.0.1/cb', 'http://127.0.0.1/cb'],
    ['http://[::1]/cb', 'http://[::1]:8080/cb'],
    ['http://127.0.0.1:9000/cb', 'http://127.0.0.1:40000/cb'],
    ['http://127.0.0.1/cb?app=cli', 'http://127.0.0.1:1/cb?app=cli'],
  ])('lets a native client registered with %s use %s (any loopback port)', (registered, requested) => {
    expect(redirectUriRegistered([registered], requested, 'native')).toBe(true);
  });

  it.each([
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb', 'web'],
    ['http://localhost/cb', 'http://localhost:51234/cb', 'native'],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/other', 'native'],
    ['http://127.0.0.1/cb', 'http://[::1]:51234/cb', 'native'],
    ['http://127.0.0.1/cb', 'https://127.0.0.1:51234/cb', 'native'],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:70000/cb', 'native'],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:0/cb', 'native'],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb?x=1', 'native'],
    ['https://app.example.com/cb', 'https://app.example.com:8443/cb', 'native'],
  ] as const)('refuses %s against %s for a %s client: only the loopback IP port is free', (registered, requested, type) => {
    expect(redirectUriRegistered([registered], requested, type)).toBe(false);
  });
});
