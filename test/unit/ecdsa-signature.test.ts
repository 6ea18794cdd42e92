import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToJose } from '../../src/adapters/ecdsa-signature';

describe('derToJose', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('turns DER signatures into r||s signatures that verify as IEEE P1363', () => {
    for (let round = 0; round < 200; round++) {
      const message = Buffer.from(`message ${round}`);
      const der = sign('sha256', message, privateKey);
      const jose = derToJose(der);
      expect(jose).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
    }
  });

  it('pads short integers and strips the sign byte of long ones', () => {
    // r = 0x01 (one byte), s = 0x00 0xff..ff (33 bytes with a leading sign byte).
    const s = [0x00, ...new Array(32).fill(0xff)];
    const der = Uint8Array.from([0x30, 2 + 1 + 2 + s.length, 0x02, 0x01, 0x01, 0x02, s.length, ...s]);
    const jose = derToJose(der);
    expect(jose[31]).toBe(1);
    expect(jose.subarray(0, 31).every((byte) => byte === 0)).toBe(true);
    expect(jose.subarray(32).every((byte) => byte === 0xff)).toBe(true);
  });

  it.each([
    ['not a sequence', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['a sequence length that does not match', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['trailing bytes', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]],
    ['a missing second integer', [0x30, 0x03, 0x02, 0x01, 0x01]],
    ['an integer longer than the curve', [0x30, 0x26, 0x02, 0x21, ...new Array(33).fill(0x7f), 0x02, 0x01, 0x01]],
  ])('refuses %s', (_, bytes) => {
    expect(() => derToJose(Uint8Array.from(bytes))).toThrow(/malformed DER ECDSA signature/);
  });
});
