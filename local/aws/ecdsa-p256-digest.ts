import { createECDH, randomBytes } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import { p256 } from '@noble/curves/nist.js';

/**
 * An ECDSA P-256 signature (DER) over a SHA-256 digest the caller computed, as KMS makes for
 * `MessageType: DIGEST`. Node's `crypto.sign` always hashes its input, so the scheme is spelled out
 * here (FIPS 186-5 section 6.4.1), with the costly step, the point multiplication k·G, done by
 * OpenSSL through ECDH key derivation: about a tenth of the CPU of the whole signature in pure
 * JavaScript, which the KMS stand-in spent on every token in KMS mode. The nonce is fresh and
 * uniformly random for every signature (rejection sampling), and S is left high or low as it falls,
 * like KMS's own signatures; verifiers must accept both.
 */

const ORDER = p256.Point.Fn.ORDER;
const pointMultiplier = createECDH('prime256v1');

const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

export function signP256Digest(privateScalar: Uint8Array, digest: Uint8Array): Buffer {
  if (digest.length !== 32) throw new RangeError('a SHA-256 digest is 32 bytes');
  const d = toBigInt(privateScalar);
  // The digest's bit length equals the order's, so it is used whole (no truncation).
  const z = toBigInt(digest);
  for (;;) {
    const nonce = randomBytes(32);
    const k = toBigInt(nonce);
    if (k === 0n || k >= ORDER) continue;
    pointMultiplier.setPrivateKey(nonce);
    // Uncompressed point: 0x04, then X and Y, 32 bytes each.
    const r = toBigInt(pointMultiplier.getPublicKey().subarray(1, 33)) % ORDER;
    if (r === 0n) continue;
    const s = (invert(k, ORDER) * ((z + r * d) % ORDER)) % ORDER;
    if (s === 0n) continue;
    return Buffer.from(new p256.Signature(r, s).toBytes('der'));
  }
}
