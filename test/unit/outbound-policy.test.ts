import { describe, expect, it } from 'vitest';
import { blockedAddressReason, outboundUrlProblem } from '../../src/domain/outbound-policy';
import { checkWebhookTarget } from '../../src/domain/webhook-targets';
import { InvalidRequest } from '../../src/domain/errors';

/**
 * The outbound policy over hostile inputs: every spelling of a loopback, private, link-local,
 * metadata or otherwise non-public address is refused in a deployed stage, and the local runtime's
 * explicit setting is what allows this machine.
 */

const deployed = { allowLocalTargets: false };
const local = { allowLocalTargets: true };

describe('the address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['fd00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.192', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['::7f00:1', 'outside global unicast'],
    ['fe80::1%eth0', 'linkLocal'],
    ['not-an-address', 'not an IP address'],
  ])('refuses %s (%s)', (address, why) => {
    expect(blockedAddressReason(address)).toContain(why);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14'])('allows the public address %s', (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
  });
});

describe('outbound URLs in a deployed stage', () => {
  it.each([
    'https://0x7f000001/hook',
    'https://2130706433/hook',
    'https://127.1/hook',
    'https://0177.0.0.1/hook',
    'https://127.0.0.1./hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[0:0:0:0:0:ffff:7f00:1]/hook',
    'https://[::1]/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://[fd00::1]/',
    'https://100.64.0.1/',
    'https://[fe80::1]/',
    'https://0.0.0.0/',
    'https://0/',
    'https://10.0.0.1:8443/',
    'https://localhost/hook',
    'https://LOCALHOST./hook',
    'https://api.localhost/hook',
    'http://127.1/hook',
    'http://localhost:8080/hook',
    'http://hooks.example.com/hook',
    'ftp://hooks.example.com/hook',
    'javascript:alert(1)',
    'https://user:pw@hooks.example.com/hook',
    'https://hooks.example.com/hook#frag',
    `https://hooks.example.com/${'a'.repeat(2100)}`,
    'not a url',
  ])('refuses %s', (target) => {
    expect(outboundUrlProblem(target, deployed)).toBeDefined();
  });

  it('names what is wrong', () => {
    expect(outboundUrlProblem('https://0x7f000001/hook', deployed)).toBe('must not point to a private, loopback, link-local or reserved address (127.0.0.1 is a loopback address)');
    expect(outboundUrlProblem('http://hooks.example.com/', deployed)).toBe('must use https://');
  });

  it.each(['https://hooks.example.com/enrich', 'https://93.184.215.14/hook', 'https://[2606:4700:4700::1111]/hook', 'https://keys.example.com:8443/jwks.json'])(
    'allows %s',
    (target) => {
      expect(outboundUrlProblem(target, deployed)).toBeUndefined();
    },
  );
});

describe('outbound URLs in the local runtime (LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS=true)', () => {
  it('allows plain http to this machine, and https anywhere', () => {
    for (const target of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]:9000/', 'https://10.0.0.1/', 'https://localhost/']) {
      expect(outboundUrlProblem(target, local)).toBeUndefined();
    }
  });

  it('still refuses plain http to other hosts', () => {
    expect(outboundUrlProblem('http://10.0.0.1/hook', local)).toContain('must use https://');
    expect(outboundUrlProblem('http://hooks.example.com/hook', local)).toContain('must use https://');
  });
});

describe('webhook targets', () => {
  it('refuses a numeric loopback host in a deployed stage, naming the field', () => {
    let error: unknown;
    try {
      checkWebhookTarget('https://2130706433/hook', deployed);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).fields).toEqual([{ path: 'webhook.target', message: expect.stringContaining('127.0.0.1 is a loopback address') }]);
  });

  it('takes the stage from LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS when not told', () => {
    const before = process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS;
    try {
      delete process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS;
      expect(() => checkWebhookTarget('http://127.0.0.1:8080/hook')).toThrow(InvalidRequest);
      process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS = 'yes';
      expect(() => checkWebhookTarget('http://127.0.0.1:8080/hook')).toThrow(InvalidRequest);
      process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS = 'true';
      expect(() => checkWebhookTarget('http://127.0.0.1:8080/hook')).not.toThrow();
    } finally {
      if (before === undefined) delete process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS;
      else process.env.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS = before;
    }
  });

  it('still accepts Lambda function ARNs', () => {
    expect(() => checkWebhookTarget('arn:aws:lambda:eu-west-1:123456789012:function:enrich', deployed)).not.toThrow();
  });
});
