import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../src/config';
import { requestOrigin } from '../../src/http/audit';
import type { HttpEvent } from '../../src/http/handler';
import { clientAddress, VIEWER_ADDRESS_HEADER, viewerAddress } from '../../src/http/request';

/**
 * The client's address, which the throttle of client authentication counts by and the audit log and
 * logs record: behind Latchkey's CloudFront distribution, the viewer address CloudFront reports;
 * anywhere else, the address API Gateway saw, whatever headers the client sent.
 */
const EDGE = '130.176.1.10';
const eventWith = (headers: Record<string, string>): HttpEvent => ({ headers, requestContext: { http: { sourceIp: EDGE } } }) as unknown as HttpEvent;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('viewerAddress (a CloudFront-Viewer-Address value)', () => {
  it('reads an IPv4 address and its port', () => {
    expect(viewerAddress('203.0.113.7:46532')).toBe('203.0.113.7');
    expect(viewerAddress(' 198.51.100.1:1 ')).toBe('198.51.100.1');
  });

  it('reads an IPv6 address whose port follows the last colon, without brackets, and with them', () => {
    expect(viewerAddress('2001:db8::1:46532')).toBe('2001:db8::1');
    expect(viewerAddress('2406:2d40:728d:fa10::c4a:42838')).toBe('2406:2d40:728d:fa10::c4a');
    expect(viewerAddress('2001:DB8:0:0:0:0:0:1:443')).toBe('2001:db8:0:0:0:0:0:1');
    expect(viewerAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(viewerAddress('::ffff:203.0.113.7:443')).toBe('::ffff:203.0.113.7');
  });

  it('refuses anything that is not one address and a port', () => {
    for (const value of [
      undefined,
      '',
      '203.0.113.7',
      '203.0.113.7:',
      ':443',
      '203.0.113.7:65536',
      '203.0.113.7:44x',
      '203.0.113.256:443',
      'example.com:443',
      '203.0.113.7:443, 198.51.100.1:443',
      '2001:db8::1',
      '[2001:db8::1]',
      'fe80::1%eth0:443',
    ]) {
      expect(viewerAddress(value), String(value)).toBeUndefined();
    }
  });
});

describe('clientAddress', () => {
  it('behind CloudFront, is the viewer address CloudFront reports, whatever the case of the header name', () => {
    vi.stubEnv(ENV.behindCloudFront, 'true');
    expect(clientAddress(eventWith({ [VIEWER_ADDRESS_HEADER]: '203.0.113.7:46532' }))).toBe('203.0.113.7');
    expect(clientAddress(eventWith({ 'CloudFront-Viewer-Address': '2001:db8::1:443' }))).toBe('2001:db8::1');
  });

  it('behind CloudFront, falls back to the address API Gateway saw when the header is missing or not an address', () => {
    vi.stubEnv(ENV.behindCloudFront, 'true');
    expect(clientAddress(eventWith({}))).toBe(EDGE);
    expect(clientAddress(eventWith({ [VIEWER_ADDRESS_HEADER]: 'attacker.example:443' }))).toBe(EDGE);
  });

  it('without CloudFront in front, ignores the header: a client could write it', () => {
    expect(clientAddress(eventWith({ [VIEWER_ADDRESS_HEADER]: '203.0.113.7:46532' }))).toBe(EDGE);
    vi.stubEnv(ENV.behindCloudFront, 'false');
    expect(clientAddress(eventWith({ [VIEWER_ADDRESS_HEADER]: '203.0.113.7:46532' }))).toBe(EDGE);
  });

  it('is the audit log’s sourceIp', () => {
    const event = eventWith({ [VIEWER_ADDRESS_HEADER]: '203.0.113.7:46532' });
    expect(requestOrigin(event).sourceIp).toBe(EDGE);
    vi.stubEnv(ENV.behindCloudFront, 'true');
    expect(requestOrigin(event).sourceIp).toBe('203.0.113.7');
  });
});
