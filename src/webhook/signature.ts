import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signing and verifying enrichment webhook requests; Latchkey signs with `signRequest`, receivers
 * verify with `verifySignature` (the stack's webhook Lambda does), so the scheme lives in one place.
 *
 * Header: `latchkey-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 *
 * Rules `verifySignature` enforces:
 * - The header is present and well formed, with exactly one timestamp and at least one `v1` value.
 * - The timestamp is signed with the body, so an old request cannot be replayed with a new time;
 *   it must be at most 120 s old and at most 30 s ahead of the receiver's clock.
 * - The HMAC over the exact raw bytes received matches, compared in constant time; any change to the
 *   body (even whitespace) fails.
 */

export const SIGNATURE_HEADER = 'latchkey-signature';
export const MAX_AGE_SECONDS = 120;
export const MAX_FUTURE_SECONDS = 30;

export function signature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The header value for a body sent at `nowMs`. */
export function signRequest(secret: string, rawBody: string, nowMs: number): string {
  const timestamp = Math.floor(nowMs / 1000);
  return `t=${timestamp},v1=${signature(secret, timestamp, rawBody)}`;
}

export type VerifyFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch';

export type VerifyResult = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: VerifyFailure };

export function verifySignature(secret: string, rawBody: string, header: string | undefined, nowMs: number): VerifyResult {
  if (!header) return { ok: false, reason: 'missing' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (rest.length > 0 || !value) return { ok: false, reason: 'malformed' };
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(value);
    }
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const now = Math.floor(nowMs / 1000);
  if (now - timestamp > MAX_AGE_SECONDS) return { ok: false, reason: 'stale' };
  if (timestamp - now > MAX_FUTURE_SECONDS) return { ok: false, reason: 'future' };
  const expected = Buffer.from(signature(secret, timestamp, rawBody), 'hex');
  const matches = candidates.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
