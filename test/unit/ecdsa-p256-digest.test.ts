import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { signP256Digest } from '../../local/aws/ecdsa-p256-digest';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('ECDSA P-256 over a caller-computed digest (the KMS stand-in, MessageType DIGEST)', () => {
  it('makes DER signatures that verify as ECDSA with SHA-256 of the message, and only for that message and key', () => {
    for (let index = 0; index < 200; index++) {
      const message = Buffer.from(`message ${index}`);
      const signature = signP256Digest(scalar, createHash('sha256').update(message).digest());
      expect(verify('sha256', message, publicKey, signature)).toBe(true);
      expect(verify('sha256', Buffer.from(`message ${index + 1}`), publicKey, signature)).toBe(false);
      expect(verify('sha256', message, other.publicKey, signature)).toBe(false);
    }
  });

  it('draws a fresh nonce every time, and leaves S high or low as it falls, as KMS does', () => {
    const digest = createHash('sha256').update('the same message').digest();
    const signatures = Array.from({ length: 64 }, () => p256.Signature.fromBytes(signP256Digest(scalar, digest), 'der'));
    expect(new Set(signatures.map((signature) => signature.r.toString())).size).toBe(64);
    const high = signatures.filter((signature) => signature.hasHighS()).length;
    // 64 fair coin flips: all on one side has a probability of 2^-63.
    expect(high).toBeGreaterThan(0);
    expect(high).toBeLessThan(64);
  });

  it('refuses anything but a 32-byte digest', () => {
    expect(() => signP256Digest(scalar, Buffer.alloc(31))).toThrow(RangeError);
    expect(() => signP256Digest(scalar, Buffer.from('a message, not its digest'))).toThrow(RangeError);
  });
});
