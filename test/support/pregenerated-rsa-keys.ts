import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PREGENERATED_RSA_KEYS } from './pregenerated-rsa-key-fixture';

/** A key of the fixture (PKCS#8 DER, base64) as a private key. */
export function pregeneratedRsaKey(pkcs8Base64: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
}

/** The public half (SPKI DER) of a fixture key, as KMS answers a public key. */
export function pregeneratedRsaPublicKey(pkcs8Base64: string): Buffer {
  return createPublicKey(pregeneratedRsaKey(pkcs8Base64)).export({ type: 'spki', format: 'der' });
}

/**
 * A source of RSA-2048 private keys for the local KMS stand-in (`pregeneratedRsaKeys` of
 * `startLocalRuntime` / `startLocalAws`): the fixture's keys, each handed out at most once in this
 * process, then freshly generated ones. Tests make dozens of RSA keys per process (SAML clients,
 * envelope rotations); generating each costs a few hundred milliseconds of CPU.
 *
 * The cursor lives on `globalThis` under `cursorKey`, not in this module: the files that start
 * runtimes of their own import this module afresh in the same process (`vi.resetModules()`), and
 * two runtimes of one process must never share a key.
 */
export function pregeneratedRsaKeySource(keys: readonly string[], cursorKey: symbol): () => KeyObject {
  const holder = globalThis as typeof globalThis & Record<symbol, { next: number } | undefined>;
  return () => {
    holder[cursorKey] ??= { next: 0 };
    const cursor = holder[cursorKey];
    const key = keys[cursor.next];
    if (key === undefined) return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    cursor.next++;
    return pregeneratedRsaKey(key);
  };
}

/** The tests' source: the committed fixture, one cursor per process. */
export const pregeneratedRsaKeys = pregeneratedRsaKeySource(PREGENERATED_RSA_KEYS, Symbol.for('latchkey.test.pregeneratedRsaKeys'));
