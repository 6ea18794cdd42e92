import { describe, expect, it } from 'vitest';
import { checkWebhookTarget } from '../../src/domain/webhook-targets';
import { signature, signRequest, verifySignature } from '../../src/webhook';
import { parseStaticClaims, staticClaimsFor } from '../../src/webhook/static-claims';

const SECRET = 'lkw_test-secret';
const BODY = '{"payload":{"a":1}}';
const NOW = 1_800_000_000_000;

describe('webhook signatures', () => {
  it('verifies what signRequest signs, over timestamp and body', () => {
    const header = signRequest(SECRET, BODY, NOW);
    expect(header).toBe(`t=${NOW / 1000},v1=${signature(SECRET, NOW / 1000, BODY)}`);
    expect(verifySignature(SECRET, BODY, header, NOW)).toEqual({ ok: true, timestamp: NOW / 1000 });
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['no timestamp', `v1=${'0'.repeat(64)}`, 'malformed'],
    ['two timestamps', `t=1,t=2,v1=${'0'.repeat(64)}`, 'malformed'],
    ['a short signature', 't=1,v1=abc', 'malformed'],
    ['an extra equals sign', 't=1,v1=a=b', 'malformed'],
  ])('refuses %s', (_name, header, reason) => {
    expect(verifySignature(SECRET, BODY, header, NOW)).toEqual({ ok: false, reason });
  });

  it('bounds the age at 120 s and the lead at 30 s', () => {
    expect(verifySignature(SECRET, BODY, signRequest(SECRET, BODY, NOW - 120_000), NOW).ok).toBe(true);
    expect(verifySignature(SECRET, BODY, signRequest(SECRET, BODY, NOW - 121_000), NOW)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(SECRET, BODY, signRequest(SECRET, BODY, NOW + 30_000), NOW).ok).toBe(true);
    expect(verifySignature(SECRET, BODY, signRequest(SECRET, BODY, NOW + 31_000), NOW)).toEqual({ ok: false, reason: 'future' });
  });

  it('accepts any one matching v1 value (for receivers that list several)', () => {
    const header = `${signRequest(SECRET, BODY, NOW)},v1=${'f'.repeat(64)}`;
    expect(verifySignature(SECRET, BODY, header, NOW).ok).toBe(true);
  });
});

describe('static claims of the example webhook', () => {
  const table = parseStaticClaims(JSON.stringify({ '*': { '*': { tier: 'free', region: 'us' } }, app_a: { '*': { region: 'eu' }, vip: { tier: 'gold' } } }));
  const request = (application_id: string, external_subject_id: string) => ({ application_id, external_subject_id }) as never;

  it('merges defaults, the application and the subject, later ones winning', () => {
    expect(staticClaimsFor(table, request('app_a', 'vip'))).toEqual({ tier: 'gold', region: 'eu' });
    expect(staticClaimsFor(table, request('app_a', 'someone'))).toEqual({ tier: 'free', region: 'eu' });
    expect(staticClaimsFor(table, request('app_b', 'vip'))).toEqual({ tier: 'free', region: 'us' });
    expect(staticClaimsFor(table, request('app_a', '__proto__'))).toEqual({ tier: 'free', region: 'eu' });
  });

  it('refuses a table of the wrong shape, naming the variable', () => {
    expect(() => parseStaticClaims('{"app_a": {"vip": "gold"}}')).toThrow(/ENRICHMENT_CLAIMS_JSON/);
    expect(parseStaticClaims(undefined)).toEqual({});
  });
});

describe('webhook targets', () => {
  const deployed = { allowLocalTargets: false };
  const local = { allowLocalTargets: true };
  it.each(['https://hooks.example.com/x', 'arn:aws:lambda:us-east-1:123456789012:function:f', 'arn:aws-cn:lambda:cn-north-1:123456789012:function:f:prod'])(
    'accepts %s',
    (target) => expect(() => checkWebhookTarget(target, deployed)).not.toThrow(),
  );
  it.each(['http://localhost:3000/x', 'http://127.0.0.1/x', 'http://[::1]:80/x'])('accepts %s in the local runtime only', (target) => {
    expect(() => checkWebhookTarget(target, local)).not.toThrow();
    expect(() => checkWebhookTarget(target, deployed)).toThrow(/webhook.target/);
  });
  it.each([
    'http://example.com/x',
    'http://127.0.0.2/x',
    'http://localhost.example.com/x',
    'file:///etc/passwd',
    'arn:aws:lambda:us-east-1:123:function:f',
    'arn:aws:sqs:us-east-1:123456789012:q',
    'not a url',
  ])('refuses %s', (target) => {
    expect(() => checkWebhookTarget(target, deployed)).toThrow(/webhook.target/);
    expect(() => checkWebhookTarget(target, local)).toThrow(/webhook.target/);
  });
});
