import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openUpstreamToken, sealUpstreamToken } from '../../src/domain/federation/seal';

const hasherWith = (pepper: string) => ({ hash: async (value: string) => createHmac('sha256', pepper).update(value).digest('base64url') });

describe('the sealed upstream ID token kept for upstream logout', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

  it('opens with the same pepper, and shows nothing of the token while sealed', async () => {
    const sealed = await sealUpstreamToken(hasherWith('pepper'), token);
    expect(sealed).not.toContain('eyJ');
    expect(await openUpstreamToken(hasherWith('pepper'), sealed)).toBe(token);
  });

  it('does not open with another pepper, or once altered', async () => {
    const sealed = await sealUpstreamToken(hasherWith('pepper'), token);
    expect(await openUpstreamToken(hasherWith('another'), sealed)).toBeUndefined();
    const [version, iv, body] = sealed.split('.');
    const flipped = `${body!.slice(0, 5)}${body![5] === 'A' ? 'B' : 'A'}${body!.slice(6)}`;
    expect(await openUpstreamToken(hasherWith('pepper'), `${version}.${iv}.${flipped}`)).toBeUndefined();
    expect(await openUpstreamToken(hasherWith('pepper'), 'v2.x.y')).toBeUndefined();
  });
});
