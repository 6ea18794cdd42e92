import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparableAudience, normaliseAudience } from '../../src/domain/audiences';

/** Audience normal forms (RFC 3986 §6.2.2-6.2.3 for https): every spelling of one URI is one audience. */
describe('the audience normaliser', () => {
  const normal = (value: string) => {
    const result = normaliseAudience(value);
    if ('problem' in result) throw new Error(`${value}: ${result.problem}`);
    return result.audience;
  };
  const problem = (value: string) => {
    const result = normaliseAudience(value);
    return 'problem' in result ? result.problem : undefined;
  };

  it.each([
    'https://api.example.com/orders',
    'HTTPS://API.example.com:443/orders/',
    'https://api.example.com/%6frders',
    'https://api.example.com/%6F%72ders',
    'https://api.example.com:0443/orders',
    'https://api.example.com:/orders',
    'https://api.example.com/v1/../orders',
    'https://api.example.com/./orders/.',
    'https://api.example.com/x/%2E%2E/orders',
    'https://api.example.com/orders//',
  ])('gives %s the normal form https://api.example.com/orders', (spelling) => {
    expect(normal(spelling)).toBe('https://api.example.com/orders');
  });

  it('writes an empty path as "/", keeps other ports and queries, and upper-cases reserved percent-encodings', () => {
    expect(normal('https://API.example.com')).toBe('https://api.example.com');
    expect(normal('https://api.example.com/')).toBe('https://api.example.com');
    expect(normal('https://api.example.com:8443/a%2fb')).toBe('https://api.example.com:8443/a%2Fb');
    expect(normal('https://api.example.com/orders?v=%7e2')).toBe('https://api.example.com/orders?v=~2');
    expect(normal('https://[2001:DB8::1]/x')).toBe('https://[2001:db8::1]/x');
    expect(normal('https://xn--pple-43d.com/orders')).toBe('https://xn--pple-43d.com/orders');
  });

  it.each([
    ['https://api.example.com/orders#', /fragment/],
    ['https://api.example.com/orders#top', /fragment/],
    ['https://api.example.com/orders?', /empty query/],
    ['https://api.example.com./orders', /host with a dot/],
    ['https://\u0430pple.com/orders', /punycode/],
    ['https://api.example.com\\@evil.example/orders', /backslash/],
    ['https://api.example.com/or ders', /printable ASCII/],
    ['http://api.example.com/orders', /absolute https URI/],
    ['urn:latchkey:env:orders', /absolute https URI/],
    ['https://user@api.example.com/orders', /user info/],
    ['https:///orders', /host/],
    ['https://api..example.com/orders', /host with letters/],
    ['https://api.example.com:99999/orders', /port/],
    ['https://api.example.com/%zz', /percent-encodings/],
    ['https://api.example.com/a<b', /path made of characters/],
    [`https://api.example.com/${'a'.repeat(512)}`, /at most 512/],
  ])('refuses %s', (value, reason) => {
    expect(problem(value)).toMatch(reason);
  });

  it('is idempotent: a normal form is its own normal form', () => {
    const segment = fc.stringMatching(/^([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2}){0,8}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('https', 'HTTPS', 'Https'),
        fc.constantFrom('api.example.com', 'API.Example.COM', 'x.test'),
        fc.constantFrom('', ':443', ':8443'),
        fc.array(segment, { maxLength: 5 }),
        (scheme, host, port, segments) => {
          const once = normal(`${scheme}://${host}${port}/${segments.join('/')}`);
          expect(normal(once)).toBe(once);
        },
      ),
    );
  });

  it('compares urn audiences as they are', () => {
    expect(comparableAudience('urn:latchkey:env_1:orders')).toBe('urn:latchkey:env_1:orders');
    expect(comparableAudience('HTTPS://API.example.com:443/orders/')).toBe('https://api.example.com/orders');
  });
});
